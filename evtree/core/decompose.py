"""Exact cylindrical algebraic decomposition of a box in two parameters.

Given polynomial curves ``f(x, y) = 0`` with rational coefficients and a box
(each edge a rational number, or unbounded), the box is cut into *cells* on
which every curve has a constant sign:

1. **Projection.** The curves are factored into distinct irreducible
   polynomials (python-flint's ``fmpq_mpoly.factor``).  The *critical*
   x-values are the real roots, inside the box, of: every factor in ``x``
   alone; each curve's leading coefficient in ``y`` and its discriminant in
   ``y``; each curve at the box's lower and upper edges ``f(x, y0)``,
   ``f(x, y1)``; and the resultant in ``y`` of every pair of curves
   (``fmpq_mpoly.resultant`` / ``discriminant``).  Their real roots are
   isolated exactly (``fmpz_poly.factor`` and ``complex_roots``: certified
   enclosures, real roots with an exactly zero imaginary part).
2. **Lifting.** Between two consecutive critical values (a *slab*) no curve
   meets another, a box edge or itself, nor goes off to infinity, so the real
   roots in ``y`` of each curve are continuous functions of ``x`` that keep
   their order.  At a rational sample ``x_s`` of the slab the curves' roots in
   ``y`` are isolated exactly and sorted: these are the slab's *sections*
   (a curve, and which of its real roots); between them lie the *sectors*.
3. **Decision.** Every sector is a 2-D cell: an x-interval (exact algebraic
   endpoints) and the section or box edge below and above it.  The caller
   decides each cell at an exact rational sample point inside it (the verdict
   is constant on the cell because every curve has a constant sign there).

Cells over a critical x-value itself (vertical segments and points) have no
area and are not listed; the sections (arcs of the curves over a slab) are
listed separately, each with an exact sample point (``x_s`` and the
algebraic ``y``), for a caller that decides the boundary too.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import sympy

from .errors import EvaluationError

__all__ = [
    "Cell",
    "Decomposition",
    "DecompositionTooLarge",
    "RealAlgebraic",
    "Section",
    "concatenate",
    "decompose",
]


class DecompositionTooLarge(EvaluationError):
    """The decomposition would have more cells than the caller allowed."""


def _flint() -> Any:
    import flint

    return flint


# ------------------------------------------------------------------------------ real algebraic numbers
@functools.lru_cache(maxsize=50_000)
def _root_bounds(key: tuple, prec: int) -> list[tuple[Any, Any]]:
    """Rational enclosures of the real roots of an irreducible integer polynomial, ascending."""
    flint = _flint()
    poly = flint.fmpz_poly(list(key))
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        roots = poly.complex_roots()
    finally:
        flint.ctx.prec = old
    out = []
    for c, _m in roots:
        if c.imag != 0:
            continue
        mid, rad = _exact(c.real.mid()), _exact(c.real.rad())
        out.append((mid - rad, mid + rad))
    out.sort(key=lambda b: b[0])
    return out


def _exact(a: Any) -> Any:
    flint = _flint()
    m, e = a.man_exp()
    e = int(e)
    return flint.fmpq(int(m)) * flint.fmpq(2) ** e if e >= 0 else flint.fmpq(int(m), 2 ** (-e))


@functools.total_ordering
class RealAlgebraic:
    """An exact real number: a rational ``q``, or the ``index``-th real root of an irreducible polynomial.

    Two numbers compare by refining their enclosures until they separate (distinct
    irreducible polynomials share no root, so this always ends).
    """

    __slots__ = ("q", "key", "index", "_bounds", "_prec")

    def __init__(self, q: Any = None, key: tuple | None = None, index: int = -1) -> None:
        self.q = q
        self.key = key
        self.index = index
        self._bounds: tuple[Any, Any] | None = None
        self._prec = 0

    @classmethod
    def rational(cls, q: Any) -> RealAlgebraic:
        flint = _flint()
        return cls(q=q if isinstance(q, flint.fmpq) else flint.fmpq(q))

    def bounds(self) -> tuple[Any, Any]:
        """Rational lower and upper bounds (equal for a rational number)."""
        if self.q is not None:
            return self.q, self.q
        if self._bounds is None:
            self.refine()
        assert self._bounds is not None
        return self._bounds

    def refine(self) -> None:
        """Narrow the enclosure (double the working precision)."""
        if self.q is None:
            self._prec = 64 if self._prec == 0 else 2 * self._prec
            assert self.key is not None
            self._bounds = _root_bounds(self.key, self._prec)[self.index]

    def _cmp(self, other: RealAlgebraic) -> int:
        if self.q is not None and other.q is not None:
            return (self.q > other.q) - (self.q < other.q)
        if self.q is None and other.q is None and self.key == other.key and self.index == other.index:
            return 0
        for _ in range(80):
            alo, ahi = self.bounds()
            blo, bhi = other.bounds()
            if ahi < blo:
                return -1
            if bhi < alo:
                return 1
            self.refine()
            other.refine()
        raise ArithmeticError("could not separate two algebraic numbers")  # pragma: no cover

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RealAlgebraic):
            return NotImplemented
        return self._cmp(other) == 0

    def __lt__(self, other: RealAlgebraic) -> bool:
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash(self.q) if self.q is not None else hash((self.key, self.index))

    def __float__(self) -> float:
        lo, hi = self.bounds()
        if self.q is not None:
            return int(lo.p) / int(lo.q)
        while float(hi - lo) > 1e-15 * max(1.0, abs(float(lo))):
            self.refine()
            lo, hi = self.bounds()
        return float((lo + hi) / 2)

    def to_sympy(self) -> sympy.Expr:
        """Return the number as a sympy expression: rational, radicals for quadratics, else ``CRootOf``."""
        if self.q is not None:
            return sympy.Rational(int(self.q.p), int(self.q.q))
        assert self.key is not None
        return _algebraic_sympy(self.key, self.index)

    def polynomial(self) -> tuple[int, ...] | None:
        """Integer coefficients (ascending) of the number's irreducible polynomial; None if rational."""
        return self.key

    def __repr__(self) -> str:
        return f"RealAlgebraic({self.to_sympy()})"


@functools.lru_cache(maxsize=10_000)
def _algebraic_sympy(key: tuple, index: int) -> sympy.Expr:
    t = sympy.Symbol("t")
    poly = sympy.Poly([int(c) for c in reversed(key)], t)
    if poly.degree() == 2:
        roots = sorted(sympy.roots(poly, filter="R"), key=float)
        if len(roots) == 2:
            return roots[index]
    return sympy.CRootOf(poly, index)


def real_roots(p: Any) -> list[RealAlgebraic]:
    """Distinct real roots of a nonzero univariate ``fmpq_poly``, ascending."""
    if p.degree() == 1:
        c0, c1 = p.coeffs()
        return [RealAlgebraic.rational(-c0 / c1)]
    return list(_roots_of(tuple(p.coeffs())))


@functools.lru_cache(maxsize=50_000)
def _roots_of(key: tuple) -> tuple[RealAlgebraic, ...]:
    flint = _flint()
    poly = flint.fmpq_poly(list(key))
    if poly.degree() <= 0:
        return ()
    _content, factors = poly.numer().factor()
    out: list[RealAlgebraic] = []
    for f, _mult in factors:
        c = f.coeffs()
        if len(c) == 2:
            out.append(RealAlgebraic.rational(flint.fmpq(-int(c[0]), int(c[1]))))
            continue
        if f.leading_coefficient() < 0:
            f = -f
        fkey = tuple(int(v) for v in f.coeffs())
        out.extend(RealAlgebraic(key=fkey, index=i) for i in range(len(_root_bounds(fkey, 64))))
    return tuple(sorted(out))


def simple_between(a: RealAlgebraic | None, b: RealAlgebraic | None) -> Any:
    """Return a rational number with a small denominator strictly between ``a < b`` (None: unbounded)."""
    flint = _flint()
    if a is None and b is None:
        return flint.fmpq(0)
    if a is None:
        assert b is not None
        return flint.fmpq(math.floor(float(b.bounds()[0])) - 1)
    if b is None:
        return flint.fmpq(math.floor(float(a.bounds()[1])) + 1)
    for _ in range(80):
        _, ahi = a.bounds()
        blo, _ = b.bounds()
        if ahi < blo:
            d = 1
            while True:
                n = (ahi * d).floor() + 1
                q = flint.fmpq(int(n), d)
                if q < blo:
                    return q
                d *= 2
        a.refine()
        b.refine()
    raise ArithmeticError("could not separate two numbers")  # pragma: no cover


# ------------------------------------------------------------------------------ records
@dataclasses.dataclass(frozen=True)
class Section:
    """The ``index``-th real root in ``y`` (counting from below, over the whole line) of curve ``curve``."""

    curve: int
    index: int


@dataclasses.dataclass
class Cell:
    """A 2-D cell: ``lo < x < hi`` and, there, between ``lower`` and ``upper``.

    Attributes
    ----------
    slab : int
        Index of the slab (x-interval) it lies over.
    lo, hi : RealAlgebraic or None
        The x-interval's exact endpoints (None: unbounded).
    lower, upper : Section or None
        The bounding sections; None is the box's lower (upper) edge.
    sample : (fmpq, fmpq)
        An exact rational point inside the cell.
    label : object
        What the caller decided there.
    """

    slab: int
    lo: RealAlgebraic | None
    hi: RealAlgebraic | None
    lower: Section | None
    upper: Section | None
    sample: tuple[Any, Any]
    label: Any = None


@dataclasses.dataclass
class Slab:
    """An open x-interval between two consecutive critical values, with its sample and sections."""

    lo: RealAlgebraic | None
    hi: RealAlgebraic | None
    sample: Any
    sections: list[tuple[Section, RealAlgebraic]]  # ascending, inside (y0, y1)
    root_counts: dict[int, int]  # real roots in y of each curve over the slab


@dataclasses.dataclass
class Decomposition:
    """The result of :func:`decompose`.

    Attributes
    ----------
    x, y : sympy.Symbol
    box : ((x0, x1), (y0, y1))
        Rational edges (None: unbounded).
    curves : list of sympy.Expr
        The distinct irreducible factors with a ``y`` in them: section ``Section(k, j)`` lies on
        ``curves[k] = 0``.
    vertical : list of sympy.Expr
        Factors in ``x`` alone (vertical lines at some critical values).
    critical : list of RealAlgebraic
        The critical x-values inside the box, ascending.
    slabs : list of Slab
    cells : list of Cell
    """

    x: Any
    y: Any
    box: tuple[tuple[Any, Any], tuple[Any, Any]]
    curves: list[Any]
    vertical: list[Any]
    critical: list[RealAlgebraic]
    slabs: list[Slab]
    cells: list[Cell]
    _polys: list[Any] = dataclasses.field(repr=False, default_factory=list)

    def locate(self, point: tuple[Any, Any]) -> Cell | None:
        """Return the 2-D cell holding an exact rational point (None: on a critical line, a section)."""
        flint = _flint()
        qx, qy = (v if isinstance(v, flint.fmpq) else _fmpq(v) for v in point)
        px, py = RealAlgebraic.rational(qx), RealAlgebraic.rational(qy)
        (x0, x1), (y0, y1) = self.box
        if (x0 is not None and not x0 < qx) or (x1 is not None and not qx < x1):
            return None
        if (y0 is not None and not y0 < qy) or (y1 is not None and not qy < y1):
            return None
        for s, slab in enumerate(self.slabs):
            if not _inside(px, slab.lo, slab.hi):
                continue
            below = 0
            for section, _r in slab.sections:
                roots = real_roots(_at_x(self._polys[section.curve], qx))
                r = roots[section.index]
                if r == py:
                    return None
                below += r < py
            cells = [c for c in self.cells if c.slab == s]
            return cells[below]
        return None

    # -- drawing
    def branch(self, section: Section, xs: Any, slab: int) -> Any:
        """Float ``y`` of ``section`` at the floats ``xs`` (inside or at the ends of ``slab``)."""
        import numpy as np

        coeffs = self._ycoeffs(section.curve)
        count = self.slabs[slab].root_counts.get(section.curve, 0)
        ys = np.full(len(xs), np.nan)
        for k, xv in enumerate(xs):
            c = [sum(a * xv**e for e, a in terms) for terms in coeffs]  # descending in y
            while len(c) > 1 and c[0] == 0:
                c = c[1:]
            if len(c) == 2:
                roots = np.array([-c[1] / c[0]])
            else:
                roots = np.roots(c) if len(c) > 1 else np.array([])
            if len(roots) < count:
                continue
            real = sorted(roots[np.argsort(np.abs(roots.imag))[:count]].real)
            if section.index < len(real):
                ys[k] = real[section.index]
        return ys

    def interior_points(
        self,
        cell: Cell,
        fx: Sequence[float],
        fy: Sequence[float],
        xrange: Sequence[float],
        yrange: Sequence[float],
    ) -> list[tuple[float, float]]:
        """Float points inside ``cell``: at fractions ``fx`` of its x-interval, ``fy`` of its height there.

        A vertical segment between the bounding curves lies in the cell, so these points
        are inside it but for float rounding at the very edges.
        """
        import numpy as np

        a = float(cell.lo) if cell.lo is not None else xrange[0]
        b = float(cell.hi) if cell.hi is not None else xrange[1]
        if not a < b:
            return []
        xs = a + (b - a) * np.asarray(fx, dtype=float)

        def side(section: Section | None, edge: float) -> Any:
            if section is None:
                return np.full(len(xs), edge)
            return self.branch(section, xs, cell.slab)

        low, high = side(cell.lower, yrange[0]), side(cell.upper, yrange[1])
        out = []
        for xv, lo, hi in zip(xs, low, high):
            if math.isnan(lo) or math.isnan(hi) or not lo < hi:
                continue
            out += [(float(xv), float(lo + (hi - lo) * t)) for t in fy]
        return out

    def _ycoeffs(self, k: int) -> list[list[tuple[int, Any]]]:
        """Curve ``k``'s coefficients in ``y``, descending, each as ``[(power of x, coefficient)]``."""
        poly = self._polys[k]
        d = int(poly.degrees()[1])
        out: list[list[tuple[int, Any]]] = [[] for _ in range(d + 1)]
        for (ex, ey), c in poly.to_dict().items():
            out[d - int(ey)].append((int(ex), float(c)))
        return out

    def polygon(
        self,
        cell: Cell,
        *,
        n: int = 64,
        xrange: Sequence[float] | None = None,
        yrange: Sequence[float] | None = None,
    ) -> list[tuple[float, float]]:
        """Return the cell's outline as float vertices: its bounding curves sampled at ``n`` points.

        The x-ends are the floats of the exact endpoints (clipped to ``xrange`` where
        unbounded or outside), the curves are clipped to ``yrange`` (default: the box).
        """
        import numpy as np

        (x0, x1), (y0, y1) = self.box
        xr = (
            list(xrange)
            if xrange is not None
            else [float(x0) if x0 is not None else -10.0, float(x1) if x1 is not None else 10.0]
        )
        yr = (
            list(yrange)
            if yrange is not None
            else [float(y0) if y0 is not None else -10.0, float(y1) if y1 is not None else 10.0]
        )
        a = float(cell.lo) if cell.lo is not None else xr[0]
        b = float(cell.hi) if cell.hi is not None else xr[1]
        a, b = max(a, xr[0]), min(b, xr[1])
        if not a < b:
            return []
        xs = sample_x(a, b, n)
        inner = xs.copy()
        inner[0] = a + 1e-9 * (b - a)
        inner[-1] = b - 1e-9 * (b - a)

        def side(section: Section | None, edge: float) -> Any:
            if section is None:
                return np.full(n, edge)
            ys = self.branch(section, xs, cell.slab)
            bad = np.isnan(ys)
            if bad.any():  # at an end where the curve's degree drops or two roots meet
                ys[bad] = self.branch(section, inner[bad], cell.slab)
            return np.clip(ys, yr[0], yr[1])

        low = side(cell.lower, yr[0])
        high = side(cell.upper, yr[1])
        pts = [(float(x), float(y)) for x, y in zip(xs, low) if not math.isnan(y)]
        pts += [(float(x), float(y)) for x, y in zip(xs[::-1], high[::-1]) if not math.isnan(y)]
        return pts


def sample_x(a: float, b: float, n: int) -> Any:
    """``n`` floats from ``a`` to ``b``, closer together near the ends (where a curve may turn vertical)."""
    import numpy as np

    t = np.linspace(0.0, 1.0, max(n, 2))
    return a + (b - a) * (1 - np.cos(np.pi * t)) / 2


# ------------------------------------------------------------------------------ the decomposition
def _to_mpoly(expr: Any, x: Any, y: Any, ctx: Any) -> Any:
    flint = _flint()
    poly = sympy.Poly(sympy.expand(expr), x, y, domain="QQ")  # PolynomialError when not polynomial
    return ctx.from_dict(
        {m: flint.fmpq(int(c.numerator), int(c.denominator)) for m, c in zip(poly.monoms(), poly.coeffs())}
    )


def _fmpq(v: Any) -> Any:
    if v is None:
        return None
    flint = _flint()
    q = sympy.Rational(v)
    return flint.fmpq(int(q.p), int(q.q))


def _normalise(f: Any) -> Any:
    terms = f.to_dict()
    lead = terms[max(terms)]
    return f / lead


def _univariate_x(f: Any) -> Any:
    """Convert an ``fmpq_mpoly`` in ``x`` alone into an ``fmpq_poly``."""
    flint = _flint()
    coeffs: dict[int, Any] = {}
    for (ex, ey), c in f.to_dict().items():
        assert ey == 0
        coeffs[ex] = c
    if not coeffs:
        return flint.fmpq_poly([])
    return flint.fmpq_poly([coeffs.get(k, 0) for k in range(max(coeffs) + 1)])


def _at_x(f: Any, q: Any) -> Any:
    """``f(q, y)`` as an ``fmpq_poly`` in ``y``."""
    flint = _flint()
    coeffs: dict[int, Any] = {}
    for (ex, ey), c in f.to_dict().items():
        coeffs[ey] = coeffs.get(ey, 0) + c * q**ex
    return flint.fmpq_poly([coeffs.get(k, 0) for k in range(max(coeffs) + 1)])


def _leading_in_y(f: Any, ctx: Any) -> Any:
    d = f.degrees()[1]
    return ctx.from_dict({(ex, 0): c for (ex, ey), c in f.to_dict().items() if ey == d})


def _inside(r: RealAlgebraic, lo: RealAlgebraic | None, hi: RealAlgebraic | None) -> bool:
    return (lo is None or lo < r) and (hi is None or r < hi)


def decompose(
    exprs: Sequence[Any],
    x: Any,
    y: Any,
    box: tuple[tuple[Any, Any], tuple[Any, Any]],
    decide: Callable[[list[tuple[Any, Any]]], list[Any]] | None = None,
    *,
    max_cells: int | None = None,
) -> Decomposition:
    """Cut ``box`` into cells on which every polynomial of ``exprs`` has a constant sign.

    Parameters
    ----------
    exprs : sequence of sympy.Expr or fmpq_mpoly
        Polynomials in ``x`` and ``y`` with rational coefficients (constants are ignored);
        python-flint polynomials in the generators ``(str(x), str(y))`` are taken as they are.
    x, y : sympy.Symbol
    box : ((x0, x1), (y0, y1))
        Rational edges; None for an unbounded side.
    decide : callable, optional
        Given the cells' rational sample points ``[(x, y), ...]`` (as ``fmpq``), returns a
        label for each; stored as ``Cell.label``.
    max_cells : int, optional
        Refuse (before lifting) when the slabs times the curves plus one exceed it.

    Returns
    -------
    Decomposition

    Raises
    ------
    sympy.PolynomialError
        If an expression is not a polynomial in ``x`` and ``y``.
    DecompositionTooLarge
        If the bound ``max_cells`` would be exceeded.
    """
    flint = _flint()
    ctx = flint.fmpq_mpoly_ctx.get((str(x), str(y)), "lex")
    box_q = tuple(tuple(_fmpq(v) for v in pair) for pair in box)
    (x0, x1), (y0, y1) = box_q
    factors: dict[tuple, Any] = {}
    for e in exprs:
        if isinstance(e, flint.fmpq_mpoly):
            if e.is_constant():
                continue
            f = e if e.context() is ctx else ctx.from_dict(e.to_dict())
        else:
            e = sympy.expand(e)
            if e.is_number:
                continue
            f = _to_mpoly(e, x, y, ctx)
        for g, _m in f.factor()[1]:
            if g.total_degree() > 0:
                g = _normalise(g)
                factors.setdefault(tuple(sorted(g.to_dict().items())), g)
    curves = [f for f in factors.values() if f.degrees()[1] > 0]
    vertical = [f for f in factors.values() if f.degrees()[1] == 0]
    # projection
    lo_x = None if x0 is None else RealAlgebraic.rational(x0)
    hi_x = None if x1 is None else RealAlgebraic.rational(x1)
    proj: list[Any] = list(vertical)
    ycon = [c for c in (y0, y1) if c is not None]
    for f in curves:
        proj.append(_leading_in_y(f, ctx))
        if f.degrees()[1] >= 2:
            proj.append(f.discriminant(str(y)))
        for c in ycon:
            proj.append(f.subs({str(y): c}))
    for i, f in enumerate(curves):
        for g in curves[i + 1 :]:
            proj.append(f.resultant(g, str(y)))
    seen: set[tuple] = set()
    crit: set[RealAlgebraic] = set()
    for p in proj:
        if p.is_zero() or p.is_constant():
            continue
        for g, _m in p.factor()[1]:
            if g.total_degree() == 0:
                continue
            u = _univariate_x(_normalise(g))
            key = tuple(u.coeffs())
            if key in seen:
                continue
            seen.add(key)
            for r in real_roots(u):
                if _inside(r, lo_x, hi_x):
                    crit.add(r)
    critical = sorted(crit)
    if max_cells is not None and (len(critical) + 1) * (len(curves) + 1) > max_cells:
        raise DecompositionTooLarge(
            f"{len(critical) + 1} slabs of up to {len(curves) + 1} cells each "
            f"exceed the limit of {max_cells} cells"
        )
    edges: list[RealAlgebraic | None] = [lo_x, *critical, hi_x]
    lo_y = None if y0 is None else RealAlgebraic.rational(y0)
    hi_y = None if y1 is None else RealAlgebraic.rational(y1)
    slabs: list[Slab] = []
    cells: list[Cell] = []
    for s in range(len(edges) - 1):
        a, b = edges[s], edges[s + 1]
        xs = simple_between(a, b)
        sections: list[tuple[Section, RealAlgebraic]] = []
        counts: dict[int, int] = {}
        for k, f in enumerate(curves):
            roots = real_roots(_at_x(f, xs))
            counts[k] = len(roots)
            sections += [(Section(k, j), r) for j, r in enumerate(roots) if _inside(r, lo_y, hi_y)]
        sections.sort(key=functools.cmp_to_key(lambda u, v: u[1]._cmp(v[1])))
        slabs.append(Slab(a, b, xs, sections, counts))
        ends: list[tuple[Section | None, RealAlgebraic | None]] = [(None, lo_y), *sections, (None, hi_y)]
        for (sl, rl), (su, ru) in zip(ends[:-1], ends[1:]):
            cells.append(Cell(s, a, b, sl, su, (xs, simple_between(rl, ru))))
    if decide is not None and cells:
        for cell, label in zip(cells, decide([c.sample for c in cells])):
            cell.label = label
    return Decomposition(
        x,
        y,
        box_q,  # type: ignore[arg-type]
        _LazyCurves(curves, x, y),
        [_as_sympy(f, x, y) for f in vertical],
        critical,
        slabs,
        cells,
        _polys=curves,
    )


class _LazyCurves(Sequence):
    """The curves as sympy expressions, converted from python-flint when first read."""

    def __init__(self, polys: list[Any], x: Any, y: Any) -> None:
        self._polys = polys
        self._x, self._y = x, y
        self._done: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._polys)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        k = range(len(self))[k]
        if k not in self._done:
            self._done[k] = _as_sympy(self._polys[k], self._x, self._y)
        return self._done[k]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


def _as_sympy(f: Any, x: Any, y: Any) -> Any:
    return sympy.Add(
        *(sympy.Rational(int(c.p), int(c.q)) * x**ex * y**ey for (ex, ey), c in f.to_dict().items())
    )


def merge(decomposition: Decomposition, cells: Sequence[Cell] | None = None) -> list[list[Cell]]:
    """Group cells of adjacent slabs into runs with the same label and the same bounding sections.

    Two cells in consecutive slabs join when their labels are equal, they lie between
    the same sections (same curves and root indices, the curves with as many real roots
    on both sides) and the critical value between them is not on a vertical line of
    the decomposition.  Returns the runs, each a
    list of cells left to right.
    """
    cells = list(decomposition.cells if cells is None else cells)
    verticals = {r for f in decomposition.vertical for r in _vertical_roots(f, decomposition.x)}
    by_slab: dict[int, list[Cell]] = {}
    for c in cells:
        by_slab.setdefault(c.slab, []).append(c)
    runs: list[list[Cell]] = []
    open_runs: dict[tuple, list[Cell]] = {}
    for s in sorted(by_slab):
        nxt: dict[tuple, list[Cell]] = {}
        for c in by_slab[s]:
            key = (c.lower, c.upper, _hashable(c.label))
            run = open_runs.get(key)
            if (
                run is not None
                and run[-1].slab == s - 1
                and (c.lo is None or c.lo not in verticals)
                and _same_counts(decomposition, run[-1], c)
            ):
                run.append(c)
                nxt[key] = run
                del open_runs[key]
            else:
                run = [c]
                runs.append(run)
                nxt[key] = run
        open_runs = nxt
    return runs


def _same_counts(decomposition: Decomposition, left: Cell, right: Cell) -> bool:
    """Whether the bounding curves have as many real roots in both slabs (the same branches)."""
    a, b = decomposition.slabs[left.slab].root_counts, decomposition.slabs[right.slab].root_counts
    return all(a.get(s.curve) == b.get(s.curve) for s in (left.lower, left.upper) if s is not None)


def _hashable(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def _vertical_roots(expr: Any, x: Any) -> list[RealAlgebraic]:
    flint = _flint()
    poly = sympy.Poly(expr, x, domain="QQ")
    u = flint.fmpq_poly(
        [flint.fmpq(int(c.numerator), int(c.denominator)) for c in reversed(poly.all_coeffs())]
    )
    return real_roots(u)


def concatenate(parts: Sequence[Decomposition]) -> Decomposition:
    """Join decompositions of side-by-side boxes (the same ``y`` edges, left to right) into one.

    Each part's box must start where the previous one ends; the joins become critical
    values.  Curves shared by several parts are listed once (every part normalises a
    factor the same way), and each cell keeps its label and sample.
    """
    if not parts:
        raise ValueError("nothing to concatenate")
    first = parts[0]
    index: dict[tuple, int] = {}
    polys: list[Any] = []
    vertical: dict[str, Any] = {}
    critical: list[RealAlgebraic] = []
    slabs: list[Slab] = []
    cells: list[Cell] = []
    for k, part in enumerate(parts):
        if k and part.box[0][0] != parts[k - 1].box[0][1]:
            raise ValueError("the boxes do not meet")
        remap = {}
        for j, f in enumerate(part._polys):
            key = tuple(sorted(f.to_dict().items()))
            if key not in index:
                index[key] = len(polys)
                polys.append(f)
            remap[j] = index[key]
        for v in part.vertical:
            vertical.setdefault(str(v), v)
        if k:
            critical.append(RealAlgebraic.rational(part.box[0][0]))
        critical += part.critical

        def moved(section: Section | None, remap: dict[int, int] = remap) -> Section | None:
            return None if section is None else Section(remap[section.curve], section.index)

        offset = len(slabs)
        for slab in part.slabs:
            slabs.append(
                Slab(
                    slab.lo,
                    slab.hi,
                    slab.sample,
                    [(moved(s), r) for s, r in slab.sections],  # type: ignore[misc]
                    {remap[c]: n for c, n in slab.root_counts.items()},
                )
            )
        for c in part.cells:
            cells.append(Cell(c.slab + offset, c.lo, c.hi, moved(c.lower), moved(c.upper), c.sample, c.label))
    box = ((first.box[0][0], parts[-1].box[0][1]), first.box[1])
    return Decomposition(
        first.x,
        first.y,
        box,
        _LazyCurves(polys, first.x, first.y),
        list(vertical.values()),
        critical,
        slabs,
        cells,
        _polys=polys,
    )
