"""Utility functions: the decision maker's attitude to risk.

A utility maps an outcome ``x`` to a utility ``u(x)``; the rollback then
maximises expected utility, and the value reported at each node is the
certainty equivalent ``u⁻¹(E[u(x)])``.  A utility is stated on a tree (the
``utility`` field of a tree file) or passed to :func:`evtree.evaluate`:

- ``{"type": "linear"}``: risk neutral (the default);
- ``{"type": "exponential", "risk_tolerance": R}``: ``u(x) = 1 - exp(-x / R)``,
  risk averse for ``R > 0``; ``R`` may be a number or an expression over the
  parameters;
- ``{"expression": "log(x + 10)"}``: any increasing expression in ``x`` and the
  parameters, parsed through the whitelist.

``x`` is the utility's own variable: a parameter named ``x`` is refused. The inverse
``u⁻¹`` is found structurally (sympy's ``invert_real``, which only unwinds the
expression and cannot run away); when that gives no single closed form, certainty
equivalents are found numerically (Brent's method), in float arithmetic, and the
result says so (:attr:`Utility.inverse_method`). At every evaluation the utility is
checked where it is used: defined, finite and real at every outcome, never decreasing
from one outcome to a larger one, and, for the exponential, a positive risk tolerance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import sympy

from .errors import EvaluationError, ModelError
from .expressions import as_expr, parse_expression, symbol

__all__ = ["OUTCOME", "TerminalUtilities", "Utility", "exponential", "resolve_utility", "terminal_utilities"]

#: The symbol that stands for the outcome in a utility expression.
OUTCOME = "x"


@dataclasses.dataclass(frozen=True)
class Utility:
    """A utility function ``u(x)`` with its inverse where sympy finds one.

    Attributes
    ----------
    expr : sympy.Expr
        ``u`` as an expression in the outcome symbol ``x`` and the parameters.
    inverse_expr : sympy.Expr or None
        ``u⁻¹`` as an expression in :data:`UTILITY_SYMBOL` (a symbol no parameter can
        be named); ``None`` when there is no single closed form, in which case inverses
        are found numerically.
    spec : dict
        The specification it was made from, as saved in files.
    risk_tolerance : sympy.Expr or None
        ``R`` of an exponential utility (checked positive at every evaluation).
    """

    expr: sympy.Expr
    inverse_expr: sympy.Expr | None
    spec: Mapping[str, Any]
    risk_tolerance: sympy.Expr | None = None

    #: Whether a larger outcome must never get a smaller utility (u-values given per terminal
    #: may break it: then only expected utilities are reported).
    must_increase: ClassVar[bool] = True

    @property
    def inverse_method(self) -> str:
        """How certainty equivalents are found: ``"closed form"`` or ``"numeric (Brent)"``."""
        return "closed form" if self.inverse_expr is not None else "numeric (Brent)"

    @property
    def is_linear(self) -> bool:
        """Whether ``u(x) = x``: a risk-neutral decision maker."""
        return self.expr == symbol(OUTCOME)

    @property
    def exponential_form(self) -> tuple[sympy.Expr, sympy.Expr] | None:
        """``(R, b)`` when ``u(x) = a + b exp(-x/R)``, else ``None``.

        Then float arithmetic rolls back in certainty-equivalent units (log-sum-exp, see
        :class:`~evtree.core.rollback.CertaintyEquivalentArithmetic`): the exponential
        type, and expressions such as ``-exp(-x/5)`` or ``exp(37*x)``.  ``u`` increases
        where ``-b/R > 0``.

        Examples
        --------
        >>> exponential(5).exponential_form
        (5, -1)
        >>> resolve_utility({"expression": "3 - 2*exp(-x/7)"}).exponential_form
        (7, -2)
        >>> resolve_utility({"expression": "log(x)"}).exponential_form is None
        True
        """
        found = self.__dict__.get("_exponential_form", False)
        if found is not False:
            return found
        found = None
        if self.risk_tolerance is not None:
            found = (self.risk_tolerance, sympy.Integer(-1))
        else:
            x = symbol(OUTCOME)
            a, b, c = (sympy.Wild(n, exclude=[x]) for n in "abc")
            try:
                m = self.expr.match(a + b * sympy.exp(c * x))
            except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - sympy's matcher
                m = None
            if m and not m[c].is_zero and not m[b].is_zero and m[c] != 0 and m[b] != 0:
                if not (self.expr - (m[a] + m[b] * sympy.exp(m[c] * x))).expand().has(x):
                    found = (-1 / m[c], m[b])
        object.__setattr__(self, "_exponential_form", found)
        return found

    @property
    def has_delta_property(self) -> bool:
        """Whether adding a sure amount to every outcome adds it to the certainty equivalent.

        True for linear and exponential utilities (and any increasing affine
        transformation of them); then the price of information equals the
        difference of certainty equivalents.

        Examples
        --------
        >>> exponential(10).has_delta_property
        True
        >>> resolve_utility({"expression": "log(x + 10)"}).has_delta_property
        False
        """
        x = symbol(OUTCOME)
        d1 = sympy.diff(self.expr, x)
        if d1 == 0:
            return False
        ratio = sympy.simplify(sympy.diff(self.expr, x, 2) / d1)  # -(Arrow-Pratt risk aversion)
        return bool(not ratio.has(x))

    # forward and inverse in each arithmetic ----------------------------------------------
    def forward(self, outcomes: Any, method: str, point: Mapping[str, Any]) -> Any:
        """Return ``u`` of every entry of ``outcomes``."""
        return self._apply(self.expr, symbol(OUTCOME), outcomes, method, point)

    def of_outcomes(
        self, outcomes: Any, method: str, point: Mapping[str, Any], *, flat: Any = None, probs: Any = None
    ) -> Any:
        """Return ``u`` of every outcome, checked: defined, finite, real and never decreasing.

        ``outcomes`` holds one entry per node (in float arithmetic an array of points per
        node).  With ``flat`` (the compiled tree) and ``probs`` (its branch probabilities)
        only the terminals are checked, and the refusal names the terminal; a terminal
        reached with probability zero (a zero-probability branch above it) contributes
        nothing, so a utility undefined there (``log(0)``) is not refused: it is kept as
        ``-inf`` and the rollback skips zero-probability branches.  Without ``flat`` every
        entry is checked.

        Raises
        ------
        EvaluationError
            If the risk tolerance is not positive at the point, or ``u`` is undefined,
            infinite or complex at an outcome, or smaller at a larger outcome.
        """
        self._check_risk_tolerance(method, point)
        out = self.forward(outcomes, method, point)
        if method == "symbolic":
            return out
        rows = np.arange(len(outcomes)) if flat is None else flat.terminal_indices
        names = (lambda i: "") if flat is None else (lambda i: f" of the terminal '{flat.nodes[i].path}'")
        if method == "float":
            x = np.asarray(outcomes, dtype=float)
            u = np.asarray(out, dtype=float)
            x2, u2 = x.reshape(len(x), -1), u.reshape(len(u), -1)
            bad = ~np.isfinite(u2[rows])
            if bad.any():
                impossible = _impossible(flat, probs)
                for r, c in np.argwhere(bad):
                    i = int(rows[r])
                    if impossible is not None and impossible[i]:
                        continue
                    raise EvaluationError(
                        f"the utility {self.expr} is undefined or infinite at the outcome "
                        f"x = {x2[i, min(c, x2.shape[1] - 1)]:g}{names(i)}"
                    )
                gone = rows[impossible[rows]]
                u2 = np.array(np.broadcast_to(u2, (len(u2), max(u2.shape[1], x2.shape[1]))))
                u2[gone] = np.where(np.isfinite(u2[gone]), u2[gone], -np.inf)
                out = u2 if u.ndim > 1 else u2.reshape(-1)
                rows = rows[~impossible[rows]]
            if self.must_increase:
                _check_increasing(self.expr, x2[rows], np.asarray(out, dtype=float).reshape(len(u), -1)[rows])
            return out
        impossible = None
        for i in rows:
            if not _is_real_number(out[i]):
                if impossible is None:
                    impossible = _impossible(flat, probs)
                if impossible is not None and impossible[i]:
                    out[i] = sympy.S.NegativeInfinity
                    continue
                raise EvaluationError(
                    f"the utility {self.expr} is not a finite real number at the outcome "
                    f"x = {outcomes[i]}{names(i)}"
                )
        if impossible is not None:
            rows = [i for i in rows if not impossible[i]]
        if len(rows) > 1 and self.must_increase:
            xs = np.array([_clamped_float(outcomes[i]) for i in rows], dtype=float).reshape(-1, 1)
            us = np.array([_clamped_float(out[i]) for i in rows], dtype=float).reshape(-1, 1)
            _check_increasing(self.expr, xs, us)
        return out

    def _check_risk_tolerance(self, method: str, point: Mapping[str, Any]) -> None:
        if self.risk_tolerance is None or method == "symbolic":
            return
        r = self.risk_tolerance
        if r.free_symbols:
            names = sorted(str(s) for s in r.free_symbols)
            if method == "float":
                f = sympy.lambdify([symbol(n) for n in names], r, "numpy")
                with np.errstate(all="ignore"):
                    value = np.asarray(f(*(np.asarray(point[n], dtype=float) for n in names)), dtype=float)
                ok = bool(np.all(np.isfinite(value) & (value > 0)))
            else:
                value = r.xreplace({symbol(n): sympy.nsimplify(point[n]) for n in names})
                ok = bool(value.is_positive) and bool(value.is_finite)
        else:
            value, ok = r, bool(r.is_positive)
        if not ok:
            raise EvaluationError(f"the risk tolerance {r} must be positive, got {value}")

    def inverse(self, utilities: Any, method: str, point: Mapping[str, Any]) -> Any:
        """Return ``u⁻¹`` of every entry of ``utilities`` (the certainty equivalents)."""
        if self.inverse_expr is not None:
            return self._apply(self.inverse_expr, UTILITY_SYMBOL, utilities, method, point)
        if method == "symbolic":
            raise EvaluationError(f"the utility {self.expr} has no closed-form inverse; use float arithmetic")
        return self._numeric_inverse(utilities, point, exact=method == "exact")

    def _apply(
        self, expr: sympy.Expr, var: sympy.Symbol, values: Any, method: str, point: Mapping[str, Any]
    ) -> Any:
        params = {symbol(k): v for k, v in point.items() if symbol(k) in expr.free_symbols}
        if method == "float":
            names = sorted(params, key=str)
            f = sympy.lambdify([var, *names], expr, "numpy")
            with np.errstate(all="ignore"):
                out = np.asarray(f(values, *(point[s.name] for s in names)), dtype=float) + 0.0  # no -0.0
            return np.broadcast_to(out, np.shape(values)).copy()
        fixed = expr.xreplace(
            {k: sympy.nsimplify(v) if not isinstance(v, sympy.Basic) else v for k, v in params.items()}
        )
        out = np.empty(len(values), dtype=object)
        from .budget import BudgetError, substitute

        for i, v in enumerate(values):
            v = sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
            try:
                if isinstance(v, sympy.Basic):
                    r = substitute(fixed, {var: v}, in_float_range=False)
                else:
                    r = fixed.xreplace({var: v})
            except BudgetError as err:
                raise EvaluationError(f"the utility {self.expr} at the outcome x = {v}: {err}") from None
            if method == "exact":
                r = sympy.nsimplify(r) if r.is_Float else r
                if r.is_Rational:
                    r = Fraction(int(r.p), int(r.q))
            out[i] = r
        return out

    def _numeric_inverse(self, utilities: Any, point: Mapping[str, Any], *, exact: bool) -> Any:
        from scipy.optimize import brentq

        x = symbol(OUTCOME)
        names = sorted((symbol(k) for k in point if symbol(k) in self.expr.free_symbols), key=str)
        g = sympy.lambdify([x, *names], self.expr, "math")

        def f(v: float, *a: float) -> float:
            try:
                out = complex(g(v, *a))
            except (ValueError, OverflowError, ZeroDivisionError):
                return math.nan
            return out.real if out.imag == 0 else math.nan

        args = [float(point[s.name]) if np.ndim(point[s.name]) == 0 else None for s in names]
        if any(a is None for a in args):
            raise EvaluationError("numeric inversion of a utility needs scalar parameters")
        flat = np.asarray(utilities, dtype=float).reshape(-1)
        out = np.empty_like(flat)
        for i, target in enumerate(flat):
            lo = hi = None
            for k in range(-60, 1024):  # a bracket on the doubling grid +-2**k, inside u's domain
                for v in (-(2.0**k), 2.0**k) if k > -60 else (0.0,):
                    fv = f(v, *args)
                    if math.isnan(fv):
                        continue
                    if fv <= target and (lo is None or v > lo):
                        lo = v
                    if fv >= target and (hi is None or v < hi):
                        hi = v
                if lo is not None and hi is not None:
                    break
            if lo is None or hi is None:
                raise EvaluationError(f"no outcome has the utility {target:g} under {self.expr}")
            out[i] = (
                lo
                if lo == hi
                else brentq(lambda v, t=target: f(v, *args) - t, lo, hi, xtol=1e-14, rtol=1e-15)
            )
        return out.reshape(np.shape(utilities)) if not exact else np.array(list(out), dtype=object)


#: The symbol ``u⁻¹`` is written in: a Dummy, so no parameter name can collide with it.
UTILITY_SYMBOL = sympy.Dummy("u", real=True)


def _impossible(flat: Any, probs: Any) -> np.ndarray | None:
    """Node mask: reached with probability zero whatever the decisions (a zero-probability branch above)."""
    if flat is None or probs is None:
        return None
    p = np.asarray(probs)
    if p.dtype == object:
        zero = np.array([v == 0 for v in p], dtype=bool)
    else:
        zero = (p.reshape(len(p), -1) == 0).all(axis=1)  # zero at every point
    out = zero & flat.under_chance
    for level in flat.levels:
        kids = level.children
        out[kids] |= out[flat.parent[kids]]
    return out


def _clamped_float(v: Any) -> float:
    """Return ``float(v)``, or an infinity of its sign when ``v`` is beyond the float range."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _is_real_number(v: Any) -> bool:
    if isinstance(v, Fraction | int):
        return True
    if isinstance(v, float):
        return bool(np.isfinite(v))
    if isinstance(v, sympy.Basic):
        return bool(v.is_real) and bool(v.is_finite)
    return False


def _check_increasing(expr: sympy.Expr, x: np.ndarray, u: np.ndarray) -> None:
    """Refuse a utility that is smaller at a larger outcome (columns are points)."""
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    us = np.take_along_axis(u, order, axis=0)
    with np.errstate(invalid="ignore"):  # inf - inf: two utilities beyond the float range, not a drop
        drop = (np.diff(xs, axis=0) > 0) & (np.diff(us, axis=0) < 0)
    if drop.any():
        i, j = (int(a[0]) for a in np.nonzero(drop))
        raise EvaluationError(
            f"the utility {expr} decreases from the outcome {xs[i, j]:g} to {xs[i + 1, j]:g}; "
            "a utility must be increasing, or decisions pick the worse option"
        )


def _closed_form_inverse(expr: sympy.Expr) -> sympy.Expr | None:
    """Return ``u⁻¹`` in :data:`UTILITY_SYMBOL` when sympy's structural inverter gives exactly one branch."""
    from sympy.solvers.solveset import invert_real

    x = symbol(OUTCOME)
    try:
        rest, solutions = invert_real(expr, UTILITY_SYMBOL, x)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if rest != x:
        return None
    return _single_solution(solutions)


def _single_solution(solutions: Any) -> sympy.Expr | None:
    """Return the one element of a solution set built of FiniteSet, Intersection and ImageSet."""
    if isinstance(solutions, sympy.FiniteSet):
        return next(iter(solutions)) if len(solutions) == 1 else None
    if isinstance(solutions, sympy.Intersection):
        finite = [_single_solution(a) for a in solutions.args if not isinstance(a, sympy.Interval)]
        finite = [f for f in finite if f is not None]
        return finite[0] if len(finite) == 1 else None
    if isinstance(solutions, sympy.ImageSet) and len(solutions.lamda.variables) == 1:
        inner = _single_solution(solutions.base_sets[0])
        return None if inner is None else solutions.lamda(inner)
    return None


@dataclasses.dataclass(frozen=True)
class TerminalUtilities(Utility):
    """Utilities given per terminal (Howard's u-values) instead of a function of the payoff.

    Decisions maximise expected utility over the terminals' u-values.  Values in
    payoff units (certainty equivalents) come from the tree's utility function
    when it has one, else by piecewise-linear interpolation between the
    terminals' (outcome, u-value) points, which exists when the u-values
    increase strictly with the outcome (equal outcomes having equal u-values);
    otherwise they are NaN (float) or ``None`` (exact), and only expected
    utilities are reported.
    """

    flat: Any = None
    quantity: Any = None
    function: Utility | None = None
    must_increase: ClassVar[bool] = False

    @property
    def is_linear(self) -> bool:
        return False

    @property
    def has_delta_property(self) -> bool:
        return False

    def forward(self, outcomes: Any, method: str, point: Mapping[str, Any]) -> Any:
        from .rollback import arithmetic

        q = self.quantity
        if method == "float":
            n = max([outcomes.shape[1], *(np.size(v) for v in point.values())])
            values = np.repeat(q.const[:, None], n, axis=1)
            if q.exprs:
                names = sorted({s.name for e in q.exprs for s in e.free_symbols})
                f = sympy.lambdify([symbol(s) for s in names], list(q.exprs), "numpy")
                with np.errstate(all="ignore"):
                    table = [
                        np.broadcast_to(np.asarray(v, dtype=float).reshape(-1), (n,))
                        for v in f(*(point[s] for s in names))
                    ]
                for r in np.flatnonzero(q.expr_index >= 0):
                    values[r] = table[int(q.expr_index[r])]
        else:
            values = arithmetic(method, 1).quantity(self.flat, q, point)
        object.__setattr__(self, "_outcomes", outcomes)
        object.__setattr__(self, "_utilities", values)
        return values

    def inverse(self, utilities: Any, method: str, point: Mapping[str, Any]) -> Any:
        if self.function is not None:
            return self.function.inverse(utilities, method, point)
        terms = self.flat.terminal_indices
        xs, us = self._outcomes[terms], self._utilities[terms]
        if method == "float":
            out = np.full(np.shape(utilities), np.nan)
            us = np.broadcast_to(us, (len(terms), utilities.shape[1]))
            xs = np.broadcast_to(xs, (len(terms), utilities.shape[1]))
            for col in range(utilities.shape[1]):
                pts = _increasing_points(list(xs[:, col]), list(us[:, col]))
                if pts is not None:
                    px, pu = zip(*pts)
                    inside = (utilities[:, col] >= pu[0]) & (utilities[:, col] <= pu[-1])
                    out[inside, col] = np.interp(utilities[inside, col], pu, px)
            return out
        pts = _increasing_points(list(xs), list(us))
        out = np.empty(len(utilities), dtype=object)
        for i, y in enumerate(utilities):
            out[i] = None if pts is None else _interpolate(pts, y)
        return out


def _increasing_points(xs: list[Any], us: list[Any]) -> list[tuple[Any, Any]] | None:
    """Return the (outcome, utility) points by outcome, or ``None`` if u is not strictly increasing."""
    pts: dict[Any, Any] = {}
    for x, u in zip(xs, us):
        if x in pts and pts[x] != u:
            return None
        pts[x] = u
    try:
        ordered = sorted(pts.items())
    except TypeError:  # symbolic values cannot be ordered
        return None
    if any(not b[1] > a[1] for a, b in zip(ordered, ordered[1:])):
        return None
    return ordered


def _interpolate(pts: list[tuple[Any, Any]], y: Any) -> Any:
    for (x0, u0), (x1, u1) in zip(pts, pts[1:]):
        if u0 <= y <= u1:
            return x0 + (x1 - x0) * (y - u0) / (u1 - u0)
    return pts[0][0] if len(pts) == 1 and y == pts[0][1] else None


def terminal_utilities(tree: Any, function: Utility | None) -> TerminalUtilities:
    """Return the :class:`TerminalUtilities` of a tree whose terminals carry u-values.

    Raises
    ------
    ModelError
        If some terminals have a utility and others do not.
    """
    from .compile import compile_tree, terminal_utility_quantity

    flat = compile_tree(tree)
    missing = [n for n in tree.terminals if getattr(n, "_utility", None) is None]
    if missing:
        raise ModelError(
            f"{len(missing)} terminals have no utility while others do; give every terminal one "
            "(or none, to use a utility function)",
            node=missing[0].path,
            field="utility",
        )
    quantity = terminal_utility_quantity(tree, flat)
    for j, e in enumerate(quantity.exprs):
        unknown = sorted(s.name for s in e.free_symbols if s.name not in tree.parameters)
        if unknown:
            i = int(np.flatnonzero(quantity.expr_index == j)[0])
            from .errors import UnknownNameError

            raise UnknownNameError(
                f"unknown parameter {unknown[0]!r} in {quantity.raw[i]!r}",
                node=flat.nodes[i].path,
                field="utility",
            )
    x = sympy.Symbol("u_terminal", real=True)
    return TerminalUtilities(x, None, {"type": "terminal"}, flat=flat, quantity=quantity, function=function)


def exponential(risk_tolerance: Any) -> Utility:
    """Return the exponential utility ``u(x) = 1 - exp(-x / R)`` with risk tolerance ``R``.

    Examples
    --------
    >>> u = exponential(100)
    >>> u.expr
    1 - exp(-x/100)
    """
    return resolve_utility({"type": "exponential", "risk_tolerance": risk_tolerance})


def resolve_utility(spec: Any, parameters: Any = None) -> Utility | None:
    """Return the :class:`Utility` a specification describes (``None`` for risk neutral).

    Raises
    ------
    ModelError
        If the specification is malformed, naming the field.
    """
    if spec is None or isinstance(spec, Utility):
        return spec
    if not isinstance(spec, Mapping):
        raise ModelError(f"a utility is a mapping, got {type(spec).__name__}", field="utility")
    allowed = None if parameters is None else set(parameters) | {OUTCOME}
    x = symbol(OUTCOME)
    y = UTILITY_SYMBOL
    kind = spec.get("type", "expression" if "expression" in spec else "linear")
    unknown_keys = set(spec) - {"type", "risk_tolerance", "expression"}
    if unknown_keys:
        raise ModelError(f"unknown key {sorted(unknown_keys)[0]!r}", field="utility")
    if kind == "linear":
        return Utility(x, y, dict(spec))
    if kind == "exponential":
        if "risk_tolerance" not in spec:
            raise ModelError("an exponential utility needs a risk_tolerance", field="utility.risk_tolerance")
        raw = spec["risk_tolerance"]
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Fraction | sympy.Basic):
            raise ModelError(
                f"the risk tolerance is a number or expression text, got {type(raw).__name__}",
                field="utility.risk_tolerance",
            )
        r = parse_expression(raw, allowed) if isinstance(raw, str) else as_expr(raw)
        if x in r.free_symbols:
            raise ModelError(
                "the risk tolerance cannot depend on the outcome x", field="utility.risk_tolerance"
            )
        if r.is_number and not (r.is_positive and r.is_finite):
            raise ModelError(f"risk tolerance must be positive, got {raw}", field="utility.risk_tolerance")
        return Utility(1 - sympy.exp(-x / r), -r * sympy.log(1 - y), dict(spec), risk_tolerance=r)
    if kind == "expression":
        text = spec.get("expression")
        if not isinstance(text, str):
            raise ModelError("give the utility as expression text in x", field="utility.expression")
        if parameters is not None and OUTCOME in parameters:
            raise ModelError(
                f"the parameter {OUTCOME!r} has the name of the utility's outcome variable; rename it",
                field="utility.expression",
            )
        expr = parse_expression(text, allowed)
        if x not in expr.free_symbols:
            raise ModelError(f"utility {text!r} does not depend on the outcome x", field="utility.expression")
        slope = sympy.diff(expr, x)
        if slope.is_number and not slope.is_positive:
            raise ModelError(
                f"utility {text!r} is not increasing in x (its slope is {slope})", field="utility.expression"
            )
        return Utility(expr, _closed_form_inverse(expr), dict(spec))
    raise ModelError(f"unknown utility type {kind!r} (linear, exponential, expression)", field="utility.type")
