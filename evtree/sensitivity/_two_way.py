"""Two parameters: where each strategy is optimal, and the exact boundaries between the regions."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..core import model
from ..core.compile import CHANCE, DECISION
from ..core.decompose import DecompositionTooLarge
from ..core.errors import ModelError
from ..core.evaluate import evaluate
from ..core.expressions import exact_number, symbol
from ..core.presenters import Presentable
from ..core.resources import check_grid
from . import _common as common

__all__ = ["TwoWayResult", "two_way"]

#: Trees with at most this many strategies have every pair compared in the exact partition.
EXHAUSTIVE_STRATEGIES = 16

#: The largest decomposition of one strategy's region (slabs times curves); beyond it the
#: result has no exact cells and the plot draws the grid.
MAX_CELLS = 20_000


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
        else those optimal somewhere on the grid, then any the exact partition
        found optimal between the grid points.
    values : ndarray
        The optimum at each point (NaN where infeasible).
    boundaries : list of dict
        For every pair of strategies whose regions touch on the grid, the exact
        boundary ``Eq(value_a, value_b)`` as a sympy relation (solved for the
        second parameter where possible), and ``verified``: whether the curve
        separates the grid points of the two regions where they touch.  Pairs whose values are identical
        (they differ only where nothing is at stake) are left out and named in ``note``.
    note : str
    cells : list of dict
        The exact partition of the box, when every strategy's value and every
        probability is a polynomial in the two parameters: the cells of an exact
        cylindrical algebraic decomposition along the curves where two strategies
        tie (in a tree with more strategies, where a policy's branch ties with another
        branch at a decision) or a probability reaches 0 or 1, merged across slabs.
        ``method`` says whether every region is exact or, past the certificate's
        budget, "NOT certified".  Each has
        ``strategy`` (None where a probability leaves [0, 1]), ``x`` (exact
        endpoints), ``x_float``, ``lower`` and ``upper`` (the bounding curve
        ``f = 0`` and which of its roots in the second parameter, or ``"box"``),
        and ``sample``, the exact rational point where it was decided.  Empty when
        no exact form exists (the grid is then all there is).
    """

    parameters: tuple[str, str]
    grid: tuple[np.ndarray, np.ndarray]
    optimal: np.ndarray
    strategies: list[str]
    values: np.ndarray
    boundaries: list[dict[str, Any]]
    method: str = "float rollback on the grid; exact boundaries between touching regions"
    note: str = ""
    cells: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    _partition: Any = dataclasses.field(repr=False, default=None)

    def polygons(self, *, n: int = 64) -> list[tuple[int, list[tuple[float, float]]]]:
        """Each exact cell of an optimal region as ``(strategy index, float vertices)``, for drawing.

        The bounding curves are sampled at ``n`` points per slab between the cells'
        exact x-endpoints.  Empty when there is no exact partition.
        """
        if self._partition is None:
            return []
        (a0, a1), (b0, b1) = ((float(g[0]), float(g[-1])) for g in self.grid)
        out = []
        for label, dec, run in self._partition:
            lower: list[tuple[float, float]] = []
            upper: list[tuple[float, float]] = []
            for part in run:
                poly = dec.polygon(part, n=n, xrange=(a0, a1), yrange=(b0, b1))
                half = len(poly) // 2
                lower += poly[:half]
                upper = poly[half:] + upper
            if len(lower) + len(upper) >= 3:
                out.append((label, lower + upper))
        return out

    def boundary_arcs(self, *, n: int = 64) -> list[list[tuple[float, float]]]:
        """Return the exact curves between cells of different strategies, as float polylines."""
        if self._partition is None:
            return []
        (a0, a1), (b0, b1) = ((float(g[0]), float(g[-1])) for g in self.grid)
        arcs = []
        decs = {id(dec): dec for _label, dec, _run in self._partition}
        for dec in decs.values():
            by_slab: dict[int, list[Any]] = {}
            for c in dec.cells:
                by_slab.setdefault(c.slab, []).append(c)
            arcs += self._arcs(dec, by_slab, (a0, a1), (b0, b1), n)
        return arcs

    @staticmethod
    def _arcs(
        dec: Any, by_slab: dict[int, list[Any]], ra: Any, rb: Any, n: int
    ) -> list[list[tuple[float, float]]]:
        from ..core.decompose import sample_x

        (a0, a1), (b0, b1) = ra, rb
        arcs = []
        for s, cells in by_slab.items():
            for below, above in zip(cells[:-1], cells[1:]):
                if below.label == above.label or below.upper is None:
                    continue
                slab = dec.slabs[s]
                lo = float(slab.lo) if slab.lo is not None else a0
                hi = float(slab.hi) if slab.hi is not None else a1
                xs = sample_x(max(lo, a0), min(hi, a1), n)
                if len(xs) < 2 or xs[0] >= xs[-1]:
                    continue
                inner = xs.copy()
                inner[0] += 1e-9 * (xs[-1] - xs[0])
                inner[-1] -= 1e-9 * (xs[-1] - xs[0])
                ys = dec.branch(below.upper, xs, s)
                bad = np.isnan(ys)
                if bad.any():
                    ys[bad] = dec.branch(below.upper, inner[bad], s)
                keep = ~np.isnan(ys) & (ys >= b0 - 1e-12) & (ys <= b1 + 1e-12)
                if keep.sum() >= 2:
                    arcs.append([(float(u), float(v)) for u, v in zip(xs[keep], ys[keep])])
        return arcs

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
    seeds: dict[tuple[int, ...], list[float]] = {}
    if feasible.any():
        root, codes, policies, seeds = _grid_policies(tree, {**others, a: A[feasible], b: B[feasible]}, a)
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
    method = TwoWayResult.method
    cells: list[dict[str, Any]] = []
    partition = None
    if not symbolic_fallback and policy_of:
        try:
            pairs = {(listed[i], listed[j]) for i, j in touching}
            partition = _exact_partition(
                tree, (a, b), axes, exact_others, others, policy_of, listed, sign, pairs, seeds
            )
        except (NotImplementedError, DecompositionTooLarge):
            partition = None
    if partition is not None:
        cells, partition, how = partition
        method = _METHODS[how]
    return TwoWayResult(
        (a, b),
        (ga, gb),
        best,
        listed,
        value,
        boundaries,
        method=method,
        note=note,
        cells=cells,
        _partition=partition,
    )


def _exact_partition(
    tree: model.DecisionTree,
    names: tuple[str, str],
    axes: Sequence[tuple[Any, Any]],
    exact_others: Mapping[str, Any],
    float_others: Mapping[str, Any],
    policy_of: dict[str, dict[str, str]],
    listed: list[str],
    sign: float,
    pairs: set[tuple[str, str]],
    seeds: Mapping[tuple[int, ...], Sequence[float]] | None = None,
) -> tuple[list[dict[str, Any]], Any, str] | None:
    """Each optimal strategy's region as an exact union of cells, and how it was found.

    ``how`` is a key of :data:`_METHODS`.  A tree with at most
    :data:`EXHAUSTIVE_STRATEGIES` strategies has every pair compared (``"exhaustive"``,
    below).  A bigger one is certified by the one-shot deviation principle
    (:func:`_certified_partition`, ``"certified"``, seeded with the full policies the
    grid found); only when that exceeds its budget are neighbours compared and re-checked
    at sample points (``"sampled"``): then a strategy optimal only in a patch holding none
    of the points can be missed.

    For a strategy ``s`` optimal somewhere on the grid, its region is where it beats
    each neighbour (the strategies whose grid regions touch its own) and every
    probability lies in [0, 1].  ``s`` beats ``t`` where the rollback would choose
    ``s``'s branch at the first decision where they part: where ``s``'s value in that
    decision's subtree is the larger (ties to the first branch), so a decision reached
    with probability 0 still has its choice decided.  The box is decomposed exactly along those
    curves alone (the irreducible factors of ``value_s - value_t`` and of each
    probability and its complement), and each cell is decided exactly at its rational
    sample point.  The float rollback at the sample point of every cell kept checks
    that ``s`` is optimal there; a strategy that beats it joins its neighbours and
    its decomposition is redone.  Raises NotImplementedError when a value or
    probability is not a polynomial in the two parameters.

    *Why comparing every pair is exact.*  Strategies (a choice at every decision they
    reach) are the leaves of a trie over their pre-order choices; two part at a decision
    ``d`` both reach.  If the rollback chooses ``s`` at a point, then at ``d`` its branch
    ``c`` is the first of largest rollback value, which is ``local_s(c)`` (``s`` is what
    the rollback does below ``c``), while ``t``'s branch has a rollback value at least
    ``local_t`` (a maximum over what can be done there): so ``s`` beats ``t``.
    Conversely if ``s`` beats every other strategy and the rollback chose ``t != s``,
    ``t`` would beat ``s`` too, and at one decision the two relations exclude each other.
    """
    import flint

    from ..core.decompose import decompose, merge

    a, b = names
    polys = common.PolicyPolynomials(tree, exact_others, (a, b))
    to_flint = _flint_converter((a, b))

    flat = polys.flat
    probs: dict[tuple, Any] = {}
    for i in np.flatnonzero(flat.under_chance):
        f = to_flint(polys._poly(polys.probs[i]))
        if not f.is_constant():
            probs.setdefault(tuple(sorted(f.to_dict().items())), f)
    prob_list = list(probs.values())
    one = flint.fmpq_mpoly_ctx.get((a, b), "lex").from_dict({(0, 0): 1})
    kind, first, count, nodes, parent = flat.kind, flat.first_child, flat.n_children, flat.nodes, flat.parent
    key_index = {nodes[int(d)].key: int(d) for d in flat.decision_indices}
    acc_cache: dict[int, Any] = {}
    local_cache: dict[tuple[str, int], Any] = {}

    def acc_to(i: int) -> Any:
        """Return the payoffs along the path from the root down to ``i``'s parent."""
        if i not in acc_cache:
            j = int(parent[i]) if i else -1
            acc_cache[i] = polys.ring.zero if j < 0 else acc_to(j) + polys._poly(polys._along[j])
        return acc_cache[i]

    def local(name: str, d: int) -> Any:
        """Return strategy ``name``'s value in the subtree at decision ``d`` (path payoffs included)."""
        if (name, d) not in local_cache:
            policy = policy_of[name]

            def val(i: int, acc: Any) -> Any:
                acc = acc + polys._poly(polys._along[i])
                if kind[i] == DECISION:
                    return val(int(first[i]) + choice(policy, i), acc)
                if kind[i] == CHANCE:
                    a = int(first[i])
                    return sum(
                        (polys._poly(polys.probs[c]) * val(c, acc) for c in range(a, a + int(count[i]))),
                        polys.ring.zero,
                    )
                return acc + polys._poly(polys._payoff[i])

            local_cache[name, d] = to_flint(val(d, acc_to(d)))
        return local_cache[name, d]

    def choice(policy: Mapping[str, str], i: int) -> int:
        labels = [nodes[c].label for c in range(int(first[i]), int(first[i]) + int(count[i]))]
        return labels.index(policy[nodes[i].key])

    def split(u: str, w: str) -> int:
        """Return the first decision (pre-order) where strategies ``u`` and ``w`` choose differently."""
        pu, pw = policy_of[u], policy_of[w]
        for key, label in pu.items():
            if pw.get(key) != label:
                return key_index[key]
        raise AssertionError("two strategies with the same name")  # pragma: no cover

    def rivalry(u: str, w: str) -> tuple[Any, bool]:
        """Return where ``u`` beats ``w``: ``(difference, wins ties)``.

        The difference of their values at the decision where they part (the rollback
        chooses there), and whether ``u`` wins an exact tie there (its branch comes first).
        """
        d = split(u, w)
        return local(u, d) - local(w, d), choice(policy_of[u], d) < choice(policy_of[w], d)

    order = {n: k for k, n in enumerate(listed)}
    exhaustive = common.count_strategies(tree) <= EXHAUSTIVE_STRATEGIES
    if not exhaustive:
        try:
            dec, found = _certified_partition(tree, names, axes, exact_others, seeds or {}, int(sign))
        except _OverBudget:
            pass
        else:
            for name, pol in found.items():
                policy_of.setdefault(name, pol)
                if name not in order:
                    order[name] = len(order)
                    listed.append(name)
            runs = [run for run in merge(dec) if run[0].label is not None]
            runs.sort(key=lambda run: order[run[0].label])
            return _records(listed, [(run[0].label, dec, run) for run in runs], "certified")
    if exhaustive:  # few strategies: compare every one with every other, nothing can be missed
        for pol in common.listed_strategies(tree):  # each a choice at every reachable decision
            name = common.strategy_name(pol)
            policy_of.setdefault(name, dict(pol))
            if name not in order:
                order[name] = len(order)
                listed.append(name)
    neighbours: dict[str, set[str]] = {n: set() for n in listed if n in policy_of}
    for u, w in pairs:
        neighbours[u].add(w)
        neighbours[w].add(u)
    if exhaustive:
        for n in neighbours:
            neighbours[n] = set(neighbours) - {n}
    box = tuple((sympy.Rational(lo), sympy.Rational(hi)) for lo, hi in axes)
    ranges = [(float(lo), float(hi)) for lo, hi in axes]
    x, y = symbol(a), symbol(b)
    feasible_curves = prob_list + [p - one for p in prob_list]

    def region_of(name: str) -> Any:
        """Decompose the box along ``name``'s tie curves with its neighbours; label its cells."""
        others = sorted(neighbours[name], key=lambda n: order.get(n, len(order)))
        diffs, shadowed = [], False
        for other in others:
            diff, wins_ties = rivalry(name, other)
            if diff.is_zero():  # tied everywhere where they part: the first branch is chosen
                shadowed = shadowed or not wins_ties
                continue
            diffs.append((other, diff))

        def decide(points: list[tuple[Any, Any]]) -> list[bool]:
            if shadowed:
                return [False] * len(points)
            out = []
            for u, w in points:
                ok = all(0 <= p(u, w) <= 1 for p in prob_list)
                for _other, d in diffs:
                    if not ok:
                        break
                    ok = d(u, w) * int(sign) > 0  # never 0 inside a cell: d has one sign there
                out.append(ok)
            return out

        return decompose(
            [d for _o, d in diffs] + feasible_curves,
            x,
            y,
            box,  # type: ignore[arg-type]
            decide=decide,
            max_cells=MAX_CELLS,
        )

    decs: dict[str, Any] = {}
    pending = set(neighbours)
    for _round in range(8):
        if not pending:
            break
        for name in sorted(pending, key=order.__getitem__):
            decs[name] = region_of(name)
        kept = [
            (name, c) for name in sorted(pending, key=order.__getitem__) for c in decs[name].cells if c.label
        ]
        pending = set()
        if not kept:
            continue
        # a second method at every kept cell at once: the float rollback's optimum at its sample
        # point and at points near its corners (where a missed region would be a thin wedge)
        names_at: list[str] = []
        points: list[tuple[Any, Any]] = []
        for name, c in kept:
            points.append(c.sample)
            names_at.append(name)
            for px, py in decs[name].interior_points(c, _NEAR, _NEAR, ranges[0], ranges[1]):
                points.append((flint.fmpq(*_ratio(px)), flint.fmpq(*_ratio(py))))
                names_at.append(name)
        qa = np.array([float(u) for u, _w in points])
        qb = np.array([float(w) for _u, w in points])
        _root, codes, pols = common.grid_policies(tree, {**float_others, a: qa, b: qb})
        for name, (u, w), code in zip(names_at, points, codes):
            pick = common.strategy_name(pols[code])
            if pick == name or pick in neighbours[name]:
                continue
            if pick not in policy_of:
                policy_of[pick] = pols[code]
            diff, wins_ties = rivalry(pick, name)
            at = diff(u, w) * int(sign)
            if at < 0 or (at == 0 and not wins_ties):
                continue  # not better exactly (a float tie)
            if pick not in order:
                order[pick] = len(order)
                listed.append(pick)
            neighbours[name].add(pick)
            neighbours.setdefault(pick, set()).add(name)
            pending |= {name, pick}
    if pending:  # pragma: no cover - new optima kept appearing
        return None
    partition: list[tuple[str, Any, list[Any]]] = []
    for name in sorted(decs, key=order.__getitem__):
        dec = decs[name]
        for c in dec.cells:
            c.label = name if c.label else None
        partition += [(name, dec, run) for run in merge(dec) if run[0].label is not None]
    return _records(listed, partition, "exhaustive" if exhaustive else "sampled")


def _records(
    listed: list[str], partition: list[tuple[str, Any, list[Any]]], how: str
) -> tuple[list[dict[str, Any]], Any, str]:
    """Return the cell records, the partition keyed by strategy index, and ``how``."""
    index = {n: i for i, n in enumerate(listed)}
    cells = []
    for name, dec, run in partition:
        first, last = run[0], run[-1]
        cells.append(
            {
                "strategy": name,
                "x": [_end(first.lo, "-oo"), _end(last.hi, "oo")],
                "x_float": [
                    float(first.lo) if first.lo is not None else -np.inf,
                    float(last.hi) if last.hi is not None else np.inf,
                ],
                "lower": _bound(dec, first.lower),
                "upper": _bound(dec, first.upper),
                "sample": [str(sympy.Rational(int(v.p), int(v.q))) for v in first.sample],
            }
        )
    return cells, [(index[name], dec, run) for name, dec, run in partition], how


_EXACT = (
    "exact partition: cells of a cylindrical algebraic decomposition along the curves where "
    "{curves} or a probability reaches 0 or 1, each decided exactly{how}; grid by float rollback"
)

#: ``TwoWayResult.method`` for each way the exact partition was found.
_METHODS = {
    "exhaustive": _EXACT.format(
        curves="strategies tie", how=" (every strategy compared: each region is exact)"
    ),
    "certified": _EXACT.format(
        curves="a policy's branch ties with another branch at a decision",
        how=(
            " by the exact rollback at a rational point, certified on the whole cell by the "
            "one-shot deviation principle (no deviation curve crosses it): each region is exact"
        ),
    ),
    "sampled": _EXACT.format(
        curves="strategies tie",
        how=(
            " (NOT certified, the tree being too big for the certificate: strategies optimal on "
            "the grid or at the cells' check points compared, so a strategy optimal only in a "
            "patch holding none of those points can be missed)"
        ),
    ),
}


class _OverBudget(Exception):
    """The certified partition would need more curves, rounds or cells than allowed."""


#: The most distinct deviation polynomials (curves) the certified partition decomposes along;
#: beyond it the partition falls back to comparing neighbours (and says it is not certified).
CERTIFIED_MAX_CURVES = 64

#: The most rounds of "decompose, decide every cell, add the new optimal policies".
CERTIFIED_MAX_ROUNDS = 40

#: How many times a strip of the box is halved (in the first parameter) when it needs more
#: than :data:`CERTIFIED_MAX_CURVES` curves: at most ``2 ** CERTIFIED_MAX_DEPTH`` strips.
CERTIFIED_MAX_DEPTH = 6

#: A strip whose decomposition would have more cells than this is halved (the curves of
#: policies optimal in only one half then leave the other half's decomposition).
CERTIFIED_STRIP_CELLS = 1000


class _FullPolicies:
    """Exact rollback and deviation polynomials of full policies (a choice at every decision).

    A full policy is a tuple of child offsets, one per decision in pre-order.  The value of
    node ``i`` reached with the payoffs ``acc`` accumulated above it, following a policy
    below, is ``(acc + along[i]) * M[i] + W[i]`` where ``M`` is the probability mass that
    reaches a terminal (1 when the probabilities sum to 1) and ``W`` the expected payoff
    below ``i``: the rollback's comparison at a decision ``d`` is between
    ``(A_d + along[c]) * M[c] + W[c]`` for its children ``c``, ``A_d`` the payoffs on the
    path to ``d`` and at ``d`` itself, as :meth:`PolicyPolynomials.value_poly` adds them.
    """

    def __init__(self, polys: common.PolicyPolynomials, to_flint: Any, sign: int) -> None:
        flat = polys.flat
        self.flat = flat
        self.sign = sign
        self.kind = flat.kind
        self.first = flat.first_child
        self.count = flat.n_children
        self.decisions = common.preorder_decisions(flat)
        self.position = {d: k for k, d in enumerate(self.decisions)}
        size = flat.size
        self.along = [to_flint(polys._poly(polys._along[i])) for i in range(size)]
        self.payoff = [
            to_flint(polys._poly(polys._payoff[i])) if self.kind[i] not in (DECISION, CHANCE) else None
            for i in range(size)
        ]
        parent = flat.parent
        self.prob: list[Any] = [None] * size
        for i in range(1, size):
            if self.kind[int(parent[i])] == CHANCE:
                self.prob[i] = to_flint(polys._poly(polys.probs[i]))
        acc: list[Any] = [None] * size  # payoffs on the path down to i's parent
        acc[0] = self.along[0] * 0
        for i in range(1, size):
            j = int(parent[i])
            acc[i] = acc[j] + self.along[j]
        self.acc = acc
        self._ids: dict[tuple, int] = {}
        self._mw: dict[int, tuple[Any, Any]] = {}
        self._deviations: dict[tuple[int, int, int], Any] = {}
        # for the rollback at a point: constants once, the polynomials evaluated per point
        self._parent = [int(j) for j in flat.parent]
        steps = [(i, int(self.kind[i]), int(self.first[i]), int(self.count[i])) for i in range(size)]
        self._steps = steps[::-1]

        def split(table: list[Any]) -> tuple[list[Any], list[tuple[int, Any]]]:
            constants = [None if f is None or not f.is_constant() else _constant(f) for f in table]
            return constants, [(i, f) for i, f in enumerate(table) if f is not None and not f.is_constant()]

        self._along_c, self._along_p = split(self.along)
        self._payoff_c, self._payoff_p = split(self.payoff)
        self._prob_c, self._prob_p = split(self.prob)
        self._infeasible = any(q is not None and (q < 0 or q > 1) for q in self._prob_c)
        self._at: dict[tuple[Any, Any], tuple[int, ...] | None] = {}  # the same sample in a later round

    # -- at one exact point
    def rollback(self, point: tuple[Any, Any]) -> tuple[int, ...] | None:
        """Return the rollback's full policy at a rational point (first branch wins exact ties).

        None where a probability leaves [0, 1].
        """
        if self._infeasible:
            return None
        if point in self._at:
            return self._at[point]
        self._at[point] = out = self._rollback(point)
        return out

    def _rollback(self, point: tuple[Any, Any]) -> tuple[int, ...] | None:
        u, w = point
        prob = list(self._prob_c)
        for i, f in self._prob_p:
            q = f(u, w)
            if q < 0 or q > 1:
                return None
            prob[i] = q
        along = list(self._along_c)
        for i, f in self._along_p:
            along[i] = f(u, w)
        payoff = list(self._payoff_c)
        for i, f in self._payoff_p:
            payoff[i] = f(u, w)
        size = len(along)
        parent = self._parent
        accv: list[Any] = [0] * size
        for i in range(1, size):  # parents come before their children
            j = parent[i]
            accv[i] = accv[j] + along[j]
        mass: list[Any] = [0] * size
        expect: list[Any] = [0] * size
        choice = [0] * size
        sign = self.sign
        for i, k, a, n in self._steps:  # children (larger indices) first
            if k == DECISION:
                base = accv[i] + along[i]
                best, best_value = 0, None
                for off in range(n):
                    c = a + off
                    v = (base + along[c]) * mass[c] + expect[c]
                    if best_value is None or (v - best_value) * sign > 0:
                        best, best_value = off, v
                choice[i] = best
                c = a + best
                mass[i], expect[i] = mass[c], along[c] * mass[c] + expect[c]
            elif k == CHANCE:
                m = e = 0
                for c in range(a, a + n):
                    q = prob[c]
                    m += q * mass[c]
                    e += q * (along[c] * mass[c] + expect[c])
                mass[i], expect[i] = m, e
            else:
                mass[i], expect[i] = 1, payoff[i]
        return tuple(choice[d] for d in self.decisions)

    # -- as polynomials
    def deviations(self, policy: tuple[int, ...]) -> list[tuple[Any, bool]]:
        """Each deviation polynomial of ``policy``, signed so that the policy needs it positive.

        For every decision ``d`` choosing ``c`` and every other branch ``b``:
        ``sign * (value of c - value of b)`` at ``d``, both following the policy below, and
        whether it must be strictly positive (``b`` comes before ``c``) or may be zero.
        Cached per (decision, choices below ``c``, choices below ``b``).
        """
        kind, first, count = self.kind, self.first, self.count
        size = len(self.along)
        sid = [0] * size
        for i in range(size - 1, -1, -1):
            k = kind[i]
            a = int(first[i])
            if k == DECISION:
                off = policy[self.position[i]]
                key: tuple = (i, off, sid[a + off])
            elif k == CHANCE:
                key = (i, *(sid[c] for c in range(a, a + int(count[i]))))
            else:
                key = (i,)
            sid[i] = self._intern(key, i, sid)
        out = []
        for d in self.decisions:
            a = int(first[d])
            off = policy[self.position[d]]
            c = a + off
            for b in range(a, a + int(count[d])):
                if b == c:
                    continue
                k3 = (d, sid[c], sid[b])
                g = self._deviations.get(k3)
                if g is None:
                    base = self.acc[d] + self.along[d]
                    (mc, wc), (mb, wb) = self._mw[sid[c]], self._mw[sid[b]]
                    g = ((base + self.along[c]) * mc + wc - (base + self.along[b]) * mb - wb) * self.sign
                    self._deviations[k3] = g
                out.append((g, b < c))
        return out

    def _intern(self, key: tuple, i: int, sid: list[int]) -> int:
        n = self._ids.get(key)
        if n is not None:
            return n
        n = self._ids[key] = len(self._ids)
        kind, first, count = self.kind, self.first, self.count
        a = int(first[i])
        if kind[i] == DECISION:
            c = a + key[1]
            mc, wc = self._mw[sid[c]]
            self._mw[n] = (mc, self.along[c] * mc + wc)
        elif kind[i] == CHANCE:
            m = e = self.along[i] * 0
            for c in range(a, a + int(count[i])):
                mc, wc = self._mw[sid[c]]
                m += self.prob[c] * mc
                e += self.prob[c] * (self.along[c] * mc + wc)
            self._mw[n] = (m, e)
        else:
            self._mw[n] = (self.along[i] * 0 + 1, self.payoff[i])
        return n

    def reachable(self, policy: tuple[int, ...]) -> dict[str, str]:
        return common.reachable_policy(self.flat, lambda i: policy[self.position[i]])


def _power_range(lo: Any, hi: Any, k: int) -> tuple[Any, Any]:
    """Return the exact range of ``t ** k`` for ``lo <= t <= hi``."""
    if k == 0:
        return lo**0, lo**0
    a, b = lo**k, hi**k
    if k % 2 == 0 and lo < 0 < hi:
        return a * 0, max(a, b)
    return min(a, b), max(a, b)


def _may_vanish(g: Any, box: Any) -> bool:
    """Whether the polynomial ``g`` may be 0 in the closed box: exact rational interval arithmetic.

    False proves ``g`` has one sign on the whole box; True may be pessimistic.
    """
    import flint

    (x0, x1), (y0, y1) = box
    qx0, qx1, qy0, qy1 = (
        flint.fmpq(int(sympy.Rational(v).p), int(sympy.Rational(v).q)) for v in (x0, x1, y0, y1)
    )
    low = high = flint.fmpq(0)
    for (ex, ey), c in g.to_dict().items():
        ax, bx = _power_range(qx0, qx1, int(ex))
        ay, by = _power_range(qy0, qy1, int(ey))
        products = [u * v * c for u in (ax, bx) for v in (ay, by)]
        low += min(products)
        high += max(products)
    return low <= 0 <= high


def _constant(f: Any) -> Any:
    import flint

    terms = f.to_dict()
    return terms.get((0, 0), flint.fmpq(0))


def _certified_partition(
    tree: model.DecisionTree,
    names: tuple[str, str],
    axes: Sequence[tuple[Any, Any]],
    exact_others: Mapping[str, Any],
    seeds: Mapping[tuple[int, ...], Sequence[float]],
    sign: int,
) -> tuple[Any, dict[str, dict[str, str]]]:
    """Cut the box into cells on each of which one full policy is provably optimal.

    **One-shot deviation principle.**  In a finite tree with one decision maker and
    expected values, let a *full policy* ``S`` choose a branch at every decision, reached
    or not, and let ``local_S(x)`` be the value at branch ``x`` following ``S`` below it.
    The rollback chooses ``S`` at a point (its choice at every decision) iff at every
    decision ``d``, ``S``'s branch ``c`` has ``local_S(c) > local_S(b)`` for each branch
    ``b`` before ``c`` and ``local_S(c) >= local_S(b)`` for each ``b`` after it (the first
    branch wins exact ties).  *Proof*, by induction from the leaves: the rollback's value
    of a subtree whose decisions all choose as ``S`` is ``local_S`` of it (a terminal
    trivially; a chance node is the probability-weighted sum of its children's values;
    a decision takes its chosen child's value).  If the rollback chooses ``S`` everywhere
    then at each ``d`` its choice ``c`` is the first branch of largest rollback value,
    and the rollback values of ``d``'s branches are ``local_S`` of them: the inequalities
    hold.  Conversely, if they hold at every decision, then by induction below each
    decision the rollback chooses as ``S`` (a decision with no decision below compares
    terminal values, which are ``local_S``); so the branches' rollback values at ``d``
    are their ``local_S`` values and the inequalities say ``c`` is the first branch of
    largest value: the rollback chooses ``c``.  (For ``min`` read smaller for larger.)

    **Certificate.**  For the policies found (``seeds``, then the new ones), the box is
    decomposed along the irreducible factors of every non-constant deviation polynomial
    ``local_S(c) - local_S(b)`` and of every probability ``P`` and ``P - 1``.  On a 2-D
    cell each of these has one sign, so the deviation conditions of each found policy hold
    on the whole cell or nowhere in it.  Each cell is decided by the exact rollback at
    its rational sample point: the policy ``T`` chosen there satisfies its own
    conditions at that point, so if ``T`` was among the policies decomposed along, ``T``
    is optimal on the whole cell.  Otherwise ``T`` is added and the box decomposed again;
    this ends because a tree has finitely many full policies.  When no cell is left
    undecided every 2-D cell has a proven optimal full policy, whose reachable part names
    the strategy; nothing is sampled.

    Returns the decomposition (each cell's ``label`` the strategy's name, None where a
    probability leaves [0, 1]) and each name's reachable policy.  Raises
    :class:`_OverBudget` past :data:`CERTIFIED_MAX_CURVES`, :data:`CERTIFIED_MAX_ROUNDS`
    or :data:`MAX_CELLS`; NotImplementedError when a value or probability is not a
    polynomial in the two parameters.
    """
    from ..core.decompose import concatenate, decompose

    a, b = names
    polys = common.PolicyPolynomials(tree, exact_others, (a, b))
    to_flint = _flint_converter((a, b))

    full = _FullPolicies(polys, to_flint, sign)
    flat = polys.flat
    feasibility: dict[tuple, Any] = {}
    for i in np.flatnonzero(flat.under_chance):
        f = full.prob[int(i)]
        if f is not None and not f.is_constant():
            for g in (f, f - 1):
                feasibility.setdefault(tuple(sorted(g.to_dict().items())), g)
    x, y = symbol(a), symbol(b)
    (x0, x1), (y0, y1) = ((sympy.Rational(lo), sympy.Rational(hi)) for lo, hi in axes)
    budget = [MAX_CELLS]  # cells left for the strips still to come
    box_q = {}

    def meets(g: Any, box: Any) -> bool:
        """Whether ``g`` may vanish in the closed ``box``: False when its sign is proven constant there.

        A curve that cannot vanish in the box keeps one sign on every cell, so the cells
        need not be cut along it (the certificate reads its sign at the sample point).
        """
        key = (box, tuple(sorted(g.to_dict().items())))
        if key not in box_q:
            box_q[key] = _may_vanish(g, box)
        return box_q[key]

    def strip(lo: Any, hi: Any, depth: int) -> list[tuple[Any, list[Any]]]:
        """Certify the strip ``lo < x < hi``, halving it while it needs too many curves."""
        width = float(x1 - x0) / 1000
        local = {p for p, (u, v) in seeds.items() if u <= float(hi) + width and v >= float(lo) - width}
        try:
            return [certify(((lo, hi), (y0, y1)), local, depth < CERTIFIED_MAX_DEPTH)]
        except _OverBudget:
            if depth >= CERTIFIED_MAX_DEPTH:
                raise
        mid = (lo + hi) / 2
        return strip(lo, mid, depth + 1) + strip(mid, hi, depth + 1)

    def certify(box: Any, seeded: set[tuple[int, ...]], halve: bool) -> tuple[Any, list[Any]]:
        """Decompose ``box`` along the found policies' curves until every cell is certified."""
        limit = min(budget[0], CERTIFIED_STRIP_CELLS) if halve else budget[0]
        found: set[tuple[int, ...]] = set()
        curves: dict[tuple, Any] = {k: g for k, g in feasibility.items() if meets(g, box)}
        pending = set(seeded)
        for _round in range(CERTIFIED_MAX_ROUNDS):
            for policy in pending:
                for g, _strict in full.deviations(policy):
                    if not g.is_constant() and meets(g, box):
                        curves.setdefault(tuple(sorted(g.to_dict().items())), g)
                if len(curves) > CERTIFIED_MAX_CURVES:
                    raise _OverBudget(f"more than {CERTIFIED_MAX_CURVES} curves")
            found |= pending
            try:
                dec = decompose(list(curves.values()), x, y, box, max_cells=limit)
            except DecompositionTooLarge as err:
                raise _OverBudget(str(err)) from err
            pending = set()
            chosen = []
            for cell in dec.cells:
                policy = full.rollback(cell.sample)
                chosen.append(policy)
                if policy is not None and policy not in found:
                    pending.add(policy)
            if not pending:
                budget[0] -= len(dec.cells)
                return dec, chosen
        raise _OverBudget(f"new optimal policies after {CERTIFIED_MAX_ROUNDS} rounds")

    whole = ((x0, x1), (y0, y1))
    for policy in seeds:  # one policy alone over the budget: no strip can be certified
        alone = sum(1 for g, _s in full.deviations(policy) if not g.is_constant() and meets(g, whole))
        if alone + len(feasibility) > CERTIFIED_MAX_CURVES:
            raise _OverBudget(f"one policy has {alone} deviation curves")
        break
    parts = strip(x0, x1, 0)
    dec = concatenate([d for d, _c in parts])
    chosen = [p for _d, c in parts for p in c]
    policy_of: dict[str, dict[str, str]] = {}
    for cell, policy in zip(dec.cells, chosen):
        if policy is None:
            cell.label = None
            continue
        u, w = cell.sample
        for g, strict in full.deviations(policy):  # the certificate, checked at the sample
            at = g(u, w) if not g.is_constant() else _constant(g)
            if at < 0 or (strict and at == 0):  # pragma: no cover - the rollback contradicts itself
                raise AssertionError(f"the policy chosen at {cell.sample} fails its own deviation test")
        reach = full.reachable(policy)
        name = common.strategy_name(reach)
        policy_of.setdefault(name, reach)
        cell.label = name
    return dec, policy_of


#: Fractions of a cell's width and height where the float rollback re-checks it.
_NEAR = (0.001, 0.02, 0.5, 0.98, 0.999)


def _ratio(v: float) -> tuple[int, int]:
    """Return a float as an exact ratio of integers."""
    return float(v).as_integer_ratio()


def _end(v: Any, edge: str) -> str:
    return edge if v is None else _end_text(v.q, v.key, v.index)


@functools.lru_cache(maxsize=10_000)
def _end_text(q: Any, key: Any, index: int) -> str:
    from ..core.decompose import RealAlgebraic

    return str(RealAlgebraic(q=q, key=key, index=index).to_sympy())


def _bound(dec: Any, section: Any) -> Any:
    if section is None:
        return "box"
    return {"curve": f"{dec.curves[section.curve]} = 0", "root": section.index}


def _flint_converter(names: tuple[str, str]) -> Callable[[Any], Any]:
    """Return a function writing a sympy polynomial in ``names`` as a python-flint polynomial (lex order)."""
    import flint

    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")

    def to_flint(p: Any) -> Any:
        return ctx.from_dict(
            {
                m: c if isinstance(c, flint.fmpq) else flint.fmpq(int(c.numerator), int(c.denominator))
                for m, c in p.terms()
            }
        )

    return to_flint


def _grid_policies(
    tree: model.DecisionTree, points: Mapping[str, Any], axis: str, *, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray, list[dict[str, str]], dict[tuple[int, ...], list[float]]]:
    """Like :func:`common.grid_policies`, and the full policies chosen (an offset at every decision).

    The full policies (offsets in :func:`common.preorder_decisions` order), each with the least
    and greatest value of the first parameter where the grid chose it, seed the certified partition.
    """
    flat = common.compiled(tree)
    decisions = common.preorder_decisions(flat)
    n = max((np.asarray(v).size for v in points.values() if np.ndim(v)), default=1)
    first_axis = np.broadcast_to(np.asarray(points[axis], dtype=float), (n,))
    full: dict[tuple[int, ...], list[float]] = {}  # each full policy's least and greatest first parameter

    def collect(r: Any, start: int, size: int) -> None:
        choice = np.asarray(r._choice)
        choice = choice[:, None] if choice.ndim == 1 else choice
        offsets = choice[decisions] - flat.first_child[decisions][:, None]
        rows, inverse = np.unique(
            np.broadcast_to(offsets.T, (size, len(decisions))), axis=0, return_inverse=True
        )
        at = first_axis[start : start + size]
        for k, row in enumerate(rows):
            xs = at[np.asarray(inverse).reshape(-1) == k]
            span = full.setdefault(tuple(int(v) for v in row), [np.inf, -np.inf])
            span[0], span[1] = min(span[0], float(xs.min())), max(span[1], float(xs.max()))

    values, codes, policies = common.grid_policies(tree, points, chunk=chunk, on_chunk=collect)
    return values, codes, policies, full


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
