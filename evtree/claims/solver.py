"""The decision procedure: z3 decides the claim's negation over the parameter space.

A claim's difference ``D`` (lhs - rhs) and every constraint of the space (bounds,
probability simplex, assumptions) are translated to z3 terms over real
variables, one per free parameter: ``+ - * /``, integer powers, and ``Max`` /
``Min`` / ``Abs`` / ``Piecewise`` as nested ``If`` (decision values stay nested
maxima; strategies are never listed).  z3 then decides, in nonlinear real
arithmetic (a complete procedure for polynomial constraints), whether

    space  and  every denominator != 0  and  D < 0        (D <= 0 for a strict claim)

has a solution:

* *unsat*: no point of the space violates the claim; the claim is **proven**;
* *sat*: z3's model is a point (exact rationals, or algebraic numbers that are
  rounded to rationals), re-checked in exact arithmetic by the caller;
* *unknown* (time-out): the claim stays undecided.

Terms that are not algebraic (``exp``, ``log``, ...) are replaced by free real
variables (the same term by the same variable; ``exp(...) > 0``): a proof with
them free is a proof, while a model is no counterexample, so such claims are
refuted only by an exact re-check of a point found by search.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

__all__ = ["Z3Outcome", "decide", "z3_version"]

#: Seconds z3 may spend on one claim before it is left undecided.
DEFAULT_TIMEOUT = 20.0


class _NotAlgebraic(Exception):
    pass


def z3_version() -> str:
    """Return ``"z3 <version>"``."""
    import z3

    return f"z3 {z3.get_version_string()}"


@dataclasses.dataclass
class Z3Outcome:
    """What z3 said: ``"proven"``, ``"model"`` (a candidate point), ``"unknown"``, or ``"opaque"``.

    ``opaque`` is a model found with non-algebraic terms left free: not a
    counterexample.  ``point`` maps free parameter names to exact rationals
    (rounded when z3 gave algebraic numbers; ``rounded`` says so).
    """

    status: str
    point: dict[str, Fraction] | None = None
    rounded: bool = False
    seconds: float = 0.0
    solver: str = ""
    opaque: tuple[str, ...] = ()
    reason: str = ""


class _Translator:
    """sympy expression -> z3 term, memoised so shared sub-expressions stay shared."""

    def __init__(self, names: Sequence[str]) -> None:
        import z3

        self.z3 = z3
        self.vars = {n: z3.Real(n) for n in names}
        self.cache: dict[Any, Any] = {}
        self.denominators: list[Any] = []
        self.opaque: dict[Any, Any] = {}
        self.facts: list[Any] = []

    def rational(self, v: Any) -> Any:
        v = sympy.Rational(v)
        return self.z3.RealVal(f"{v.p}/{v.q}")

    def __call__(self, e: Any) -> Any:
        e = sympy.sympify(e)
        hit = self.cache.get(e)
        if hit is None:
            hit = self._build(e)
            self.cache[e] = hit
        return hit

    def _build(self, e: Any) -> Any:
        z3 = self.z3
        if e.is_Symbol:
            if e.name not in self.vars:
                self.vars[e.name] = z3.Real(e.name)
            return self.vars[e.name]
        if e.is_Rational:
            return self.rational(e)
        if e.is_Float:
            return self.rational(sympy.Rational(e))
        if isinstance(e, sympy.Add):
            return z3.Sum([self(a) for a in e.args])
        if isinstance(e, sympy.Mul):
            num, den = [], []
            for a in e.args:
                if isinstance(a, sympy.Pow) and a.exp.is_Integer and a.exp < 0:
                    den.append(self._power(a.base, -int(a.exp)))
                else:
                    num.append(self(a))
            top = num[0] if len(num) == 1 else z3.Product(num) if num else z3.RealVal(1)
            if not den:
                return top
            bottom = den[0] if len(den) == 1 else z3.Product(den)
            self.denominators.append(bottom)
            return top / bottom
        if isinstance(e, sympy.Pow) and e.exp.is_Integer:
            n = int(e.exp)
            if n >= 0:
                return self._power(e.base, n)
            bottom = self._power(e.base, -n)
            self.denominators.append(bottom)
            return 1 / bottom
        if isinstance(e, (sympy.Max, sympy.Min)):
            args = [self(a) for a in e.args]
            out = args[0]
            for a in args[1:]:
                out = z3.If(a > out, a, out) if isinstance(e, sympy.Max) else z3.If(a < out, a, out)
            return out
        if isinstance(e, sympy.Abs):
            a = self(e.args[0])
            return z3.If(a >= 0, a, -a)
        if isinstance(e, sympy.Piecewise):
            out = None
            for expr, cond in reversed(e.args):
                val = self(expr)
                out = val if out is None or cond == sympy.true else z3.If(self.boolean(cond), val, out)
            return out
        return self._opaque(e)

    def _power(self, base: Any, n: int) -> Any:
        b = self(base)
        if n == 0:
            return self.z3.RealVal(1)
        out = b
        for _ in range(n - 1):
            out = out * b
        return out

    def _opaque(self, e: Any) -> Any:
        z3 = self.z3
        v = z3.Real(f"opaque{len(self.opaque)}")
        self.opaque[e] = v
        if isinstance(e, sympy.exp):
            self.facts.append(v > 0)
        return v

    def boolean(self, cond: Any) -> Any:
        z3 = self.z3
        if cond == sympy.true:
            return z3.BoolVal(True)
        if cond == sympy.false:
            return z3.BoolVal(False)
        if isinstance(cond, sympy.And):
            return z3.And([self.boolean(c) for c in cond.args])
        if isinstance(cond, sympy.Or):
            return z3.Or([self.boolean(c) for c in cond.args])
        if isinstance(cond, sympy.Not):
            return z3.Not(self.boolean(cond.args[0]))
        ops = {
            sympy.GreaterThan: lambda a, b: a >= b,
            sympy.StrictGreaterThan: lambda a, b: a > b,
            sympy.LessThan: lambda a, b: a <= b,
            sympy.StrictLessThan: lambda a, b: a < b,
            sympy.Eq: lambda a, b: a == b,
            sympy.Ne: lambda a, b: a != b,
        }
        for cls, op in ops.items():
            if isinstance(cond, cls):
                return op(self(cond.lhs), self(cond.rhs))
        raise _NotAlgebraic(type(cond).__name__)


def _value(model: Any, v: Any, digits: int) -> tuple[Fraction, bool]:
    """Return a model value as an exact rational, and whether it was rounded from an algebraic number."""
    import z3

    val = model.eval(v, model_completion=True)
    if z3.is_rational_value(val):
        return Fraction(val.numerator_as_long(), val.denominator_as_long()), False
    if z3.is_algebraic_value(val):
        approx = val.approx(digits)
        return Fraction(approx.numerator_as_long(), approx.denominator_as_long()), True
    return Fraction(str(val.as_decimal(digits)).rstrip("?")), True  # pragma: no cover - other numerals


def decide(
    D: Any,
    constraints: Sequence[Any],
    names: Sequence[str],
    strict: bool,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    defaults: Mapping[str, Fraction] | None = None,
    accept: Any = None,
) -> Z3Outcome:
    """Decide ``D >= 0`` (``> 0`` when strict) over the constraints with z3.

    Parameters
    ----------
    D : sympy.Expr
        The difference, in the free parameters ``names``.
    constraints : sequence of Constraint
        Every constraint of the space (``expr >= 0`` or ``> 0``).
    names : sequence of str
        The free parameters.
    timeout : float
        Seconds before z3 gives up (``unknown``).
    defaults : mapping, optional
        Values for parameters that appear in no formula.
    accept : callable, optional
        ``accept(point) -> bool``: whether a rounded point is a counterexample
        (exact check); rounding goes to more digits until it is.
    """
    start = time.perf_counter()
    tr = _Translator(names)
    try:
        space = []
        for c in constraints:
            t = tr(c.expr)
            space.append(t > 0 if c.strict else t >= 0)
        d = tr(D)
    except _NotAlgebraic as err:
        return Z3Outcome("unknown", seconds=time.perf_counter() - start, reason=f"cannot translate {err}")
    negation = d <= 0 if strict else d < 0
    solver_name = z3_version()
    status, model = _solve(space + [den != 0 for den in tr.denominators] + tr.facts + [negation], timeout)
    seconds = time.perf_counter() - start
    opaque = tuple(sorted(str(e) for e in tr.opaque))
    if status == "unsat":
        return Z3Outcome("proven", seconds=seconds, solver=solver_name, opaque=opaque)
    if status == "unknown":
        return Z3Outcome("unknown", seconds=seconds, solver=solver_name, opaque=opaque, reason="time-out")
    if opaque:
        return Z3Outcome("opaque", seconds=seconds, solver=solver_name, opaque=opaque)
    point: dict[str, Fraction] = {}
    rounded = False
    for digits in (30, 60, 120):
        rounded = False
        point = {}
        for n in names:
            if n in tr.vars and any(str(x) == n for x in model.decls()):
                point[n], r = _value(model, tr.vars[n], digits)
                rounded |= r
            elif defaults is not None and n in defaults:
                point[n] = defaults[n]
            else:
                point[n] = Fraction(0)
        if not rounded or accept is None or accept(point):
            break
    return Z3Outcome("model", point, rounded, time.perf_counter() - start, solver_name)


def _solve(assertions: list[Any], timeout: float) -> tuple[str, Any]:
    """Check with z3's default solver, then, if it gives up, with nlsat (complete for polynomials)."""
    import z3

    deadline = time.perf_counter() + timeout
    s = z3.Solver()
    s.set("timeout", max(1, int(timeout * 1000)))
    s.add(*assertions)
    r = s.check()
    if r == z3.unknown:
        left = deadline - time.perf_counter()
        if left > 0.05:
            tactic = z3.Then("simplify", "purify-arith", "elim-term-ite", "qfnra-nlsat")
            s = z3.TryFor(tactic, max(1, int(left * 1000))).solver()
            s.add(*assertions)
            try:
                r = s.check()
            except z3.Z3Exception:  # pragma: no cover - tactic refused the goal
                r = z3.unknown
    if r == z3.unsat:
        return "unsat", None
    if r == z3.sat:
        return "sat", s.model()
    return "unknown", None
