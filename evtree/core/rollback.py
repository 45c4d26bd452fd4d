"""The one rollback algorithm, and the arithmetics it runs in.

Rolling back a tree computes, for every node, the expected outcome given that
the node is reached and the best choices are made below it: the
probability-weighted sum at chance nodes and the best option at decision nodes.
The algorithm works level by level on a :class:`~evtree.compile.FlatTree`, from
the deepest level to the root, and leaves the arithmetic to an
:class:`Arithmetic`:

    FloatArithmetic     numpy float64, over one point or many points at once
    ExactArithmetic     exact rationals (and exact sympy numbers where irrational)
    SymbolicArithmetic  sympy expressions in the parameters

Outcomes are accumulated top down first: the outcome at a terminal is the sum
of the payoffs of the branches leading to it plus its own payoff.  A utility
function, when given, maps outcomes to utilities before the rollback.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from . import budget
from .compile import CHANCE, DECISION, PROBABILITY_TOLERANCE, TERMINAL, FlatTree, Level, Quantity
from .errors import EvaluationError, ProbabilityError
from .expressions import symbol
from .rules import EXPECTED, Rule, rule_named

__all__ = [
    "Arithmetic",
    "ExactArithmetic",
    "FloatArithmetic",
    "SymbolicArithmetic",
    "CertaintyEquivalentArithmetic",
    "arithmetic",
    "is_tied",
    "outcomes",
    "reach_probabilities",
    "rollback",
]

#: Two float option values ``a`` and ``b`` count as tied when
#: ``|a - b| <= TIE_TOLERANCE * max(1, |a|, |b|)``: a relative tolerance of 1e-12 (about 4,500
#: ulps, far above the rounding of a rollback, far below any difference that matters: options
#: worth 1e12 and 1e12 + 100 are not tied) with an absolute floor of 1e-12 below 1.  Among tied
#: options the first is chosen, and the decision's value, policy and risk profile all follow it.
TIE_TOLERANCE = 1e-12


class Arithmetic:
    """How numbers are represented and combined during a rollback."""

    name: str = ""
    exact: bool = False
    #: Whether some terminal values are infinite (a utility undefined at a terminal reached with
    #: probability zero): then a zero-probability branch contributes nothing (not ``0 * inf``).
    skip_zero: bool = False

    def quantity(self, flat: FlatTree, q: Quantity, point: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def probabilities(self, flat: FlatTree, point: Mapping[str, Any]) -> Any:
        """Return the branch probability of every node (1 where not under a chance node)."""
        raise NotImplementedError

    def check_probabilities(self, flat: FlatTree, probs: Any) -> None:
        raise NotImplementedError

    def segment_sum(self, x: Any, level: Level) -> Any:
        raise NotImplementedError

    def weighted_sum(self, p: Any, x: Any, level: Level) -> Any:
        """Return the probability-weighted sum of each parent's children."""
        return self.segment_sum(p * x, level)

    def segment_best(self, x: Any, level: Level, objective: str) -> Any:
        raise NotImplementedError

    def is_tied(self, a: Any, b: Any) -> Any:
        raise NotImplementedError


def _expr_error(flat: FlatTree, q: Quantity, j: int, value: Any, field: str) -> EvaluationError:
    i = int(np.flatnonzero(q.expr_index == j)[0])
    return EvaluationError(
        f"node '{flat.nodes[i].path}' field '{field}': {q.raw[i]!r} evaluates to {value}, "
        "not a finite real number"
    )


def _field(flat: FlatTree, q: Quantity) -> str:
    return "probability" if q is flat.probability else "payoff"


def _budget_error(
    flat: FlatTree, q: Quantity, j: int, reason: str, *, index: int | None = None
) -> EvaluationError:
    """Return a :class:`~evtree.core.budget.BudgetError` naming the first node that uses expression ``j``."""
    i = int(np.flatnonzero(q.expr_index == j)[0]) if index is None else index
    return budget.BudgetError(
        f"node '{flat.nodes[i].path}' field '{_field(flat, q)}': {q.raw[i]!r}: {reason}"
    )


def _constants_checked(flat: FlatTree, q: Quantity) -> None:
    """Refuse an infinite constant (a number beyond the float range read from a file), once per tree."""
    key = ("constants_checked", id(q))
    if flat.cache.get(key):
        return
    bad = np.flatnonzero(np.isinf(q.const))
    if len(bad):
        i = int(bad[0])
        raise budget.BudgetError(
            f"node '{flat.nodes[i].path}' field '{_field(flat, q)}': {q.raw[i]!r} is too large "
            "(beyond the float range)"
        )
    flat.cache[key] = True


def _sizes_checked(flat: FlatTree, q: Quantity) -> None:
    """Refuse an expression too large for exact or symbolic work (formulas substituted), once per tree."""
    key = ("sizes_checked", id(q))
    if flat.cache.get(key):
        return
    for j, e in enumerate(q.exprs):
        reason = budget.size_problem(e)
        if reason:
            raise _budget_error(flat, q, j, f"too large for exact and symbolic work: {reason}")
    flat.cache[key] = True


def _float_table(
    flat: FlatTree, q: Quantity, fn: Any, names: list[str], point: Mapping[str, Any]
) -> list[Any]:
    """Evaluate the quantity's expressions at the point; an expression that fails is named."""
    try:
        with np.errstate(all="ignore"):
            return list(fn(*(point[s] for s in names)))
    except (ArithmeticError, ValueError, TypeError):
        pass
    for j, e in enumerate(q.exprs):  # find the culprit (rare: the error path only)
        f = sympy.lambdify([symbol(s) for s in names], e, "numpy")
        try:
            with np.errstate(all="ignore"):
                f(*(point[s] for s in names))
        except ZeroDivisionError:
            raise _budget_error(flat, q, j, "division by zero") from None
        except OverflowError:
            raise _budget_error(flat, q, j, "is too large (beyond the float range)") from None
        except (ArithmeticError, ValueError, TypeError) as err:
            raise _budget_error(flat, q, j, f"cannot be evaluated in float arithmetic ({err})") from None
    raise AssertionError("one expression failed")  # pragma: no cover


def _as_real(flat: FlatTree, q: Quantity, j: int, v: Any, n: int) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind == "c":
        if np.any(a.imag != 0):
            bad = a[a.imag != 0].reshape(-1)[0]
            raise _expr_error(flat, q, j, bad, _field(flat, q))
        a = a.real
    try:
        return np.broadcast_to(np.asarray(a, dtype=float).reshape(-1), (n,))
    except (TypeError, ValueError, OverflowError):
        raise _budget_error(flat, q, j, f"evaluates to {v!r}, not a finite real number") from None


class FloatArithmetic(Arithmetic):
    """numpy float64 values of shape ``(n_nodes, n_points)``."""

    name = "float"
    exact = False

    def __init__(self, n_points: int = 1) -> None:
        self.n_points = n_points

    def quantity(self, flat: FlatTree, q: Quantity, point: Mapping[str, Any]) -> np.ndarray:
        _constants_checked(flat, q)
        if q.is_constant:
            return q.const[:, None]
        names = sorted(flat.symbols)
        cache = flat.cache.setdefault("lambdified", {})
        key = id(q)
        if key not in cache:
            cache[key] = sympy.lambdify([symbol(s) for s in names], list(q.exprs), "numpy")
        evaluated = _float_table(flat, q, cache[key], names, point)
        table = np.empty((len(q.exprs), self.n_points))
        for j, v in enumerate(evaluated):
            table[j] = _as_real(flat, q, j, v, self.n_points)
            if not np.isfinite(table[j]).all():
                bad = table[j][~np.isfinite(table[j])][0]
                raise _expr_error(flat, q, j, bad, _field(flat, q))
        values = np.repeat(q.const[:, None], self.n_points, axis=1)
        rows = np.flatnonzero(q.expr_index >= 0)
        values[rows] = table[q.expr_index[rows]]
        return values

    def probabilities(self, flat: FlatTree, point: Mapping[str, Any]) -> np.ndarray:
        constant = flat.probability.is_constant and not flat.rest.any()
        key = ("float_probabilities", self.n_points)
        if constant and key in flat.cache:
            return flat.cache[key]
        probs = self._probabilities(flat, point)
        if constant:
            probs.setflags(write=False)
            flat.cache[key] = probs
        return probs

    def _probabilities(self, flat: FlatTree, point: Mapping[str, Any]) -> np.ndarray:
        probs = self.quantity(flat, flat.probability, point).copy()
        if flat.rest.any() or probs.shape[1] != self.n_points:
            probs = np.array(np.broadcast_to(probs, (flat.size, self.n_points)))
        if flat.rest.any():
            rest = np.flatnonzero(flat.rest)
            for r in rest:  # few: one per chance node at most
                p = flat.parent[r]
                a, b = flat.first_child[p], flat.first_child[p] + flat.n_children[p]
                others = [i for i in range(a, b) if i != r]
                probs[r] = 1.0 - probs[others].sum(axis=0)
        probs[~flat.under_chance] = 1.0
        return probs

    def check_probabilities(self, flat: FlatTree, probs: np.ndarray) -> None:
        cached = probs is flat.cache.get(("float_probabilities", self.n_points))
        if cached and flat.cache.get(("float_probabilities_checked", self.n_points)):
            return
        self._check_probabilities(flat, probs)
        if cached:
            flat.cache[("float_probabilities_checked", self.n_points)] = True

    def _check_probabilities(self, flat: FlatTree, probs: np.ndarray) -> None:
        tol = PROBABILITY_TOLERANCE
        mask = flat.under_chance
        sub = probs[mask]
        bad = (sub < -tol) | (sub > 1 + tol)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            i = np.flatnonzero(mask)[row]
            raise ProbabilityError(
                f"probability {sub[row, col]:.12g} is outside [0, 1]{_at_point(col, probs)}",
                node=flat.nodes[i].path,
                field="probability",
            )
        chance = flat.chance_indices
        if len(chance):
            starts = flat.first_child[chance]
            idx = _segment_index(starts, flat.n_children[chance])
            sums = np.add.reduceat(
                probs[idx], np.concatenate([[0], np.cumsum(flat.n_children[chance])[:-1]]), axis=0
            )
            off = np.abs(sums - 1.0) > tol
            if off.any():
                row, col = np.argwhere(off)[0]
                raise ProbabilityError(
                    f"probabilities sum to {sums[row, col]:.12g}, not 1 (tolerance {tol:g})"
                    f"{_at_point(col, probs)}",
                    node=flat.nodes[chance[row]].path,
                )

    def segment_sum(self, x: np.ndarray, level: Level) -> np.ndarray:
        k = level.uniform
        if 0 < k <= 8:  # strided slices beat a reduction over a short axis
            out = x[0::k] + x[1::k] if k > 1 else x.copy()
            for j in range(2, k):
                out += x[j::k]
            return out
        if k:
            return x.reshape(-1, k, x.shape[1]).sum(axis=1)
        return np.add.reduceat(x, level.starts, axis=0)

    def weighted_sum(self, p: np.ndarray, x: np.ndarray, level: Level) -> np.ndarray:
        """Return the probability-weighted sum of each parent's children."""
        if self.skip_zero:
            with np.errstate(invalid="ignore"):
                return self.segment_sum(np.where(p == 0, 0.0, p * x), level)
        k = level.uniform
        if 0 < k <= 8:
            out = p[0::k] * x[0::k]
            for j in range(1, k):
                out += p[j::k] * x[j::k]
            return out
        return self.segment_sum(p * x, level)

    def segment_best(self, x: np.ndarray, level: Level, objective: str) -> np.ndarray:
        ufunc = np.maximum if objective == "max" else np.minimum
        k = level.uniform
        if 0 < k <= 8:
            out = ufunc(x[0::k], x[1::k]) if k > 1 else x.copy()
            for j in range(2, k):
                ufunc(out, x[j::k], out=out)
            return out
        if k:
            shaped = x.reshape(-1, k, x.shape[1])
            return shaped.max(axis=1) if objective == "max" else shaped.min(axis=1)
        return ufunc.reduceat(x, level.starts, axis=0)

    def is_tied(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether option values ``a`` tie with the best ``b`` (see :data:`TIE_TOLERANCE`)."""
        return is_tied(a, b)

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros((n, self.n_points))


def is_tied(a: Any, b: Any) -> Any:
    """Whether float values tie: ``|a - b| <= TIE_TOLERANCE * max(1, |a|, |b|)``, or equal (infinities).

    Examples
    --------
    >>> bool(is_tied(1e12, 1e12 + 100)), bool(is_tied(1.0, 1.0 + 1e-15))
    (False, True)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        tied = np.abs(a - b) <= TIE_TOLERANCE * scale
        if not np.isfinite(scale).all():  # an infinity ties only with itself (rare: impossible branches)
            tied = (a == b) | (tied & np.isfinite(scale))
    return tied


class CertaintyEquivalentArithmetic(FloatArithmetic):
    """Float rollback of an exponential utility in certainty-equivalent units (log-sum-exp).

    Under ``u(x) = a - b exp(-x/R)`` (``b/R > 0``; ``R < 0`` is risk seeking) the
    certainty equivalent of a chance node is ``-R log sum_i p_i exp(-c_i/R)`` over its
    children's certainty equivalents ``c_i``, and a decision takes the largest.  Computed
    as ``-R (m + log sum_i exp(log p_i - c_i/R - m))`` with ``m`` the largest exponent
    (log-sum-exp), it neither overflows nor rounds to a tie: with ``R = 5`` the utilities of
    200, 250 and 300 are all 1.0 in float, but their certainty equivalents are not.  A
    zero-probability branch contributes nothing.  Terminal values are the outcomes.

    Parameters
    ----------
    risk_tolerance : float or ndarray
        ``R`` at each point (nonzero and finite).
    """

    name = "float"

    def __init__(self, n_points: int, risk_tolerance: Any) -> None:
        super().__init__(n_points)
        self.risk_tolerance = np.asarray(risk_tolerance, dtype=float).reshape(-1)

    def weighted_sum(self, p: np.ndarray, x: np.ndarray, level: Level) -> np.ndarray:
        r = self.risk_tolerance
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)) - x / r, -np.inf)
        m = self.segment_best(a, level, "max")
        counts = level.counts if not level.uniform else level.uniform
        with np.errstate(under="ignore"):
            s = self.segment_sum(np.exp(a - np.repeat(m, counts, axis=0)), level)
        return -r * (m + np.log(s))


def _at_point(col: int, probs: np.ndarray) -> str:
    return f" (at point {col} of {probs.shape[1]})" if probs.shape[1] > 1 else ""


def _segment_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + c)`` for every start and count, vectorised."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + (np.arange(total) - offsets)


def _to_fraction(value: Any) -> Any:
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return value


def _near_one_constants(flat: FlatTree, probs: np.ndarray) -> list[tuple[int, int, Any]]:
    """Chance nodes of constant probabilities that sum to 1 within the float tolerance, but not exactly.

    Exact and symbolic arithmetic re-normalise them (each probability divided by
    their sum), so that a node float arithmetic accepts is accepted in every
    arithmetic; a :class:`~evtree.core.errors.ModelWarning` says so, once per
    compiled tree.  Found once per compiled tree (the constants do not change).
    """
    found = flat.cache.get("near_one_constants")
    if found is not None:
        return found
    import warnings

    from .errors import ModelWarning

    found = []
    variable = (flat.probability.expr_index >= 0) | flat.rest
    for p in flat.chance_indices:
        a = int(flat.first_child[p])
        b = a + int(flat.n_children[p])
        if variable[a:b].any():
            continue
        total = sum(probs[a + 1 : b], probs[a])
        if total != 1 and abs(float(total) - 1) <= PROBABILITY_TOLERANCE:
            found.append((a, b, total))
            warnings.warn(
                f"node '{flat.nodes[p].path}': probabilities sum to {total}, within "
                f"{PROBABILITY_TOLERANCE:g} of 1; re-normalised (each divided by their sum) "
                "for exact arithmetic",
                ModelWarning,
                stacklevel=2,
            )
    flat.cache["near_one_constants"] = found
    return found


class _ObjectArithmetic(Arithmetic):
    """Shared code of the exact and symbolic arithmetics (numpy object arrays)."""

    def weighted_sum(self, p: Any, x: Any, level: Level) -> Any:
        """Return the probability-weighted sum of each parent's children (a zero weight adds nothing)."""
        if self.skip_zero:
            products = np.empty(len(p), dtype=object)
            products[:] = [0 if pi == 0 else pi * xi for pi, xi in zip(p, x)]
            return self.segment_sum(products, level)
        return self.segment_sum(p * x, level)

    def quantity(self, flat: FlatTree, q: Quantity, point: Mapping[str, Any]) -> np.ndarray:
        from .expressions import as_expr

        _constants_checked(flat, q)
        _sizes_checked(flat, q)
        subs = {symbol(k): v for k, v in point.items()}
        table = []
        for j, e in enumerate(q.exprs):
            try:
                value = budget.substitute(e, subs)
            except budget.BudgetError as err:
                raise _budget_error(flat, q, j, str(err)) from None
            table.append(self.finish(value, flat, q, j))
        out = np.empty(flat.size, dtype=object)
        for i, r in enumerate(q.raw):
            j = q.expr_index[i]
            if j >= 0:
                out[i] = table[j]
            elif r is None or (isinstance(r, str) and r == "rest"):
                out[i] = 0
            else:
                out[i] = self.constant(as_expr(r) if isinstance(r, str) else r)
        return out

    def constant(self, r: Any) -> Any:
        raise NotImplementedError

    def finish(self, value: Any, flat: FlatTree, q: Quantity, j: int) -> Any:
        return value

    def probabilities(self, flat: FlatTree, point: Mapping[str, Any]) -> np.ndarray:
        probs = self.quantity(flat, flat.probability, point)
        for r in np.flatnonzero(flat.rest):
            p = flat.parent[r]
            a, b = flat.first_child[p], flat.first_child[p] + flat.n_children[p]
            probs[r] = 1 - sum(probs[i] for i in range(a, b) if i != r)
        probs[~flat.under_chance] = 1
        for a, b, total in _near_one_constants(flat, probs):
            probs[a:b] = [x / total for x in probs[a:b]]
        return probs

    def segment_sum(self, x: np.ndarray, level: Level) -> np.ndarray:
        out = np.empty(len(level.starts), dtype=object)
        for k, (s, c) in enumerate(zip(level.starts, level.counts)):
            out[k] = self.total(x[s : s + c])
        return out

    def total(self, items: Any) -> Any:
        return sum(items[1:], items[0])

    def zeros(self, n: int) -> np.ndarray:
        out = np.empty(n, dtype=object)
        out[:] = 0
        return out


class ExactArithmetic(_ObjectArithmetic):
    """Exact rational arithmetic (Python fractions, sympy numbers where irrational)."""

    name = "exact"
    exact = True

    def constant(self, r: Any) -> Any:
        from .expressions import exact_number

        return _to_fraction(exact_number(r))

    def finish(self, value: Any, flat: FlatTree, q: Quantity, j: int) -> Any:
        if value.free_symbols:  # pragma: no cover - points are complete
            raise EvaluationError(f"expression {value} still has free parameters")
        if not (value.is_real and value.is_finite):
            raise _expr_error(flat, q, j, value, _field(flat, q))
        reason = budget.number_problem(value)
        if reason:
            raise _budget_error(flat, q, j, f"evaluates to a value that {reason}")
        return _to_fraction(value)

    def check_probabilities(self, flat: FlatTree, probs: np.ndarray) -> None:
        for i in np.flatnonzero(flat.under_chance):
            if not 0 <= probs[i] <= 1:
                raise ProbabilityError(
                    f"probability {probs[i]} is outside [0, 1]", node=flat.nodes[i].path, field="probability"
                )
        for p in flat.chance_indices:
            a = flat.first_child[p]
            total = self.total(probs[a : a + flat.n_children[p]])
            if total != 1:
                raise ProbabilityError(f"probabilities sum to {total}, not 1", node=flat.nodes[p].path)

    def segment_best(self, x: np.ndarray, level: Level, objective: str) -> np.ndarray:
        pick = max if objective == "max" else min
        out = np.empty(len(level.starts), dtype=object)
        for k, (s, c) in enumerate(zip(level.starts, level.counts)):
            out[k] = pick(x[s : s + c])
        return out

    def is_tied(self, a: Any, b: Any) -> Any:
        return np.array([bool(u == v) for u, v in zip(a, b)], dtype=bool)


class SymbolicArithmetic(_ObjectArithmetic):
    """sympy expressions in the parameters; decision values are ``Max``/``Min``.

    The rollback itself (:meth:`fast_rollback`) does not combine sympy
    expressions: where the probabilities and terminal values are polynomials
    in the parameters, it works in sympy's sparse polynomial ring over the
    rationals, each node's value a polynomial plus polynomial multiples of
    ``Max``/``Min`` atoms (one per decision whose options do not differ by a
    constant), and converts every node's value to a sympy expression once at
    the end.  Otherwise it falls back to sympy arithmetic.
    """

    name = "symbolic"
    exact = True

    def constant(self, r: Any) -> Any:
        from .expressions import exact_number

        return exact_number(r)

    def finish(self, value: Any, flat: FlatTree, q: Quantity, j: int) -> Any:
        if not value.free_symbols:  # every parameter given a number: checked as in exact arithmetic
            if not (value.is_real and value.is_finite):
                raise _expr_error(flat, q, j, value, _field(flat, q))
            reason = budget.number_problem(value)
            if reason:
                raise _budget_error(flat, q, j, f"evaluates to a value that {reason}")
        return value

    def check_probabilities(self, flat: FlatTree, probs: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError("use evtree.compile.check_probabilities")

    def segment_best(self, x: np.ndarray, level: Level, objective: str) -> np.ndarray:
        pick = sympy.Max if objective == "max" else sympy.Min
        out = np.empty(len(level.starts), dtype=object)
        for k, (s, c) in enumerate(zip(level.starts, level.counts)):
            out[k] = pick(*x[s : s + c])
        return out

    def total(self, items: Any) -> Any:
        return sympy.Add(*items)

    def fast_rollback(
        self, flat: FlatTree, leaf_values: Any, probs: Any, objective: str, forced: np.ndarray | None
    ) -> Any:
        """Roll back in polynomial arithmetic; None when a value is not a polynomial."""
        return _polynomial_rollback(flat, leaf_values, probs, objective, forced)


class _Affine:
    """A polynomial plus polynomial multiples of opaque atoms (``Max``/``Min`` expressions).

    ``terms`` maps an atom (``None`` for the polynomial part) to a ring element.
    """

    __slots__ = ("terms",)

    def __init__(self, terms: dict[Any, Any]) -> None:
        self.terms = terms

    def add(self, other: _Affine) -> _Affine:
        out = dict(self.terms)
        for k, v in other.terms.items():
            if k in out:
                w = out[k] + v
                if w:
                    out[k] = w
                else:
                    del out[k]
            else:
                out[k] = v
        return _Affine(out)

    def scale(self, c: Any) -> _Affine:
        if not c:
            return _Affine({})
        return _Affine({k: c * v for k, v in self.terms.items()})

    def sub(self, other: _Affine) -> _Affine:
        return self.add(other.scale(-1))

    def constant(self) -> Any:
        """Return the value when it is a number (ring ground element), else None."""
        if not self.terms:
            return 0
        if len(self.terms) == 1 and None in self.terms and self.terms[None].is_ground:
            return self.terms[None].LC
        return None

    def key(self) -> frozenset:
        return frozenset(self.terms.items())

    def as_expr(self, cache: dict[Any, sympy.Expr] | None = None) -> sympy.Expr:
        parts = []
        for atom, coeff in self.terms.items():
            c = cache.get(coeff) if cache is not None else None
            if c is None:
                c = coeff.as_expr()
                if cache is not None:
                    cache[coeff] = c
            parts.append(c if atom is None else (atom if c == 1 else sympy.Mul(c, atom)))
        return sympy.Add(*parts) if parts else sympy.Integer(0)


def _polynomial_rollback(
    flat: FlatTree, leaf_values: Any, probs: Any, objective: str, forced: np.ndarray | None
) -> Any:
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring

    terminals = flat.terminal_indices
    chance_kids = np.flatnonzero(flat.under_chance)
    exprs = [leaf_values[i] for i in terminals] + [probs[i] for i in chance_kids]
    names: set[Any] = set()
    for e in exprs:
        if isinstance(e, sympy.Basic):
            names |= e.free_symbols
    gens = sorted(names, key=str)
    if not gens:
        return None
    R, *_ = ring(gens, QQ)
    cache: dict[Any, Any] = {}

    def poly(e: Any) -> Any:
        p = cache.get(e)
        if p is None:
            try:
                p = R.from_expr(sympy.sympify(e))
            except (ValueError, TypeError, sympy.CoercionFailed, sympy.PolynomialError):
                return None
            cache[e] = p
        return p

    n = flat.size
    values: list[Any] = [None] * n
    prob_poly: list[Any] = [None] * n
    for i in terminals:
        p = poly(leaf_values[i])
        if p is None:
            return None
        values[i] = _Affine({None: p} if p else {})
    for i in chance_kids:
        p = poly(probs[i])
        if p is None:
            return None
        prob_poly[i] = p
    kind, first, count = flat.kind, flat.first_child, flat.n_children
    pick = sympy.Max if objective == "max" else sympy.Min
    coeff_exprs: dict[Any, sympy.Expr] = {}
    better = (lambda u, v: u > v) if objective == "max" else (lambda u, v: u < v)
    for i in range(n - 1, -1, -1):
        k = kind[i]
        if k == TERMINAL:
            continue
        a = int(first[i])
        kids = range(a, a + int(count[i]))
        if k == CHANCE:
            total = _Affine({})
            for c in kids:
                total = total.add(values[c].scale(prob_poly[c]))
            size = sum(len(v) for v in total.terms.values())
            if size > budget.MAX_TERMS:
                raise budget.BudgetError(
                    f"node '{flat.nodes[i].path}': its symbolic value has {size:,} terms, more than "
                    f"{budget.MAX_TERMS:,} (evtree.core.budget); evaluate in exact or float arithmetic"
                )
            values[i] = total
            continue
        if forced is not None and forced[i] >= 0:
            values[i] = values[int(forced[i])]
            continue
        values[i] = _best_option([values[c] for c in kids], pick, better, coeff_exprs)
    out = np.empty(n, dtype=object)
    exported: dict[int, sympy.Expr] = {}
    for i in range(n):
        v = values[i]
        e = exported.get(id(v))
        if e is None:
            e = v.as_expr(coeff_exprs)
            exported[id(v)] = e
        out[i] = e
    return out


def _best_option(options: list[_Affine], pick: Any, better: Any, cache: dict[Any, sympy.Expr]) -> _Affine:
    """Return the best option where options differ by constants; else a new ``Max``/``Min`` atom.

    The atom is built unevaluated (sympy's own ``Max`` would try to prove
    inequalities between large expressions); its arguments are in sympy's
    canonical order when they are plain polynomials, else in branch order.
    """
    kept: list[_Affine] = []
    seen: set[frozenset] = set()
    for o in options:
        key = o.key()
        if key in seen:
            continue
        seen.add(key)
        dominated = False
        survivors = []
        for k in kept:
            d = o.sub(k).constant()
            if d is None:
                survivors.append(k)
            elif better(d, 0):
                continue  # o beats k: drop k
            else:
                dominated = True
                survivors.append(k)
        if not dominated:
            survivors.append(o)
        kept = survivors
    if len(kept) == 1:
        return kept[0]
    args: list[sympy.Expr] = []
    plain = True
    for o in kept:
        if len(o.terms) == 1 and None not in o.terms:
            ((atom, coeff),) = o.terms.items()
            if coeff == 1 and atom.func is pick:
                args.extend(a for a in atom.args if a not in args)
                plain = False
                continue
        plain = plain and all(a is None for a in o.terms)
        e = o.as_expr(cache)
        if e not in args:
            args.append(e)
    if plain:
        atom = pick(*args, evaluate=False)
    else:
        atom = sympy.Expr.__new__(pick, *args)
        atom._argset = frozenset(args)
    return _Affine({atom: atom_one(options)})


def atom_one(options: list[_Affine]) -> Any:
    for o in options:
        for v in o.terms.values():
            return v.ring.one
    raise AssertionError("an option has a value")  # pragma: no cover


def arithmetic(method: str, n_points: int = 1) -> Arithmetic:
    """Return the arithmetic called ``method``: ``"float"``, ``"exact"`` or ``"symbolic"``."""
    if method == "float":
        return FloatArithmetic(n_points)
    if method == "exact":
        return ExactArithmetic()
    if method == "symbolic":
        return SymbolicArithmetic()
    raise ValueError(f"unknown arithmetic {method!r}; use 'float', 'exact' or 'symbolic'")


def outcomes(flat: FlatTree, arith: Arithmetic, point: Mapping[str, Any]) -> Any:
    """Return the accumulated outcome at every node.

    That is the sum of branch payoffs from the root, plus the terminal's own payoff at terminals.
    """
    own = arith.quantity(flat, flat.payoff, point)
    if flat.branch_payoff.is_constant and not flat.branch_payoff.const.any():
        return own.copy() if own.dtype != object else own
    along = arith.quantity(flat, flat.branch_payoff, point)
    if along.dtype == object:
        total = along.copy()
    else:
        total = np.array(np.broadcast_to(along, (flat.size, max(along.shape[1], own.shape[1]))))
    for level in flat.levels:
        kids = level.children
        total[kids] = total[flat.parent[kids]] + along[kids]
    if total.dtype == object:
        return total + own
    with np.errstate(over="ignore"):  # an overflow is refused, naming the terminal, by the caller
        return total + own


def rollback(
    flat: FlatTree,
    arith: Arithmetic,
    leaf_values: Any,
    probs: Any,
    objective: str,
    forced: np.ndarray | None = None,
    *,
    overwrite: bool = False,
) -> Any:
    """Roll back values from the terminals to the root.

    Parameters
    ----------
    flat : FlatTree
        The compiled tree.
    arith : Arithmetic
        The arithmetic to work in.
    leaf_values : array
        Node-aligned values; only the terminals' entries are read.
    probs : array
        Node-aligned branch probabilities.
    objective : {"max", "min"} or a decision rule name
        What decision nodes do; a rule of :mod:`evtree.core.rules` (such as
        ``"maxi-min"``) also says what chance nodes are worth.
    forced : array of int, optional
        Node-aligned; at a decision node, the flat index of a child whose value
        the node takes instead of the best (-1 where not forced).  In float
        arithmetic it may have a column per point, ``(n_nodes, n_points)``: one
        policy per column (every strategy of a table in one rollback).
    overwrite : bool, default False
        Fill ``leaf_values`` in place instead of a copy.

    Returns
    -------
    array
        The value of every node.
    """
    rule = rule_named(objective)
    objective = rule.decision
    if isinstance(arith, SymbolicArithmetic) and rule.chance == EXPECTED:
        fast = arith.fast_rollback(flat, leaf_values, probs, objective, forced)
        if fast is not None:
            return fast
    if leaf_values.dtype != object and probs.shape[1] > leaf_values.shape[1]:
        values = np.array(np.broadcast_to(leaf_values, (leaf_values.shape[0], probs.shape[1])))
    else:
        values = leaf_values if overwrite else leaf_values.copy()
    forced_levels = _forced_by_level(flat, forced)
    for depth in range(len(flat.levels) - 1, -1, -1):
        level = flat.levels[depth]
        kids = values[level.children]
        if level.all_kind == CHANCE:
            parent_values = _chance_values(arith, rule, probs, kids, level)
        elif level.all_kind == DECISION:
            parent_values = arith.segment_best(kids, level, objective)
        else:
            weighted = _chance_values(arith, rule, probs, kids, level)
            best = arith.segment_best(kids, level, objective)
            is_decision = level.kinds == DECISION
            if isinstance(weighted, np.ndarray) and weighted.dtype != object:
                parent_values = np.where(is_decision[:, None], best, weighted)
            else:
                parent_values = np.where(is_decision, best, weighted)
        values[level.parents] = parent_values
        if forced_levels is not None and forced_levels[depth] is not None:
            nodes_ = forced_levels[depth]
            if forced.ndim == 1:
                values[nodes_] = values[forced[nodes_]]
            else:  # a choice per column (a strategy per column; -1: the best)
                choice = forced[nodes_]
                taken = np.take_along_axis(values, np.maximum(choice, 0), axis=0)
                values[nodes_] = np.where(choice >= 0, taken, values[nodes_])
    return values


def _chance_values(arith: Arithmetic, rule: Rule, probs: Any, kids: Any, level: Level) -> Any:
    """Return the values of a level's chance nodes: expected, or the worst or best child."""
    if rule.chance == EXPECTED:
        return arith.weighted_sum(probs[level.children], kids, level)
    return arith.segment_best(kids, level, rule.chance)


def _forced_by_level(flat: FlatTree, forced: np.ndarray | None) -> list[Any] | None:
    if forced is None:
        return None
    out: list[Any] = []
    for level in flat.levels:
        parents = level.parents
        idx = np.arange(parents.start, parents.stop) if isinstance(parents, slice) else parents
        given = forced[idx] >= 0
        chosen = idx[given if given.ndim == 1 else given.any(axis=1)]
        out.append(chosen if len(chosen) else None)
    return out


def reach_probabilities(flat: FlatTree, probs: Any, chosen: np.ndarray, *, zero: Any = 0) -> Any:
    """Probability of reaching every node when each decision node takes its ``chosen`` child.

    ``chosen`` is node-aligned: for a decision node, the flat index of its chosen
    child (per point in float arithmetic, shape ``(n_nodes, n_points)``).
    """
    reach = np.empty_like(probs)
    reach[0] = 1
    for level in flat.levels:
        kids = level.children
        par = flat.parent[kids]
        step = probs[kids].copy()
        dec = flat.kind[par] == DECISION
        if dec.any():
            own = np.arange(kids.start, kids.stop)[dec]
            taken = chosen[par[dec]] == (own[:, None] if chosen.ndim == 2 else own)
            step[dec] = np.where(taken, 1, zero) if probs.dtype != object else [1 if t else 0 for t in taken]
        reach[kids] = reach[par] * step
    return reach
