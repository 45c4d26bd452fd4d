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
bound the region's cells (:func:`boundary_curves`); :func:`exact_cells_2d`
cuts the parameter box along them by an exact cylindrical algebraic
decomposition (:mod:`evtree.core.decompose`: critical x-values from
discriminants, leading coefficients and pairwise resultants, the curves'
roots in ``y`` ordered in each slab) and decides the verdict exactly at a
rational point of every 2-D cell.  Adjacent cells of consecutive slabs with
the same verdict and the same bounding curves are merged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import sympy

from ..core.decompose import Decomposition, Section, decompose, merge
from .exact import _exact_value

#: The largest decomposition :func:`exact_cells_2d` lifts (slabs times curves); beyond it the
#: region keeps its exact condition and curves, without cells.
MAX_CELLS = 20_000

__all__ = ["MAX_CELLS", "RegionArc", "RegionCell", "boundary_curves", "exact_cells_2d", "exact_set_1d"]


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


# ===================================================================== two parameters: cells
@dataclasses.dataclass(frozen=True)
class RegionCell:
    """One 2-D cell of a two-parameter region: ``lo < x < hi`` and, there, between two bounds.

    Attributes
    ----------
    lo, hi : sympy.Expr
        The x-interval's exact endpoints (rationals, radicals where sympy finds them, else
        ``CRootOf``; ``-oo``/``oo`` when unbounded).
    lo_float, hi_float : float
    lower, upper : sympy.Expr or None
        The bounding curve as an expression in the two parameters (``f`` of ``f = 0``),
        or None for the box's edge.
    lower_root, upper_root : int
        Which real root in the second parameter of that curve (0 = lowest) bounds the cell.
    lower_solved, upper_solved : sympy.Expr or None
        The bound as ``y = g(x)`` when the curve is linear in ``y``.
    holds : bool
        Whether the claim holds in the cell (decided exactly at ``sample``).
    sample : (sympy.Rational, sympy.Rational)
    """

    lo: Any
    hi: Any
    lo_float: float
    hi_float: float
    lower: Any
    upper: Any
    lower_root: int
    upper_root: int
    lower_solved: Any
    upper_solved: Any
    holds: bool
    sample: tuple[Any, Any]
    _cells: tuple = dataclasses.field(repr=False, default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        def bound(expr: Any, root: int, solved: Any, edge: str) -> Any:
            if expr is None:
                return edge
            out: dict[str, Any] = {"curve": f"{expr} = 0", "root": root}
            if solved is not None:
                out["solved"] = str(solved)
            return out

        return {
            "x": [str(self.lo), str(self.hi)],
            "x_float": [v if math.isfinite(v) else None for v in (self.lo_float, self.hi_float)],
            "lower": bound(self.lower, self.lower_root, self.lower_solved, "box"),
            "upper": bound(self.upper, self.upper_root, self.upper_solved, "box"),
            "holds": self.holds,
            "sample": [str(v) for v in self.sample],
        }


@dataclasses.dataclass(frozen=True)
class RegionArc:
    """An arc of a boundary curve over one slab ``lo < x < hi``: whether the claim holds on it.

    Attributes
    ----------
    lo, hi : sympy.Expr
        The slab's exact endpoints (``-oo``/``oo`` when unbounded).
    curve : sympy.Expr
        The curve ``f`` of ``f = 0``.
    root : int
        Which real root of ``f`` in the second parameter (0 = lowest) the arc is.
    holds : bool
        Whether the claim holds on the arc (decided at ``sample``: exactly where the
        root is rational, else by z3 with the root as ``g(y) = 0`` in its isolating interval).
    sample : (sympy.Expr, sympy.Expr)
    """

    lo: Any
    hi: Any
    curve: Any
    root: int
    holds: bool
    sample: tuple[Any, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": [str(self.lo), str(self.hi)],
            "curve": f"{self.curve} = 0",
            "root": self.root,
            "holds": self.holds,
            "sample": [str(v) for v in self.sample],
        }


def _sym(q: Any) -> Any:
    return sympy.Rational(int(q.p), int(q.q))


def _box_of(domain: Sequence[Any], xs: Sequence[Any]) -> tuple[tuple[Any, Any], ...]:
    """Return the box of the parameters' bounds: linear constraints in one parameter alone."""
    out = []
    for x in xs:
        lo = hi = None
        for c in domain:
            e = sympy.expand(c.expr)
            if e.free_symbols != {x}:
                continue
            try:
                poly = sympy.Poly(e, x)
            except sympy.PolynomialError:
                continue
            if poly.degree() != 1:
                continue
            a, b = poly.all_coeffs()
            if not (a.is_Rational and b.is_Rational):
                continue
            v = -b / a
            if a > 0:
                lo = v if lo is None else max(lo, v)
            else:
                hi = v if hi is None else min(hi, v)
        if lo is not None and hi is not None and lo > hi:
            hi = lo
        out.append((lo, hi))
    return tuple(out)


def exact_cells_2d(
    D: Any, domain: Sequence[Any], xs: Sequence[Any], strict: bool
) -> tuple[Decomposition, tuple[RegionCell, ...]]:
    """Cut the parameter box into exact cells and decide the claim ``D >= 0`` (``> 0``) in each.

    ``domain`` holds Constraint records in the two parameters.  Raises
    ``sympy.PolynomialError`` when a piece is not a rational function of them, and
    ``DecompositionTooLarge`` beyond :data:`MAX_CELLS`.
    """
    x, y = xs
    exprs = _critical_expressions(D)
    for c in domain:
        exprs += _critical_expressions(c.expr)
    box = _box_of(domain, xs)

    def holds_at(point: Any) -> bool:
        subs = {x: _sym(point[0]), y: _sym(point[1])}
        for c in domain:
            v = _exact_value(c.expr, subs)
            if v.has(sympy.zoo, sympy.nan) or ((v <= 0) if c.strict else (v < 0)):
                return False
        v = _exact_value(D, subs)
        if v.has(sympy.zoo, sympy.nan):
            return False
        return bool(v > 0) if strict else bool(v >= 0)

    dec = decompose(exprs, x, y, box, decide=lambda pts: [holds_at(p) for p in pts], max_cells=MAX_CELLS)
    records = []
    for run in merge(dec):
        first, last = run[0], run[-1]

        def bound(section: Section | None) -> tuple[Any, int, Any]:
            if section is None:
                return None, -1, None
            curve = dec.curves[section.curve]
            solved = None
            if sympy.degree(curve, y) == 1:
                a = curve.coeff(y, 1)
                solved = sympy.simplify(-(curve - a * y) / a)
            return curve, section.index, solved

        lo_expr, lo_f = (
            (first.lo.to_sympy(), float(first.lo))
            if first.lo is not None
            else (sympy.S.NegativeInfinity, -float("inf"))
        )
        hi_expr, hi_f = (
            (last.hi.to_sympy(), float(last.hi)) if last.hi is not None else (sympy.S.Infinity, float("inf"))
        )
        lower, lower_root, lower_solved = bound(first.lower)
        upper, upper_root, upper_solved = bound(first.upper)
        records.append(
            RegionCell(
                lo=lo_expr,
                hi=hi_expr,
                lo_float=lo_f,
                hi_float=hi_f,
                lower=lower,
                upper=upper,
                lower_root=lower_root,
                upper_root=upper_root,
                lower_solved=lower_solved,
                upper_solved=upper_solved,
                holds=bool(first.label),
                sample=(_sym(first.sample[0]), _sym(first.sample[1])),
                _cells=tuple(run),
            )
        )
    return dec, tuple(records)


def boundary_arcs(
    dec: Decomposition, D: Any, domain: Sequence[Any], strict: bool, *, timeout: float = 10.0
) -> tuple[RegionArc, ...]:
    """Decide the claim on every arc of a boundary curve over each slab of ``dec``.

    On such an arc every other curve keeps its sign, so the verdict is that at one point:
    the slab's rational ``x`` and the algebraic root ``y`` of the curve there.
    """
    from .solver import _solve, _Translator

    x, y = dec.x, dec.y
    out = []
    for slab in dec.slabs:
        qx = _sym(slab.sample)
        lo = slab.lo.to_sympy() if slab.lo is not None else sympy.S.NegativeInfinity
        hi = slab.hi.to_sympy() if slab.hi is not None else sympy.S.Infinity
        for section, root in slab.sections:
            if root.q is not None:
                qy = _sym(root.q)
                subs = {x: qx, y: qy}
                ok = all(
                    not (v := _exact_value(c.expr, subs)).has(sympy.zoo, sympy.nan)
                    and ((v > 0) if c.strict else (v >= 0))
                    for c in domain
                )
                if ok:
                    v = _exact_value(D, subs)
                    ok = not v.has(sympy.zoo, sympy.nan) and bool((v > 0) if strict else (v >= 0))
                sample = (qx, qy)
            else:
                tr = _Translator([x.name, y.name])
                ylo, yhi = (_sym(b) for b in root.bounds())
                ys = tr(y)
                key = root.polynomial() or ()
                g = sum(sympy.Integer(c) * y**k for k, c in enumerate(key))
                constraints = [tr(x) == tr(qx), tr(g) == 0, ys >= tr(ylo), ys <= tr(yhi)]
                for c in domain:
                    t = tr(c.expr)
                    constraints.append(t > 0 if c.strict else t >= 0)
                d = tr(D)
                constraints.append(d > 0 if strict else d >= 0)
                constraints += [den != 0 for den in tr.denominators]
                status, _ = _solve(constraints, timeout)
                if status == "unknown":  # pragma: no cover - one algebraic point
                    raise sympy.PolynomialError(
                        f"z3 could not decide the claim on {dec.curves[section.curve]} = 0"
                    )
                ok = status == "sat"
                sample = (qx, root.to_sympy())
            out.append(RegionArc(lo, hi, dec.curves[section.curve], section.index, bool(ok), sample))
    return tuple(out)
