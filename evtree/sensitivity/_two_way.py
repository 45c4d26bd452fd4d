"""Two parameters: where each strategy is optimal, and the exact boundaries between the regions."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.errors import ModelError
from ..core.evaluate import evaluate
from ..core.expressions import exact_number, symbol
from ..core.presenters import Presentable
from ..core.resources import check_grid
from . import _common as common

__all__ = ["TwoWayResult", "two_way"]


@dataclasses.dataclass(frozen=True, eq=False)
class TwoWayResult(Presentable):
    """Where each strategy is optimal on a grid over two parameters.

    Attributes
    ----------
    parameters : (str, str)
    grid : (ndarray, ndarray)
        The values of each parameter along its axis.
    optimal : ndarray of int
        Index into ``strategies`` of the optimal strategy at each grid point
        (shape ``(len(grid[0]), len(grid[1]))``); -1 where a probability leaves [0, 1].
    strategies : list of str
        Every strategy when the tree has at most :data:`MAX_STRATEGY_LINES`,
        else those optimal somewhere on the grid.
    values : ndarray
        The optimum at each point (NaN where infeasible).
    boundaries : list of dict
        For every pair of strategies whose regions touch on the grid, the exact
        boundary ``Eq(value_a, value_b)`` as a sympy relation (solved for the
        second parameter where possible), and ``verified``: whether the curve
        separates the grid points of the two regions where they touch.  Pairs whose values are identical
        (they differ only where nothing is at stake) are left out and named in ``note``.
    note : str
    """

    parameters: tuple[str, str]
    grid: tuple[np.ndarray, np.ndarray]
    optimal: np.ndarray
    strategies: list[str]
    values: np.ndarray
    boundaries: list[dict[str, Any]]
    method: str = "float rollback on the grid; exact boundaries between touching regions"
    note: str = ""

    def to_frame(self) -> Any:
        import pandas as pd

        a, b = self.parameters
        ga, gb = np.meshgrid(*self.grid, indexing="ij")
        names = np.array([*self.strategies, "infeasible"], dtype=object)
        return pd.DataFrame(
            {
                a: ga.ravel(),
                b: gb.ravel(),
                "optimal": names[self.optimal.ravel()],
                "value": self.values.ravel(),
            }
        )

    def regions(self) -> Any:
        """Share of the grid where each strategy is optimal."""
        import pandas as pd

        counts = pd.Series(self.to_frame()["optimal"]).value_counts(normalize=True)
        return counts.rename("share of grid").to_frame()

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        from html import escape

        bounds = "".join(
            f"<li>{escape(b['a'])} | {escape(b['b'])}: {escape(str(b['boundary']))}</li>"
            for b in self.boundaries
        )
        title = f"<p><b>Two-way: {self.parameters[0]} × {self.parameters[1]}</b></p>"
        return f"{title}{self.regions().to_html()}<ul>{bounds}</ul>"


def _ring_boundary(diff: Any, a: sympy.Symbol, b: sympy.Symbol) -> sympy.Expr:
    """Like :func:`_boundary`, for a polynomial in the ring of ``(a, b)``: no sympy ``Poly`` built."""
    for k, s in ((1, b), (0, a)):
        terms = diff.terms()
        if max(m[k] for m, _c in terms) != 1:
            continue
        linear = [(m, c) for m, c in terms if m[k] == 1]
        if len(linear) != 1 or any(linear[0][0][j] for j in range(2) if j != k):
            continue  # the coefficient of s depends on the other parameter
        c1 = linear[0][1]
        constant_in_s = {m: c for m, c in terms if m[k] == 0}
        rest = diff.ring.from_dict(constant_in_s) if constant_in_s else diff.ring.zero
        solution = (rest * (-1 / diff.ring.domain.convert(c1)) if rest else rest).as_expr()
        return sympy.Eq(s, solution, evaluate=False)
    return sympy.Eq(diff.as_expr(), 0, evaluate=False)


def _boundary(diff: sympy.Expr, a: sympy.Symbol, b: sympy.Symbol) -> sympy.Expr:
    """``diff = 0`` solved for ``b`` (else ``a``) where it is linear with a constant coefficient.

    Otherwise the equation itself: dividing by a coefficient that can vanish
    would lose part of the curve.
    """
    for s in (b, a):
        try:
            poly = sympy.Poly(diff, s)
        except sympy.PolynomialError:
            continue
        if poly.degree() == 1:
            c1, c0 = poly.all_coeffs()
            if c1.is_number:
                return sympy.Eq(s, sympy.expand(-c0 / c1), evaluate=False)
    return sympy.Eq(diff, 0, evaluate=False)


def two_way(
    tree: model.DecisionTree,
    parameters: Sequence[str],
    *,
    ranges: Sequence[Sequence[Any] | None] | None = None,
    points: int | Sequence[int] = 101,
    values: Mapping[str, Any] | None = None,
) -> TwoWayResult:
    """Find where each strategy is optimal on a grid over two parameters.

    The grid is the float rollback, vectorised over every point at once (no
    strategy is listed to find the optimum).  For each pair of optimal
    strategies whose regions touch, the boundary is exact: their values as
    polynomials in the two parameters (one symbolic rollback each), set equal.

    Parameters
    ----------
    tree : DecisionTree
    parameters : (str, str)
    ranges : pair of (low, high) or None, optional
        Defaults to each parameter's bounds.
    points : int or (int, int), default 101
    values : mapping, optional
        Values of the other parameters.

    Returns
    -------
    TwoWayResult
        Grid points where a probability would leave [0, 1] are marked infeasible.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = two_way(korea_talks(), ("p_flout", "p_defect"), points=5)
    >>> sorted(r.regions().index)
    ['infeasible', 'no talks', 'talks, accept, say no, accept']
    """
    check_grid(tree, points, "a two-way grid", axes=2)
    tree = common.base_view(tree, list(parameters), values)
    common.check_utility(tree)
    a, b = parameters
    if a == b:
        raise ValueError("two_way needs two different parameters")
    n_a, n_b = (points, points) if isinstance(points, int) else points
    fixed = common.fixed_point(tree, values, [a, b])
    ranges = ranges or (None, None)
    axes = []
    for name, rng in zip((a, b), ranges):
        p = tree.parameter(name)
        lo, hi = (exact_number(v) for v in rng) if rng is not None else p.bounds
        if lo is None or hi is None:
            raise ModelError(f"parameter {name!r} has no bounds; give a range", field=f"parameters.{name}")
        axes.append((lo, hi))
    ga = np.linspace(float(axes[0][0]), float(axes[0][1]), n_a)
    gb = np.linspace(float(axes[1][0]), float(axes[1][1]), n_b)
    A, B = np.meshgrid(ga, gb, indexing="ij")
    feasible = _feasible_mask(tree, fixed, {a: A, b: B})
    others = common.float_point(fixed)
    best = np.full(A.shape, -1, dtype=np.int64)
    value = np.full(A.shape, np.nan)
    if common.few_strategies(tree):
        listed = [common.strategy_name(s) for s in common.listed_strategies(tree)]
    else:
        listed = []
    index = {n: i for i, n in enumerate(listed)}
    policy_of: dict[str, dict[str, str]] = {}
    if feasible.any():
        root, codes, policies = common.grid_policies(tree, {**others, a: A[feasible], b: B[feasible]})
        local = []
        for pol in policies:
            name = common.strategy_name(pol)
            policy_of[name] = pol
            if name not in index:
                index[name] = len(listed)
                listed.append(name)
            local.append(index[name])
        best[feasible] = np.asarray(local, dtype=np.int64)[codes]
        value[feasible] = root
    touching: dict[tuple[int, int], set[tuple[int, int, int]]] = {}
    for axis, (u, v) in enumerate(((best[1:, :], best[:-1, :]), (best[:, 1:], best[:, :-1]))):
        diff = (u != v) & (u >= 0) & (v >= 0)
        for r, c in zip(*np.nonzero(diff)):
            r2, c2 = (r + 1, c) if axis == 0 else (r, c + 1)
            cells = touching.setdefault(tuple(sorted((int(best[r2, c2]), int(best[r, c])))), set())
            cells.add((int(best[r2, c2]), int(r2), int(c2)))
            cells.add((int(best[r, c]), int(r), int(c)))
    exact_others = {k.name: v for k, v in fixed.items()}
    values_of: dict[int, Any] = {}
    polys: common.PolicyPolynomials | None = None
    symbolic_fallback = False

    def value_of(i: int) -> Any:
        """Return the strategy's value: a ring polynomial, or a sympy expression when not polynomial."""
        nonlocal polys, symbolic_fallback
        if i not in values_of:
            pol = policy_of[listed[i]]
            if not symbolic_fallback:
                try:
                    if polys is None:
                        polys = common.PolicyPolynomials(tree, exact_others, (a, b))
                    values_of[i] = polys.value_poly(pol)
                    return values_of[i]
                except NotImplementedError:
                    symbolic_fallback = True
                    values_of.clear()
            value = evaluate(tree, exact_others, method="symbolic", policy=pol, utility=None).value
            values_of[i] = sympy.expand(value)
        return values_of[i]

    boundaries, identical = [], []
    sign = 1.0 if tree.objective == "max" else -1.0
    for (i, j), cells in sorted(touching.items()):
        vi, vj = value_of(i), value_of(j)
        if symbolic_fallback:
            vi, vj = value_of(i), value_of(j)  # both as expressions
        diff_value = vi - vj
        cells_list = sorted(cells)
        cols = [ga[[r for _k, r, _c in cells_list]], gb[[c for _k, _r, c in cells_list]]]
        if isinstance(diff_value, sympy.Basic):
            diff = sympy.expand(diff_value)
            f = sympy.lambdify([symbol(a), symbol(b)], diff, "numpy")
            at = np.broadcast_to(np.asarray(f(*cols), dtype=float), cols[0].shape)
        else:
            diff = diff_value.as_expr()
            at = common.evaluate_ring_element(diff_value, cols)
        if diff == 0:
            identical.append(f"{listed[i]} | {listed[j]}")
            continue
        # the exact curve must separate the grid points on either side: value_i - value_j has
        # the sign of "i is optimal" at each of them (up to the float rollback's tie tolerance)
        ok = True
        for (k, r, c), d in zip(cells_list, sign * at):
            tol = 1e-9 * max(1.0, abs(float(value[r, c])))
            ok = ok and bool(d >= -tol if k == i else d <= tol)
        boundaries.append(
            {
                "a": listed[i],
                "b": listed[j],
                "boundary": (
                    _boundary(diff, symbol(a), symbol(b))
                    if isinstance(diff_value, sympy.Basic)
                    else _ring_boundary(diff_value, symbol(a), symbol(b))
                ),
                "verified": ok,
            }
        )
    note = ""
    if identical:
        note = "regions with identical values (they differ only where nothing is at stake): " + "; ".join(
            identical
        )
    return TwoWayResult((a, b), (ga, gb), best, listed, value, boundaries, note=note)


def _feasible_mask(
    tree: model.DecisionTree, fixed: Mapping[sympy.Symbol, Any], grid: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Return True where every chance probability lies in [0, 1] (within the float tolerance)."""
    from ..core.compile import PROBABILITY_TOLERANCE
    from ..core.rollback import FloatArithmetic

    shape = next(iter(grid.values())).shape
    flat = common.compiled(tree)
    point = {k.name: float(v) for k, v in fixed.items()}
    point.update({k: v.ravel() for k, v in grid.items()})
    probs = FloatArithmetic(int(np.prod(shape))).probabilities(flat, point)[flat.under_chance]
    ok = ((probs >= -PROBABILITY_TOLERANCE) & (probs <= 1 + PROBABILITY_TOLERANCE)).all(axis=0)
    return np.broadcast_to(ok, (int(np.prod(shape)),)).reshape(shape)
