"""The decision procedure: certificates, exact corners, case splits, vertices, global search."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from ..core.errors import EvaluationError, ModelError
from ..core.expressions import symbol
from .certificates import _handelman, recheck_identity
from .exact import _compile_exact, _fraction_or_sym, _prepare, _top_atoms
from .solver import DEFAULT_TIMEOUT, decide
from .space import Constraint, ParameterSpace
from .spec import PROVEN, REFUTED, UNDECIDED

#: Box corners tried exactly when looking for a counterexample.
MAX_CORNERS = 1024


# ===================================================================== the decision procedure
@dataclasses.dataclass
class _Outcome:
    verdict: str
    method: str
    certificate: list[str] = dataclasses.field(default_factory=list)
    lower_bound: Any = None
    point: dict[str, Any] | None = None  # free parameter -> exact value
    value: Any = None  # D at the point
    worst: float | None = None
    worst_point: dict[str, float] | None = None
    regions: int = 1
    identity: Any = None
    decided_by: str = ""


class _Prover:
    """Decide one difference over a parameter space: constant, certificate, corners, z3, search.

    Every constraint of the space is kept, whether or not the difference uses its
    parameters: a bound or an assumption on any parameter constrains the space,
    so an empty space is an error and a counterexample always lies in it.
    """

    def __init__(
        self,
        D: sympy.Expr,
        space: ParameterSpace,
        strict: bool,
        *,
        search: bool,
        seed: int,
        timeout: float = DEFAULT_TIMEOUT,
        fast: bool = True,
    ) -> None:
        self.space = space
        self.strict = strict
        self.search = search
        self.seed = seed
        self.timeout = timeout
        self.fast = fast
        subs = {symbol(k): v for k, v in space.fixed.items()}
        self.D = _prepare(sympy.sympify(D).xreplace(subs))
        cons, empty = _simplify_constraints(space.all_constraints())
        if empty:
            raise ModelError("the bounds and assumptions leave no parameter values" + _assumptions(space))
        self.cons = cons
        self.names = sorted(set(space.free) | {s.name for s in self.D.free_symbols})
        self.defaults = {n: _fraction_or_sym(space.tree.parameters[n].exact) for n in self.names}

    def feasible(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point (name -> Fraction) satisfies every constraint."""
        if not hasattr(self, "_checks"):
            self._checks = [(_compile_exact(c.expr), c.strict) for c in self.cons]
        for fn, strict in self._checks:
            try:
                v = fn(point)
            except (ZeroDivisionError, EvaluationError, ValueError, TypeError):
                return False
            if v.has(sympy.zoo, sympy.nan) if isinstance(v, sympy.Basic) else False:
                return False
            if (v <= 0) if strict else (v < 0):
                return False
        return True

    def is_counterexample(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point lies in the space and fails the claim there (exact arithmetic)."""
        if not self.feasible(point):
            return False
        try:
            v = self.value_at(point)
        except (ZeroDivisionError, EvaluationError, ValueError, TypeError):
            return False
        if isinstance(v, sympy.Basic) and v.has(sympy.zoo, sympy.nan):
            return False
        return self.fails(v)

    def value_at(self, point: Mapping[str, Any]) -> Any:
        """Return the difference at an exact point (exact arithmetic)."""
        return _compile_exact(self.D)(point)

    def fails(self, v: Any) -> bool:
        return bool(v <= 0) if self.strict else bool(v < 0)

    def check_nonempty(self) -> bool:
        """Raise ModelError when the constraints leave no parameter values; False when z3 cannot tell."""
        if self.feasible(self.defaults):
            return True
        out = decide(sympy.Integer(-1), self.cons, self.names, False, timeout=self.timeout)
        if out.status == "proven":  # "-1 >= 0 everywhere" holds only on an empty space
            raise ModelError("the assumptions leave no parameter values" + _assumptions(self.space))
        return out.status == "model"

    def run(self) -> _Outcome:
        nonempty = self.check_nonempty()
        D = self.D
        if D.is_number:
            ok = not self.fails(D)
            line = [f"the difference is the constant {D}"]
            if ok:
                return _Outcome(PROVEN, "constant", line, lower_bound=D, decided_by="constant")
            return _Outcome(REFUTED, "constant", line, point={}, value=D, decided_by="constant")
        accept = self.is_counterexample
        out = decide(
            D, self.cons, self.names, self.strict, timeout=self.timeout, defaults=self.defaults, accept=accept
        )
        took = f"{out.seconds:.3g} s"
        if out.status == "proven":
            lines = [
                f"{out.solver}: the negation (the space and D {'<=' if self.strict else '<'} 0) "
                f"is unsatisfiable ({took})"
            ]
            if out.opaque:
                lines.append("non-algebraic terms left free: " + ", ".join(out.opaque))
            if not nonempty:
                lines.append(f"{out.solver} could not tell whether the space has any point")
                return _Outcome(UNDECIDED, "no proof", lines, decided_by=out.solver)
            return _Outcome(PROVEN, "z3", lines, lower_bound=sympy.Integer(0), decided_by=out.solver)
        if out.status == "model" and out.point is not None and accept(out.point):
            value = _compile_exact(D)(out.point)
            how = "rounded from z3's algebraic model" if out.rounded else "z3's model"
            lines = [
                f"{out.solver}: the negation is satisfiable ({took}); "
                f"the difference is {value} at {how} (exact)"
            ]
            point, worse = self.worsen(out.point, value)
            if worse < value:
                lines.append(
                    f"moved parameter by parameter to its bounds: the difference is {worse} there (exact)"
                )
            return _Outcome(REFUTED, "z3 model", lines, point=point, value=worse, decided_by=out.solver)
        why = {
            "unknown": f"{out.solver or 'z3'} gave no answer ({out.reason}, {took})",
            "opaque": f"{out.solver}: a violation exists with the non-algebraic terms "
            + ", ".join(out.opaque)
            + f" left free ({took}); not a counterexample",
            "model": f"{out.solver}: its model, rounded to rationals, fails the exact re-check ({took})",
        }[out.status]
        if self.fast:  # what z3 left open: a certificate (opaque terms as unknowns), exact corners
            found = self.certificate()
            if found is not None:
                found.certificate.insert(0, why)
                return found
            quick = self.corners()
            if quick is not None:
                return quick
        return self.numeric([why])

    def worsen(self, point: dict[str, Any], value: Any, *, passes: int = 3) -> tuple[dict[str, Any], Any]:
        """Move a counterexample one parameter at a time to a bound while that lowers the difference.

        Every accepted point lies in the space and fails the claim (exact checks);
        a counterexample at the far end of the space tells a reader more.
        """
        point = dict(point)
        for _ in range(passes):
            moved = False
            for n in self.names:
                for bound in self.space.bounds.get(n, (None, None)):
                    if bound is None or point.get(n) == bound:
                        continue
                    trial = {**point, n: _fraction_or_sym(bound)}
                    if not self.is_counterexample(trial):
                        continue
                    v = self.value_at(trial)
                    if v < value:
                        point, value, moved = trial, v, True
            if not moved:
                break
        return point, value

    def certificate(self) -> _Outcome | None:
        """Return a degree-2 certificate, re-checked independently, or None."""
        D = self.D
        if not _certificate_may_exist(D, self.cons):
            return None
        found = _handelman(D, self.cons, self.strict)
        if found is None or not recheck_identity(D, found[0].identity(), self.cons):
            return None
        cert, c0 = found
        return _Outcome(
            PROVEN,
            "certificate",
            cert.lines(),
            lower_bound=c0,
            identity=cert.identity(),
            decided_by="certificate (linear programming; identity re-checked by sympy.expand)",
        )

    # -- quick counterexamples at exact corners of the box ----------------------------------
    def corners(self) -> _Outcome | None:
        space = self.space
        names = self.names
        choices = []
        for n in names:
            lo, hi = space.bounds.get(n, (None, None))
            opts = [v for v in (lo, hi) if v is not None]
            default = space.tree.parameters[n].exact
            choices.append(opts or [default])
        count = math.prod(len(c) for c in choices)
        import random

        rng = random.Random(self.seed)
        if count <= MAX_CORNERS:
            points = list(itertools.product(*choices))
        else:
            points = [tuple(rng.choice(c) for c in choices) for _ in range(MAX_CORNERS)]
        points.insert(0, tuple(space.tree.parameters[n].exact for n in names))
        best = None
        for values in points:
            pt = {n: _fraction_or_sym(v) for n, v in zip(names, values)}
            if not self.is_counterexample(pt):
                continue
            v = self.value_at(pt)
            if best is None or v < best[0]:
                best = (v, pt)
        if best is None:
            return None
        v, pt = best
        lines = [f"the difference is {v} at this corner of the parameter box (exact)"]
        return _Outcome(
            REFUTED, "exact corner counterexample", lines, point=pt, value=v, decided_by="exact evaluation"
        )

    # -- numerical evidence ---------------------------------------------------------------
    def numeric(self, lines: list[str]) -> _Outcome:
        if not self.search:
            return _Outcome(UNDECIDED, "none", lines + ["no global search (search=False)"])
        import numpy as np
        from scipy.optimize import differential_evolution

        names = self.names
        syms = [symbol(n) for n in names]
        f = sympy.lambdify(syms, self.D, "numpy")
        gs = [sympy.lambdify(syms, c.expr, "numpy") for c in self.cons]
        bounds = []
        for n in names:
            lo, hi = self.space.bounds.get(n, (None, None))
            default = float(self.space.tree.parameters[n].exact)
            span = 10 * (abs(default) + 1)
            bounds.append(
                (
                    float(lo) if lo is not None else default - span,
                    float(hi) if hi is not None else default + span,
                )
            )

        def objective(x: Any) -> float:
            with np.errstate(all="ignore"):
                v = float(f(*x))
                bad = sum(max(0.0, -float(g(*x))) for g in gs)
            if not math.isfinite(v):
                return 1e12
            return v + 1e6 * bad

        res = differential_evolution(objective, bounds, seed=self.seed, maxiter=150, tol=1e-10, polish=True)
        x = res.x
        worst_point = {n: float(v) for n, v in zip(names, x)}
        worst = float(f(*x))
        for denom in (10**3, 10**6, 10**9):
            pt = {}
            for n, v, (lo, hi) in zip(names, x, bounds):
                if abs(v - lo) < 1e-7 * (1 + abs(lo)):
                    q = Fraction(lo).limit_denominator(10**12)
                elif abs(v - hi) < 1e-7 * (1 + abs(hi)):
                    q = Fraction(hi).limit_denominator(10**12)
                else:
                    q = Fraction(float(v)).limit_denominator(denom)
                pt[n] = q
            if not self.is_counterexample(pt):
                continue
            val = self.value_at(pt)
            text = f"differential evolution found {worst:.6g}; exact value at the rounded point {val}"
            return _Outcome(
                REFUTED,
                "global optimisation + exact check",
                lines + [text],
                point=pt,
                value=val,
                decided_by="differential evolution, then exact evaluation",
            )
        text = f"no proof; differential evolution's worst case {worst:.6g} at {worst_point}"
        return _Outcome(
            UNDECIDED,
            "differential evolution (evidence only)",
            lines + [text],
            worst=worst,
            worst_point=worst_point,
        )


def _certificate_may_exist(D: sympy.Expr, cons: Sequence[Constraint]) -> bool:
    """Whether a degree-2 certificate is worth looking for: no division, degree <= 2 in the atoms."""
    from .solver import _has_division

    if _has_division(D) or any(_has_division(c.expr) for c in cons):
        return False
    gens = sorted(D.free_symbols, key=str) + sorted(_top_atoms(D), key=sympy.default_sort_key)
    try:
        return sympy.Poly(D, *gens).total_degree() <= 2
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return False


def _assumptions(space: ParameterSpace) -> str:
    texts = [str(c) for c in space.constraints if c.origin.startswith("assumption")]
    return (": " + "; ".join(texts)) if texts else ""


def _simplify_constraints(cons: list[Constraint]) -> tuple[list[Constraint], bool]:
    out: list[Constraint] = []
    seen: dict[sympy.Expr, int] = {}
    for c in cons:
        e = c.expr
        if e.is_number:
            if (e <= 0) if c.strict else (e < 0):
                return [], True
            continue
        if e in seen:
            if c.strict and not out[seen[e]].strict:
                out[seen[e]] = c
            continue
        seen[e] = len(out)
        out.append(c)
    return out, False


def _region_text(path: list[str]) -> str:
    return "region " + (" and ".join(path) if path else "(whole space)")


def _point_text(point: Mapping[str, Any] | None) -> str:
    if not point:
        return "{}"
    return "{" + ", ".join(f"{k}={v}" for k, v in point.items()) + "}"
