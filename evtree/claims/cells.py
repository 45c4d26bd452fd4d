"""Exact regions by cell decomposition: where a claim holds, bounded by exact algebraic numbers and curves.

One parameter: every polynomial whose sign can change the claim's verdict
(numerators and denominators of each piece of the difference, the switch
points of each ``Max``/``Min``, the constraints of the domain) is factored and
its real roots isolated exactly (``sympy.Poly.real_roots``: rationals, closed
forms such as ``sqrt(2)`` where sympy finds them, else ``CRootOf``).  The
verdict is constant on each open cell between two consecutive roots; it is
decided exactly at a rational point of every cell, and at every root with z3
(the root as ``f(x) = 0`` inside its isolating interval).  The region is the
union of the cells and roots where the claim holds.

Two parameters: the same polynomials, in both parameters, are the curves that
bound the region's cells (:func:`boundary_curves`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

__all__ = ["boundary_curves", "exact_set_1d"]


def _relational_polys(cond: Any) -> list[Any]:
    out = []
    for rel in cond.atoms(sympy.Rel):
        out.append(rel.lhs - rel.rhs)
    return out


def _critical_expressions(e: Any) -> list[Any]:
    """Expressions whose zeros bound the cells of ``e >= 0``."""
    e = sympy.sympify(e)
    if e.has(sympy.Abs):
        e = e.replace(sympy.Abs, lambda a: sympy.Max(a, -a))
    out: list[Any] = []
    for m in e.atoms(sympy.Max, sympy.Min):
        args = list(m.args)
        out += [a - b for i, a in enumerate(args) for b in args[i + 1 :]]
    pieces = sympy.piecewise_fold(e.rewrite(sympy.Piecewise)) if out else e
    exprs = [p for p, _ in pieces.args] if isinstance(pieces, sympy.Piecewise) else [pieces]
    if isinstance(pieces, sympy.Piecewise):
        for _, cond in pieces.args:
            out += _relational_polys(cond)
    for p in exprs:
        n, d = sympy.fraction(sympy.together(p))
        out += [n, d]
    return out


def _factors(exprs: Sequence[Any], gens: Sequence[Any]) -> list[Any]:
    """Distinct irreducible polynomial factors (non-constant) of the expressions, as Polys."""
    seen: dict[Any, Any] = {}
    for e in exprs:
        e = sympy.expand(e)
        if e.is_number:
            continue
        p = sympy.Poly(e, *gens, domain="QQ")  # raises PolynomialError when not polynomial
        for f, _ in p.factor_list()[1]:
            if f.total_degree() > 0:
                f = f.monic()
                seen.setdefault(f.as_expr(), f)
    return list(seen.values())


def exact_set_1d(D: Any, domain: Sequence[Any], x: Any, strict: bool, *, timeout: float = 10.0) -> Any:
    """Return the exact set of ``x`` where every domain constraint holds and ``D >= 0`` (``> 0``).

    ``domain`` holds Constraint records in ``x`` alone.  Raises
    ``sympy.PolynomialError`` when a piece is not a rational function of ``x``.
    """
    exprs = _critical_expressions(D)
    for c in domain:
        exprs += _critical_expressions(c.expr)
    factors = _factors(exprs, [x])
    roots: list[tuple[Any, Any, Any]] = []  # (root, factor, isolating interval)
    for f in factors:
        intervals = f.intervals()
        for r, (iv, _) in zip(f.real_roots(), intervals):
            roots.append((r, f, iv))
    roots.sort(key=lambda t: sympy.N(t[0], 50))

    def holds_at_rational(q: Any) -> bool:
        for c in domain:
            v = sympy.sympify(c.expr).xreplace({x: q})
            if v.has(sympy.zoo, sympy.nan) or ((v <= 0) if c.strict else (v < 0)):
                return False
        try:
            v = sympy.sympify(D).xreplace({x: q})
        except (ValueError, TypeError, ZeroDivisionError):
            return False
        if v.has(sympy.zoo, sympy.nan):
            return False
        return bool(v > 0) if strict else bool(v >= 0)

    def holds_at_root(r: Any, f: Any, iv: Any) -> bool:
        if r.is_Rational:
            return holds_at_rational(r)
        from .solver import _solve, _Translator

        tr = _Translator([x.name])
        lo, hi = (sympy.Rational(v) for v in iv)
        xs = tr(x)
        constraints = [tr(f.as_expr()) == 0, xs > tr(lo), xs < tr(hi)]
        for c in domain:
            t = tr(c.expr)
            constraints.append(t > 0 if c.strict else t >= 0)
        d = tr(D)
        constraints.append(d > 0 if strict else d >= 0)
        constraints += [den != 0 for den in tr.denominators]
        status, _ = _solve(constraints, timeout)
        if status == "unknown":  # pragma: no cover - one univariate algebraic point
            raise sympy.PolynomialError(f"z3 could not decide the claim at {r}")
        return status == "sat"

    def between(a: Any, b: Any) -> Any:
        for digits in (20, 40, 80):
            mid = (sympy.N(a, digits) + sympy.N(b, digits)) / 2
            q = sympy.Rational(str(mid))
            if a < q < b:
                return q
        return sympy.nsimplify((a + b) / 2)  # pragma: no cover - roots 10^-80 apart

    points = [r for r, _, _ in roots]
    if not points:
        return sympy.S.Reals if holds_at_rational(sympy.Integer(0)) else sympy.S.EmptySet
    pieces = []
    ends = [sympy.S.NegativeInfinity, *points, sympy.S.Infinity]
    for i in range(len(ends) - 1):
        a, b = ends[i], ends[i + 1]
        if a == sympy.S.NegativeInfinity:
            q = sympy.floor(sympy.N(b, 30)) - 1
        elif b == sympy.S.Infinity:
            q = sympy.ceiling(sympy.N(a, 30)) + 1
        else:
            q = between(a, b)
        if holds_at_rational(sympy.Rational(q)):
            pieces.append(sympy.Interval.open(a, b))
    for r, f, iv in roots:
        if holds_at_root(r, f, iv):
            pieces.append(sympy.FiniteSet(r))
    return sympy.Union(*pieces) if pieces else sympy.S.EmptySet


def boundary_curves(D: Any, domain: Sequence[Any], xs: Sequence[Any]) -> list[Any]:
    """Return the exact curves ``f(x, y) = 0`` that bound the cells of the region (irreducible factors).

    Returns an empty list when a piece is not a rational function.
    """
    exprs = _critical_expressions(D)
    for c in domain:
        exprs += _critical_expressions(c.expr)
    try:
        return [sympy.Eq(f.as_expr(), 0) for f in _factors(exprs, list(xs))]
    except (sympy.PolynomialError, sympy.CoercionFailed):
        return []
