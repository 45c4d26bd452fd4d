"""Two parameters: where each strategy is optimal, and the exact boundaries between the regions."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
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
        tie or a probability reaches 0 or 1, merged across slabs.  Each has
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
    method = TwoWayResult.method
    cells: list[dict[str, Any]] = []
    partition = None
    if not symbolic_fallback and policy_of:
        try:
            pairs = {(listed[i], listed[j]) for i, j in touching}
            partition = _exact_partition(
                tree, (a, b), axes, exact_others, others, policy_of, listed, sign, pairs
            )
        except (NotImplementedError, DecompositionTooLarge):
            partition = None
    if partition is not None:
        cells, partition, exhaustive = partition
        compared = (
            "every strategy compared"
            if exhaustive
            else "strategies optimal on the grid or at the cells' check points compared"
        )
        method = (
            "exact partition: cells of a cylindrical algebraic decomposition along the curves where "
            f"strategies tie or a probability reaches 0 or 1, each decided exactly ({compared}); "
            "grid by float rollback"
        )
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
) -> tuple[list[dict[str, Any]], Any, bool] | None:
    """Each optimal strategy's region as an exact union of cells (and whether every strategy was compared).

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
    """
    import flint

    from ..core.decompose import decompose, merge

    a, b = names
    polys = common.PolicyPolynomials(tree, exact_others, (a, b))
    ctx = flint.fmpq_mpoly_ctx.get((a, b), "lex")

    def to_flint(p: Any) -> Any:
        return ctx.from_dict(
            {
                m: c if isinstance(c, flint.fmpq) else flint.fmpq(int(c.numerator), int(c.denominator))
                for m, c in p.terms()
            }
        )

    flat = polys.flat
    probs: dict[tuple, Any] = {}
    for i in np.flatnonzero(flat.under_chance):
        f = to_flint(polys._poly(polys.probs[i]))
        if not f.is_constant():
            probs.setdefault(tuple(sorted(f.to_dict().items())), f)
    prob_list = list(probs.values())
    one = ctx.from_dict({(0, 0): 1})
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
    return cells, [(index[name], dec, run) for name, dec, run in partition], exhaustive


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
