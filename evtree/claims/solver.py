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
        if isinstance(e, sympy.Pow) and e.exp.is_Rational:
            return self._root(e)
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

    def _root(self, e: Any) -> Any:
        """Translate ``base ** (p/q)`` as ``v ** p`` where ``v ** q == base`` (and ``v >= 0``, even ``q``)."""
        z3 = self.z3
        p, q = int(e.exp.p), int(e.exp.q)
        base = self(e.base)
        v = z3.Real(f"root{len(self.facts)}")
        self.facts.append(self._power_term(v, q) == base)
        if q % 2 == 0:
            self.facts += [v >= 0, base >= 0]
        if p >= 0:
            return self._power_term(v, p)
        bottom = self._power_term(v, -p)
        self.denominators.append(bottom)
        return 1 / bottom

    def _power_term(self, t: Any, n: int) -> Any:
        out = self.z3.RealVal(1) if n == 0 else t
        for _ in range(n - 1):
            out = out * t
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


class _Clearing:
    """Clear denominators of known sign: ``n / d`` with ``d > 0`` wherever defined becomes ``n``.

    ``Max(a / d, b / d)`` is ``Max(a, b) / d`` when ``d > 0``, and a product
    ``d * Max(a / d, b)`` then cancels to ``Max(a, b d)``: the form Bayes
    posteriors take.  A denominator is cleared only when z3 proves it never
    negative from the box bounds and the constraints without division (a subset
    of the space, so the proof holds on the space); it stays a denominator of
    the claim, which is undefined where it vanishes.
    """

    def __init__(self, polynomial_constraints: Sequence[Any], names: Sequence[str], timeout: float) -> None:
        self.base = polynomial_constraints
        self.names = names
        self.timeout = timeout
        self.sign: dict[Any, bool] = {}
        self.cache: dict[Any, tuple[Any, Any]] = {}
        self.nonzero: set[Any] = set()  # every denominator cleared: the claim is undefined where one is 0

    def positive(self, d: Any) -> bool:
        d = sympy.expand(d)
        if d.is_number:
            return bool(d > 0)
        if d not in self.sign:
            tr = _Translator(self.names)
            try:
                space = [tr(c.expr) > 0 if c.strict else tr(c.expr) >= 0 for c in self.base]
                status, _ = _solve(space + [tr(d) < 0], min(self.timeout, 2.0))
            except _NotAlgebraic:  # pragma: no cover - polynomial constraints translate
                status = "unknown"
            self.sign[d] = status == "unsat"
        return self.sign[d]

    def orient(self, n: Any, d: Any) -> tuple[Any, Any] | None:
        """Return ``(n, d)`` or ``(-n, -d)``, whichever has the positive denominator; None if neither."""
        if d == 1:
            return n, d
        if self.positive(d):
            self.nonzero.add(sympy.expand(d))
            return n, d
        if self.positive(-d):
            self.nonzero.add(sympy.expand(-d))
            return sympy.expand(-n), sympy.expand(-d)
        return None

    def __call__(self, e: Any) -> tuple[Any, Any]:
        """Return ``(numerator, denominator)`` with the denominator proven positive where defined."""
        hit = self.cache.get(e)
        if hit is None:
            hit = self._clear(e)
            self.cache[e] = hit
        return hit

    def _clear(self, e: Any) -> tuple[Any, Any]:
        one = sympy.Integer(1)
        if e.is_Atom:
            return e, one
        if isinstance(e, sympy.Add):
            parts = [self(a) for a in e.args]
            den = one
            for _, d in parts:
                den = sympy.lcm(den, d) if d != 1 else den
            num = sympy.Add(*[n * _quo(den, d) for n, d in parts])
            oriented = self.orient(num, den)
            return oriented if oriented is not None else (e, one)
        if isinstance(e, sympy.Mul):
            num, den = one, one
            for a in e.args:
                n, d = self(a)
                num, den = num * n, den * d
            if den == 1:
                return num, den
            n, d = _cancel(num, den)
            oriented = self.orient(n, d)
            return oriented if oriented is not None else (n / d, one)
        if isinstance(e, sympy.Pow) and e.exp.is_Integer:
            n, d = self(e.base)
            k = int(e.exp)
            if k >= 0:
                return n**k, d**k
            oriented = self.orient(d ** (-k), n ** (-k))
            return oriented if oriented is not None else (e, one)
        if isinstance(e, (sympy.Max, sympy.Min)):
            parts = [self(a) for a in e.args]
            den = one
            for _, d in parts:
                den = sympy.lcm(den, d) if d != 1 else den
            if den != 1:
                oriented = self.orient(one, den)
                if oriented is None:
                    return e, one
                den = oriented[1]
            args = [sympy.expand(n * _quo(den, d)) for n, d in parts]
            return type(e)(*args, evaluate=False), den
        return e, one


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
        polynomial = [c for c in constraints if not _has_division(c.expr)]
        clear = _Clearing(polynomial, names, timeout)
        space = []
        for c in constraints:
            if not _has_division(c.expr):
                t = tr(c.expr)
                space.append(t > 0 if c.strict else t >= 0)
                continue
            n, den = clear(sympy.sympify(c.expr))
            if not c.strict and clear.positive(n) or c.strict and n.is_number and n > 0:
                continue  # implied by the constraints without division (a posterior in [0, 1])
            t = tr(n)
            space.append(t > 0 if c.strict else t >= 0)
        n, den = clear(sympy.sympify(D)) if _has_division(D) else (D, 1)
        d = tr(n)
        # a cleared denominator is never negative; where it is 0 the claim is undefined
        space += [tr(x) > 0 for x in sorted(clear.nonzero, key=sympy.default_sort_key)]
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


def _quo(a: Any, b: Any) -> Any:
    """Return the exact polynomial quotient ``a / b`` (``b`` divides ``a``)."""
    if b == 1:
        return a
    gens = sorted(sympy.sympify(a).free_symbols | sympy.sympify(b).free_symbols, key=str)
    q, r = sympy.div(sympy.Poly(a, *gens, domain="QQ"), sympy.Poly(b, *gens, domain="QQ"))
    if not r.is_zero:  # pragma: no cover - b is a factor of the lcm a
        return sympy.cancel(a / b)
    return q.as_expr()


def _cancel(num: Any, den: Any) -> tuple[Any, Any]:
    """Cancel the common polynomial factors of ``num / den`` (Max and other atoms as generators)."""
    gens = sorted(num.free_symbols | den.free_symbols, key=str)
    gens += sorted(sympy.sympify(num).atoms(sympy.Max, sympy.Min), key=sympy.default_sort_key)
    try:
        p = sympy.Poly(num, *gens, domain="QQ")
        q = sympy.Poly(den, *gens, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        n, d = sympy.fraction(sympy.cancel(num / den))
        return n, d
    c, p, q = p.cancel(q)
    return sympy.expand(c * p.as_expr()), q.as_expr()


def _has_division(e: Any) -> bool:
    return any(p.exp.is_negative for p in sympy.sympify(e).atoms(sympy.Pow))


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
