"""Where a claim holds, exactly, in one or two parameters."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from ..core import model
from ..core.decompose import DecompositionTooLarge
from ..core.errors import EvaluationError, ModelError
from ..core.expressions import exact_number, symbol
from ..core.presenters import Presentable
from .cells import boundary_arcs, boundary_curves, exact_cells_2d, exact_set_1d
from .context import _Context
from .exact import _exact_value, _top_atoms
from .space import Constraint, _space
from .spec import Claim, _difference


# ===================================================================== where a claim holds
@dataclasses.dataclass(frozen=True, eq=False)
class Region(Presentable):
    """Where a claim holds, exactly, as a function of one or two parameters.

    Attributes
    ----------
    claim : Claim
    parameters : tuple of str
        The one or two parameters that vary.
    values : dict
        The exact values of the other parameters (defaults unless given).
    difference : sympy.Expr
        The claim's difference in the varying parameters.
    domain : list of str
        Constraints on the varying parameters (bounds, simplex, assumptions).
    holds : sympy.Set or None
        For one parameter: the exact set of values where the claim holds.
    condition : sympy.Boolean
        The claim's condition on the parameters (with the domain).
    threshold : sympy.Expr or None
        When the difference is affine in the (first) parameter outside any
        ``Max``: the value where it changes sign, as a formula in *every* other
        parameter (``f(other parameters)``).
    direction : str or None
        ``"below"`` or ``"above"``: on which side of the threshold the claim
        holds, at ``values``.
    boundary : sympy.Expr or None
        For two parameters: the second as a function of the first on the
        boundary, when the difference is affine in it.
    method : str
    curves : tuple of sympy.Eq
        For two parameters: the exact curves ``f(x, y) = 0`` (irreducible
        polynomials) that bound the region's cells: where the difference, a
        ``Max`` switch or a domain constraint changes sign.
    cells : tuple of RegionCell
        For two parameters, when every piece is a rational function: the parameter
        box cut along ``curves`` into exact cells (an exact cylindrical algebraic
        decomposition), each with its x-interval (exact endpoints), the curve or box
        edge below and above it, and whether the claim holds there (decided exactly
        at a rational point of the cell).  The region is the union of the cells
        where it holds, up to their boundaries (which belong to the region where
        ``condition`` says so).  Empty otherwise.
    arcs : tuple of RegionArc
        With ``cells``: each arc of a boundary curve over a slab, and whether the claim
        holds on it (the region's boundary, decided; vertical segments over a critical
        value and single points are not listed).
    """

    claim: Claim
    parameters: tuple[str, ...]
    values: Mapping[str, Any]
    difference: Any
    domain: tuple[str, ...]
    holds: Any
    condition: Any
    threshold: Any
    direction: str | None
    boundary: Any
    method: str
    curves: tuple = ()
    cells: tuple = ()
    arcs: tuple = ()
    _decomposition: Any = dataclasses.field(repr=False, default=None)
    _domain_exprs: tuple[Constraint, ...] = dataclasses.field(repr=False, default=())
    _strict: bool = dataclasses.field(repr=False, default=False)
    _used: frozenset = dataclasses.field(repr=False, default=frozenset())

    def contains(self, point: Mapping[str, Any]) -> bool:
        """Whether the claim holds at a point of the varying parameters (exact)."""
        subs = {symbol(k): exact_number(v) for k, v in point.items()}
        if not all(c.holds(subs) for c in self._domain_exprs):
            return False
        d = _exact_value(self.difference, subs)
        return bool(d > 0) if self._strict else bool(d >= 0)

    def text(self) -> str:
        """Return the region in one line."""
        if self.holds is not None:
            body = f"{self.parameters[0]} in {_set_text(self.holds)}"
        else:
            body = f"{self.condition}"
        others = ", ".join(f"{k}={v}" for k, v in self.values.items() if k in self._used)
        return body + (f" (with {others})" if others else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": list(self.parameters),
            "values": {k: str(v) for k, v in self.values.items()},
            "holds": str(self.holds) if self.holds is not None else None,
            "condition": str(self.condition),
            "threshold": str(self.threshold) if self.threshold is not None else None,
            "direction": self.direction,
            "boundary": str(self.boundary) if self.boundary is not None else None,
            "method": self.method,
            "curves": [str(c.lhs) + " = 0" for c in self.curves],
            "cells": [c.to_dict() for c in self.cells],
            "arcs": [a.to_dict() for a in self.arcs],
        }

    def polygons(
        self, *, n: int = 64, holds: bool | None = True
    ) -> list[tuple[Any, list[tuple[float, float]]]]:
        """Each cell (where the claim holds, by default) as a float polygon, for drawing.

        The bounding curves are sampled at ``n`` points of each slab between the cell's
        exact x-endpoints; unbounded sides are clipped to the plotting range.  Returns
        ``[(RegionCell, vertices), ...]``; empty for one parameter or without cells.
        """
        if self._decomposition is None:
            return []
        xr = self._plot_range(self.parameters[0])
        yr = self._plot_range(self.parameters[1])
        out = []
        for cell in self.cells:
            if holds is not None and cell.holds != holds:
                continue
            pts: list[tuple[float, float]] = []
            lower: list[tuple[float, float]] = []
            upper: list[tuple[float, float]] = []
            for part in cell._cells:
                poly = self._decomposition.polygon(part, n=n, xrange=xr, yrange=yr)
                if poly:
                    half = len(poly) // 2
                    lower += poly[:half]
                    upper = poly[half:] + upper
            pts = lower + upper
            if len(pts) >= 3:
                out.append((cell, pts))
        return out

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "values"}])

    def summary(self) -> str:
        """Return a readable line or two."""
        return f"{self.claim.title} holds where {self.text()}"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)

    def _plot_range(self, name: str) -> tuple[float, float]:
        """Finite plotting range of a varying parameter (its bounds, tightened by the domain)."""
        lo = hi = None
        x = symbol(name)
        for c in self._domain_exprs:
            if c.expr.free_symbols == {x}:
                sol = sympy.solve_univariate_inequality(c.expr >= 0, x, relational=False)
                if isinstance(sol, sympy.Interval):
                    if sol.start.is_finite:
                        lo = sol.start if lo is None else sympy.Max(lo, sol.start)
                    if sol.end.is_finite:
                        hi = sol.end if hi is None else sympy.Min(hi, sol.end)
        default = float(self.values.get(name, 0)) if name in self.values else 0.0
        return (float(lo) if lo is not None else default - 10, float(hi) if hi is not None else default + 10)


def holds_where(
    tree: model.DecisionTree,
    claim: Claim | str | Mapping[str, Any],
    parameters: str | Sequence[str],
    *,
    values: Mapping[str, Any] | None = None,
) -> Region:
    """Return the exact region where a claim holds, in one or two parameters.

    The other parameters are held at ``values`` (their defaults unless given,
    or the claim's fixed values); the region is solved exactly with sympy
    (``solveset`` on the difference, Max written piecewise).

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = holds_where(korea_talks(), "EV(talks) >= EV(no talks)", "p_defect", values={"p_flout": 0.5})
    >>> r.holds, r.direction
    (Interval(0, 53/130), 'below')
    """
    if not isinstance(claim, Claim):
        claim = Claim.from_spec(claim)
    params = (parameters,) if isinstance(parameters, str) else tuple(parameters)
    return _holds_where(_Context(tree), claim, params, values=values)


def _holds_where(
    ctx: _Context, claim: Claim, params: tuple[str, ...], *, values: Mapping[str, Any] | None
) -> Region:
    tree = ctx.tree
    if not 1 <= len(params) <= 2:
        raise ModelError("a region is computed for one or two parameters")
    for p in params:
        tree.parameter(p)
    fixed = {k: exact_number(v) for k, v in claim.fix}
    for k, v in (values or {}).items():
        tree.parameter(k)
        fixed[k] = exact_number(v)
    fixed = {k: v for k, v in fixed.items() if k not in params}
    space = _space(ctx, claim.assuming, {}, None)
    lhs = ctx.side_expr(claim.lhs)
    rhs = ctx.side_expr(claim.rhs)
    D_full, strict = _difference(claim, lhs, rhs)
    base = getattr(tree, "base_parameters", tree.parameters)
    others = {name: fixed.get(name, p.exact) for name, p in base.items() if name not in params}
    subs = {symbol(k): v for k, v in others.items()}
    D = sympy.expand(D_full.xreplace(subs))
    domain: list[Constraint] = []
    for c in space.all_constraints():
        e = sympy.expand(c.expr.xreplace(subs))
        if e.is_number:
            if (e <= 0) if c.strict else (e < 0):
                raise ModelError(f"at these values the constraint {c} ({c.origin}) fails")
            continue
        domain.append(Constraint(e, c.strict, c.origin))
    x = symbol(params[0])
    rel = (D > 0) if strict else (D >= 0)
    holds = None
    decomposition, cells, arcs = None, (), ()
    if len(params) == 1:
        dom: Any = sympy.S.Reals
        for c in domain:
            dom = dom.intersect(_solve_1d(c.expr, x, c.strict, sympy.S.Reals))
        try:
            holds = exact_set_1d(D, domain, x, strict)
            method = "cell decomposition: exact real roots, the verdict decided exactly in each cell"
        except (sympy.PolynomialError, sympy.CoercionFailed, NotImplementedError):
            holds = _solve_1d(D, x, strict, dom)
            method = "solveset on the exact difference"
        condition = holds.as_relational(x) if hasattr(holds, "as_relational") else rel
        curves: tuple = ()
    else:
        condition = _readable_condition(D, strict, domain)
        method = "exact condition on the difference"
        curves = tuple(boundary_curves(D, domain, [symbol(p) for p in params]))
        if curves:
            try:
                decomposition, cells = exact_cells_2d(D, domain, [symbol(p) for p in params], strict)
                arcs = boundary_arcs(decomposition, D, domain, strict)
                method = (
                    "exact condition; cells of an exact cylindrical algebraic decomposition, "
                    "the verdict decided exactly in each"
                )
            except (
                sympy.PolynomialError,
                sympy.CoercionFailed,
                NotImplementedError,
                DecompositionTooLarge,
            ) as err:
                note = (
                    "too many cells" if isinstance(err, DecompositionTooLarge) else "not a rational function"
                )
                method += f"; no exact cells ({note})"
    # a threshold formula in every other parameter
    threshold = direction = None
    if not any(x in a.free_symbols for a in _top_atoms(D_full)):
        try:
            poly = sympy.Poly(sympy.expand(D_full), x)
        except sympy.PolynomialError:
            poly = None
        if poly is not None and poly.degree() == 1:
            b, a = poly.all_coeffs()
            threshold = sympy.simplify(-a / b)
            bv = b.xreplace(subs)
            if len(params) == 2:
                bv = None if bv.free_symbols else bv
            if bv is not None and bv.is_number and bv != 0:
                direction = "below" if bv < 0 else "above"
    boundary = None
    if len(params) == 2:
        y = symbol(params[1])
        if not any(y in a.free_symbols for a in _top_atoms(D)):
            try:
                py = sympy.Poly(D, y)
                if py.degree() == 1:
                    b, a = py.all_coeffs()
                    boundary = sympy.simplify(-a / b)
            except sympy.PolynomialError:
                pass
    return Region(
        claim=claim,
        parameters=params,
        values=others,
        difference=D,
        domain=tuple(str(c) for c in domain),
        holds=holds,
        condition=condition,
        threshold=threshold,
        direction=direction,
        boundary=boundary,
        method=method,
        curves=curves,
        cells=cells,
        arcs=arcs,
        _decomposition=decomposition,
        _domain_exprs=tuple(domain),
        _strict=strict,
        _used=frozenset(s.name for s in D_full.free_symbols),
    )


def _set_text(value: Any) -> str:
    """Write a set in plain notation: ``[0, 53/130]``, ``(1/2, 1]``, unions with ``or``."""
    if isinstance(value, sympy.Interval):
        left = "(" if value.left_open else "["
        right = ")" if value.right_open else "]"
        return f"{left}{value.start}, {value.end}{right}"
    if isinstance(value, sympy.Union):
        return " or ".join(_set_text(a) for a in value.args)
    if isinstance(value, sympy.FiniteSet):
        return "{" + ", ".join(str(a) for a in value.args) + "}"
    if value == sympy.S.EmptySet:
        return "nowhere"
    return str(value)


def _readable_condition(D: sympy.Expr, strict: bool, domain: list[Constraint]) -> Any:
    """``D >= 0`` written plainly: ``Max(a, b) >= 0`` as ``a >= 0 | b >= 0``.

    Branches that cannot hold anywhere in the box of the domain (a linear
    branch negative at every corner) are dropped; this only shortens the text.
    """
    D = sympy.expand(D)
    if not isinstance(D, sympy.Max):
        return (D > 0) if strict else (D >= 0)
    syms = sorted(D.free_symbols, key=str)
    box: dict[sympy.Symbol, list[Any]] = {}
    for x in syms:
        lo = hi = None
        for c in domain:
            if c.expr.free_symbols == {x} and sympy.Poly(c.expr, x).degree() == 1:
                a, b = sympy.Poly(c.expr, x).all_coeffs()
                if a > 0:
                    lo = -b / a if lo is None else sympy.Max(lo, -b / a)
                else:
                    hi = -b / a if hi is None else sympy.Min(hi, -b / a)
        box[x] = [lo, hi]
    branches = []
    for arg in D.args:
        corners = None
        if all(v is not None for pair in box.values() for v in pair):
            try:
                if sympy.Poly(arg, *syms).total_degree() <= 1:
                    corners = [
                        arg.xreplace(dict(zip(syms, pt))) for pt in itertools.product(*(box[x] for x in syms))
                    ]
            except sympy.PolynomialError:
                corners = None
        if corners is not None and all((v <= 0) if strict else (v < 0) for v in corners):
            continue
        branches.append((arg > 0) if strict else (arg >= 0))
    if not branches:
        return sympy.false
    return sympy.Or(*branches)


def _solve_1d(expr: sympy.Expr, x: sympy.Symbol, strict: bool, domain: Any) -> Any:
    e = expr.rewrite(sympy.Piecewise) if expr.has(sympy.Max, sympy.Min) else expr
    rel = (e > 0) if strict else (e >= 0)
    out = sympy.solveset(rel, x, domain)
    if isinstance(out, sympy.ConditionSet):  # pragma: no cover - polynomial and Max pieces are solved
        raise EvaluationError(f"cannot solve {rel} for {x} exactly")
    return out
