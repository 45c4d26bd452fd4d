"""Exact rollback in one parameter: every node's value as a piecewise polynomial of it.

The engine behind :func:`evtree.sensitivity.thresholds` and ``one_way``.  With
every other parameter fixed at an exact value, each probability and payoff is a
polynomial in the varied parameter ``x`` with rational coefficients.  A
terminal's value is then one polynomial; a chance node's is the
probability-weighted sum of its children's, taken piece by piece on the union
of their breakpoints; a decision node's is the upper envelope of its options
(lower for ``objective: min``), whose new breakpoints are the real roots of the
options' differences, isolated exactly.  No strategy is ever listed.

Arithmetic is python-flint's: ``fmpq_poly`` for the pieces, ``fmpz_poly.factor``
and ``complex_roots`` (certified enclosures, real roots with an exactly zero
imaginary part) for the breakpoints.  A breakpoint is a rational number or an
algebraic number given by its irreducible polynomial and the index of the real
root; two are compared by refining their enclosures until they separate, which
always happens because distinct irreducible polynomials share no root.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION, TERMINAL, FlatTree
from ..core.decompose import _root_bounds
from ..core.expressions import as_expr, exact_number, symbol

__all__ = [
    "NotPolynomial",
    "Piecewise1D",
    "Point",
    "feasible_interval",
    "outcome_polynomials",
    "piecewise_rollback",
    "probability_polynomials",
]


class NotPolynomial(Exception):
    """A probability or payoff is not a polynomial in the varied parameter."""


def _flint() -> Any:
    import flint

    return flint


# ------------------------------------------------------------------------------ points
class Point:
    """An exact real number: rational, or the ``index``-th real root of an irreducible polynomial."""

    __slots__ = ("q", "poly", "key", "index", "_bounds", "_prec")

    def __init__(self, q: Any = None, poly: Any = None, key: tuple | None = None, index: int = -1) -> None:
        self.q = q  # fmpq, or None for an algebraic number
        self.poly = poly  # fmpz_poly, irreducible, degree >= 2
        self.key = key
        self.index = index
        self._bounds: tuple[Any, Any] | None = None
        self._prec = 0

    # -- enclosures
    def bounds(self) -> tuple[Any, Any]:
        """Rational lower and upper bounds (equal for a rational number)."""
        if self.q is not None:
            return self.q, self.q
        if self._bounds is None:
            self._refine()
        assert self._bounds is not None
        return self._bounds

    def _refine(self) -> None:
        self._prec = 64 if self._prec == 0 else 2 * self._prec
        self._bounds = _real_root_bounds(self.key, self._prec)[self.index]

    def refine(self) -> None:
        if self.q is None:
            self._refine()

    # -- comparisons
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        if self.q is not None or other.q is not None:
            return self.q is not None and other.q is not None and self.q == other.q
        return self.key == other.key and self.index == other.index

    def __hash__(self) -> int:
        return hash(self.q) if self.q is not None else hash((self.key, self.index))

    def __lt__(self, other: Point) -> bool:
        return compare(self, other) < 0

    def __le__(self, other: Point) -> bool:
        return compare(self, other) <= 0

    def __gt__(self, other: Point) -> bool:
        return compare(self, other) > 0

    def __float__(self) -> float:
        if self.q is not None:
            return int(self.q.p) / int(self.q.q)
        lo, hi = self.bounds()
        return float((int(lo.p) / int(lo.q) + int(hi.p) / int(hi.q)) / 2)

    def to_sympy(self) -> sympy.Expr:
        """Return the number as a sympy expression: rational, radicals for quadratics, else ``CRootOf``."""
        if self.q is not None:
            return sympy.Rational(int(self.q.p), int(self.q.q))
        x = sympy.Symbol("x")
        coeffs = [int(c) for c in self.poly.coeffs()]
        expr = sum(sympy.Integer(c) * x**k for k, c in enumerate(coeffs))
        if len(coeffs) == 3:
            roots = sorted(sympy.roots(sympy.Poly(expr, x), filter="R"), key=lambda r: float(r))
            if len(roots) == 2:
                return roots[self.index]
        return sympy.CRootOf(sympy.Poly(expr, x), self.index)

    def __repr__(self) -> str:
        return f"Point({self.to_sympy()})"


def compare(a: Point, b: Point) -> int:
    """Return -1, 0 or 1 as ``a`` is below, equal to or above ``b``."""
    if a is b:
        return 0
    if a.q is not None and b.q is not None:
        return -1 if a.q < b.q else (1 if a.q > b.q else 0)
    if a == b:
        return 0
    for _ in range(60):
        alo, ahi = a.bounds()
        blo, bhi = b.bounds()
        if ahi < blo:
            return -1
        if bhi < alo:
            return 1
        a.refine()
        b.refine()
    raise ArithmeticError("could not separate two algebraic numbers")  # pragma: no cover


def rational(q: Any) -> Point:
    flint = _flint()
    return Point(q=flint.fmpq(q) if not isinstance(q, flint.fmpq) else q)


# real roots of integer polynomials: one implementation, in evtree.core.decompose
_real_root_bounds = _root_bounds


_POINTS: dict[Any, Point] = {}


def _algebraic(key: tuple, index: int) -> Point:
    k = (key, index)
    p = _POINTS.get(k)
    if p is None:
        if len(_POINTS) > 200_000:  # a canonical-object cache: points compare by key anyway
            _POINTS.clear()
        flint = _flint()
        p = Point(poly=flint.fmpz_poly(list(key)), key=key, index=index)
        _POINTS[k] = p
    return p


@functools.lru_cache(maxsize=200_000)
def _roots_of(key: tuple) -> tuple[Point, ...]:
    """Every real root of the rational polynomial with coefficients ``key`` (ascending), exactly."""
    flint = _flint()
    poly = flint.fmpq_poly(list(key))
    if poly.degree() <= 0:
        return ()
    num = poly.numer()
    _content, factors = num.factor()
    out: list[Point] = []
    for f, _mult in factors:
        c = f.coeffs()
        if len(c) == 2:
            out.append(rational(flint.fmpq(-int(c[0]), int(c[1]))))
            continue
        if f.leading_coefficient() < 0:
            f = -f
        fkey = tuple(int(v) for v in f.coeffs())
        for i in range(len(_real_root_bounds(fkey, 64))):
            out.append(_algebraic(fkey, i))
    return tuple(sorted(out))


def poly_key(p: Any) -> tuple:
    return tuple(p.coeffs())


def roots_between(p: Any, a: Point, b: Point) -> list[Point]:
    """Return the distinct real roots of the polynomial ``p`` strictly between ``a`` and ``b``, ascending."""
    if p.degree() <= 0:
        return []
    if p.degree() == 1:
        c0, c1 = p.coeffs()
        r = rational(-c0 / c1)
        return [r] if a < r < b else []
    return [r for r in _roots_of(poly_key(p)) if a < r < b]


def sample_between(a: Point, b: Point) -> Any:
    """Return a rational number strictly between ``a < b``."""
    for _ in range(60):
        _, ahi = a.bounds()
        blo, _ = b.bounds()
        if ahi < blo:
            return (ahi + blo) / 2
        a.refine()
        b.refine()
    raise ArithmeticError("could not separate two numbers")  # pragma: no cover


# ------------------------------------------------------------------------------ functions
@dataclasses.dataclass
class Piecewise1D:
    """A function on ``[lo, hi]``: ``polys[k]`` between ``breaks[k - 1]`` and ``breaks[k]``.

    ``breaks`` are the interior breakpoints, ascending; there is one more piece than breakpoints.
    """

    breaks: list[Point]
    polys: list[Any]


def _merge_breaks(parts: Sequence[list[Point]]) -> list[Point]:
    """Sorted union of sorted breakpoint lists."""
    nonempty = [p for p in parts if p]
    if not nonempty:
        return []
    if len(nonempty) == 1:
        return list(nonempty[0])
    seen: dict[Point, None] = {}
    for p in nonempty:
        for b in p:
            seen.setdefault(b, None)
    return sorted(seen)


def _piece_index(func: Piecewise1D, breaks: list[Point]) -> list[int]:
    """For each elementary interval of ``breaks`` (a refinement of ``func.breaks``), its piece of ``func``."""
    out = []
    k = 0
    fb = func.breaks
    for j in range(len(breaks) + 1):
        out.append(k)
        if j < len(breaks) and k < len(fb) and breaks[j] == fb[k]:
            k += 1
    return out


def _simplify(breaks: list[Point], polys: list[Any]) -> Piecewise1D:
    if not breaks:
        return Piecewise1D([], polys)
    nb, npol = [], [polys[0]]
    for b, p in zip(breaks, polys[1:]):
        if p == npol[-1]:
            continue
        nb.append(b)
        npol.append(p)
    return Piecewise1D(nb, npol)


@dataclasses.dataclass
class Rolled:
    """The result of :func:`piecewise_rollback`.

    Attributes
    ----------
    values : list of Piecewise1D
        Node-aligned (flat order) values.
    choices : dict
        For each decision node (flat index): ``(breaks, options)``, the optimal option
        (offset among the node's children, first optimal in branch order) on each piece.
    probabilities : list
        Node-aligned branch probabilities as ``fmpq_poly`` (1 where not under a chance node).
    lo, hi : Point
    """

    values: list[Piecewise1D]
    choices: dict[int, tuple[list[Point], list[int]]]
    probabilities: list[Any]
    lo: Point
    hi: Point


def _node_values(flat: FlatTree, q: Any, x: sympy.Symbol, subs: Mapping[Any, Any]) -> list[Any]:
    flint = _flint()
    table = [to_poly(e.xreplace(subs), x) for e in q.exprs]
    consts: dict[Any, Any] = {}
    zero = flint.fmpq_poly([])
    out = []
    for i, r in enumerate(q.raw):
        j = q.expr_index[i]
        if j >= 0:
            out.append(table[j])
        elif r is None or (isinstance(r, str) and r == model.REST):
            out.append(zero)
        else:
            try:
                key: Any = (type(r), r)
                c = consts.get(key)
            except TypeError:  # unhashable
                key, c = None, None
            if c is None:
                c = to_poly(exact_number(as_expr(r) if isinstance(r, str) else r), x)
                if key is not None:
                    consts[key] = c
            out.append(c)
    return out


def probability_polynomials(flat: FlatTree, name: str, fixed: Mapping[str, Any]) -> list[Any]:
    """Every node's branch probability as an ``fmpq_poly`` in ``name`` (1 where not under a chance node).

    Raises
    ------
    NotPolynomial
        If a probability is not a polynomial in the parameter with rational coefficients.
    """
    flint = _flint()
    subs = {symbol(k): v for k, v in fixed.items()}
    probs = _node_values(flat, flat.probability, symbol(name), subs)
    one = flint.fmpq_poly([1])
    for r in np.flatnonzero(flat.rest):
        p = int(flat.parent[r])
        a, b = int(flat.first_child[p]), int(flat.first_child[p] + flat.n_children[p])
        total = flint.fmpq_poly([])
        for i in range(a, b):
            if i != r:
                total += probs[i]
        probs[r] = one - total
    for i in np.flatnonzero(~flat.under_chance):
        probs[i] = one
    return probs


def outcome_polynomials(flat: FlatTree, name: str, fixed: Mapping[str, Any]) -> list[Any]:
    """Every node's accumulated outcome (branch payoffs from the root, plus its own) in ``name``."""
    subs = {symbol(k): v for k, v in fixed.items()}
    x = symbol(name)
    along = _node_values(flat, flat.branch_payoff, x, subs)
    own = _node_values(flat, flat.payoff, x, subs)
    total = [None] * flat.size
    total[0] = along[0]
    parent = flat.parent
    for i in range(1, flat.size):
        total[i] = total[parent[i]] + along[i]
    return [t + o for t, o in zip(total, own)]


def to_poly(expr: Any, x: sympy.Symbol) -> Any:
    """Convert a sympy expression in ``x`` alone into an ``fmpq_poly``."""
    flint = _flint()
    e = sympy.sympify(expr) if not isinstance(expr, sympy.Basic) else expr
    if e.is_Rational:
        return flint.fmpq_poly([flint.fmpq(int(e.p), int(e.q))])
    if e.free_symbols - {x}:
        raise NotPolynomial(f"{e} depends on {sorted(map(str, e.free_symbols - {x}))}")
    try:
        poly = sympy.Poly(e, x, domain="QQ")
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, sympy.CoercionFailed, ValueError) as err:
        raise NotPolynomial(str(e)) from err
    coeffs = [flint.fmpq(int(c.numerator), int(c.denominator)) for c in reversed(poly.rep.to_list())]
    return flint.fmpq_poly(coeffs)


def _envelope(a: Point, b: Point, polys: Sequence[Any], objective: str) -> tuple[list[Point], list[int]]:
    """Optimal option on ``(a, b)``: breakpoints inside and the option index on each sub-interval."""
    distinct: list[int] = []
    for i, p in enumerate(polys):
        if all(p != polys[j] for j in distinct):
            distinct.append(i)
    if len(distinct) == 1:
        return [], [distinct[0]]
    cuts: dict[Point, None] = {}
    for u in range(len(distinct)):
        for v in range(u + 1, len(distinct)):
            d = polys[distinct[u]] - polys[distinct[v]]
            for r in roots_between(d, a, b):
                cuts.setdefault(r, None)
    breaks = sorted(cuts)
    edges = [a, *breaks, b]
    chosen = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        s = sample_between(lo, hi)
        best, best_value = -1, None
        for i in distinct:
            v = polys[i](s)
            if best_value is None or (v > best_value if objective == "max" else v < best_value):
                best, best_value = i, v
        chosen.append(best)
    nb, nc = [], [chosen[0]]
    for bp, c in zip(breaks, chosen[1:]):
        if c != nc[-1]:
            nb.append(bp)
            nc.append(c)
    return nb, nc


def piecewise_rollback(
    flat: FlatTree,
    probs: list[Any],
    outcome: list[Any],
    lo: Point,
    hi: Point,
    objective: str,
) -> Rolled:
    """Roll back a tree whose probabilities and outcomes are polynomials in one parameter."""
    n = flat.size
    values: list[Piecewise1D | None] = [None] * n
    choices: dict[int, tuple[list[Point], list[int]]] = {}
    kind = flat.kind
    first = flat.first_child
    count = flat.n_children
    for i in range(n - 1, -1, -1):
        k = kind[i]
        if k == TERMINAL:
            values[i] = Piecewise1D([], [outcome[i]])
            continue
        a = int(first[i])
        kids = [values[c] for c in range(a, a + int(count[i]))]
        breaks = _merge_breaks([f.breaks for f in kids])
        idx = [_piece_index(f, breaks) for f in kids] if breaks else [[0] for _ in kids]
        if k == CHANCE:
            ps = probs[a : a + int(count[i])]
            polys = []
            for j in range(len(breaks) + 1):
                total = None
                for c, f in enumerate(kids):
                    term = ps[c] * f.polys[idx[c][j]]
                    total = term if total is None else total + term
                polys.append(total)
            values[i] = _simplify(breaks, polys)
        elif k == DECISION:
            edges = [lo, *breaks, hi]
            nb: list[Point] = []
            nc: list[int] = []
            vb: list[Point] = []
            vp: list[Any] = []
            for j in range(len(breaks) + 1):
                options = [f.polys[idx[c][j]] for c, f in enumerate(kids)]
                sub_b, sub_c = _envelope(edges[j], edges[j + 1], options, objective)
                if j:
                    vb.append(edges[j])
                    nb.append(edges[j])
                for m, c in enumerate(sub_c):
                    if m:
                        vb.append(sub_b[m - 1])
                        nb.append(sub_b[m - 1])
                    vp.append(options[c])
                    nc.append(c)
            values[i] = _simplify(vb, vp)
            cb, cc = [], [nc[0]]
            for bp, c in zip(nb, nc[1:]):
                if c != cc[-1]:
                    cb.append(bp)
                    cc.append(c)
            choices[i] = (cb, cc)
    return Rolled(values, choices, probs, lo, hi)  # type: ignore[arg-type]


def choice_on(choice: tuple[list[Point], list[int]], t: Point, side: int) -> int:
    """Return the option chosen just left (``side=-1``) or just right (``side=1``) of ``t``."""
    breaks, opts = choice
    k = 0
    for b in breaks:
        c = compare(t, b)
        if c < 0 or (c == 0 and side < 0):
            break
        k += 1
    return opts[k]


# ------------------------------------------------------------------------------ feasibility
def feasible_interval(
    probs: Sequence[Any], under_chance: np.ndarray, lo: Point, hi: Point, base: Any | None
) -> list[tuple[Point, Point]]:
    """Return the closed intervals of ``[lo, hi]`` where every probability polynomial lies in [0, 1].

    Returns the maximal intervals, ascending (empty when there is none).
    """
    flint = _flint()
    unique: dict[tuple, Any] = {}
    for i in np.flatnonzero(under_chance):
        p = probs[i]
        unique.setdefault(poly_key(p), p)
    cuts: dict[Point, None] = {}
    polys = list(unique.values())
    one = flint.fmpq_poly([1])
    for p in polys:
        if p.degree() <= 0:
            continue
        for q in (p, p - one):
            for r in roots_between(q, lo, hi):
                cuts.setdefault(r, None)
    edges = [lo, *sorted(cuts), hi]

    def ok_at(t: Any) -> bool:
        return all(0 <= p(t) <= 1 for p in polys)

    def ok_point(pt: Point) -> bool:
        if pt.q is not None:
            return ok_at(pt.q)
        return True  # an algebraic edge is a root of p or p - 1: on the boundary, feasible

    good_open = [ok_at(sample_between(u, v)) for u, v in zip(edges[:-1], edges[1:])]
    out: list[tuple[Point, Point]] = []
    start: Point | None = None
    for j, g in enumerate(good_open):
        if g:
            if start is None:
                start = edges[j]
            continue
        if start is not None:
            out.append((start, edges[j]))
            start = None
    if start is not None:
        out.append((start, edges[-1]))
    isolated = [e for e in edges if ok_point(e)]
    for e in isolated:  # a single feasible point between infeasible pieces
        if not any(u <= e <= v for u, v in out) and ok_point(e):
            out.append((e, e))
    out.sort(key=functools.cmp_to_key(lambda s, t: compare(s[0], t[0])))
    return [(u, v) for u, v in out if ok_point(u) and ok_point(v)]
