"""PSA over two criteria: cost and effect of every strategy at every draw, and what follows from them.

    cost_effect_psa   draw the inputs once, value every strategy's cost and effect -> CostEffectPSA
    CostEffectPSA     the draws; CE-plane scatter, net benefit, acceptability, EVPI/EVPPI at a WTP
    CEACurves         acceptability curves, acceptability frontier and EVPI against willingness to pay

The draws are those :func:`evtree.psa.psa` makes with the same seed (the same
canonical blocks and streams), so ``result.at_wtp(w)`` is the PSA of net
monetary benefit ``w * effect - cost`` and everything in :mod:`evtree.psa`
(EVPPI by regression or nested Monte Carlo, ...) works on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ..core import _random, model
from ..core.errors import EvaluationError
from ..core.objectives import Objective
from ..core.presenters import Presentable
from ..core.resources import check_memory
from .backends import _blocks, _draw, _evaluate_chunks
from .compiled import _PSA, CompiledTree
from .simulation import PSAResult, _check_fixed, psa_bytes

__all__ = ["CEACurves", "CostEffectPSA", "cost_effect_psa"]


def _criteria(tree: model.DecisionTree, cost: str | None, effect: str | None) -> tuple[str, str]:
    from ..cea import cost_effect_criteria

    return cost_effect_criteria(tree, cost, effect)


def cost_effect_psa(
    tree: model.DecisionTree,
    *,
    cost: str | None = None,
    effect: str | None = None,
    draws: int = 10_000,
    seed: Any = None,
    values: Mapping[str, Any] | None = None,
    strategies: Any = None,
    chunk_size: int | None = None,
    keep_draws: bool = True,
    progress: bool | None = None,
) -> CostEffectPSA:
    """Probabilistic sensitivity analysis of a tree's cost and effect criteria.

    Parameters
    ----------
    tree : DecisionTree
        A tree with criteria (see :func:`evtree.cea.cost_effect_criteria` for
        which are the cost and the effect) and distributions.
    cost, effect : str, optional
        The criteria.
    draws, seed, values, strategies, chunk_size, keep_draws, progress
        As for :func:`evtree.psa.psa`.

    Returns
    -------
    CostEffectPSA
    """
    from tqdm.auto import tqdm

    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    cost, effect = _criteria(tree, cost, effect)
    cost_model = CompiledTree(tree, strategies, flat=cost)
    named = dict(zip(cost_model.names, cost_model.policies))
    effect_model = CompiledTree(tree, named, flat=effect)
    if not cost_model.sources:
        raise EvaluationError("the tree has no distributions to draw from (see docs/psa.md)")
    fixed = _check_fixed(tree, values)
    seq = _random.seed_sequence(seed)
    chunk = int(chunk_size or cost_model.default_chunk())
    n = int(draws)
    s = cost_model.n_strategies
    # Two criteria: the cost and the effect of each strategy at each draw, and two compiled models.
    check_memory(
        psa_bytes(cost_model, n, chunk, keep_draws=keep_draws, fixed=fixed)
        + 8.0 * s * n
        + float(min(chunk, n)) * 8 * (effect_model.n_nodes + s),
        f"a cost-effectiveness PSA of {n:,} draws x {s} strategies",
        lower="--draws (draws=)",
    )
    costs, effects = np.empty((s, n)), np.empty((s, n))
    sampled = [x for x in cost_model.sources if x.name not in fixed]
    inputs = (
        {x.name: np.empty((n,) + ((x.distribution.dim,) if x.nodes else ())) for x in sampled}
        if keep_draws
        else None
    )
    bar = tqdm(total=n, unit="draw", unit_scale=True, disable=(None if progress is None else not progress))
    try:
        for b, start, m in _blocks(n):
            block = _draw(cost_model.sources, seq, (_PSA, b), m, skip=fixed)
            costs[:, start : start + m] = _evaluate_chunks(cost_model, block, m, chunk, start, fixed)
            effects[:, start : start + m] = _evaluate_chunks(effect_model, block, m, chunk, start, fixed)
            if inputs is not None:
                for k, v in block.items():
                    inputs[k][start : start + m] = v
            bar.update(m)
    finally:
        bar.close()
    crit = {c.name: c for c in tree.criteria}
    return CostEffectPSA(
        tree=tree,
        method="Monte Carlo over a compiled array rollback, per criterion",
        n_draws=n,
        seed=seq,
        strategies=tuple(cost_model.names),
        policies=tuple(cost_model.policies),
        costs=costs,
        effects=effects,
        inputs=inputs,
        columns={x.name: x.columns for x in sampled},
        fixed=fixed,
        cost_name=cost,
        effect_name=effect,
        cost_unit=crit[cost].unit,
        effect_unit=crit[effect].unit,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class CEACurves(Presentable):
    """Acceptability against willingness to pay (from :meth:`CostEffectPSA.acceptability`).

    Attributes
    ----------
    wtp : ndarray, shape (W,)
    strategies : tuple of str
    probability : ndarray, shape (S, W)
        Fraction of draws at which each strategy has the highest net benefit (the CEAC).
    expected_net_benefit : ndarray, shape (S, W)
    frontier_strategy : tuple of str
        At each WTP, the strategy with the highest expected net benefit (the decision).
    frontier_probability : ndarray, shape (W,)
        Its probability of being cost-effective: the acceptability frontier (CEAF).
    evpi : ndarray, shape (W,)
        Expected value of perfect information, in net monetary benefit.
    method : str
    strategy_names : tuple of str
        Each strategy's name, ``decision=label, ...``, in the order of ``strategies``.
    """

    wtp: np.ndarray
    strategies: tuple[str, ...]
    probability: np.ndarray
    expected_net_benefit: np.ndarray
    frontier_strategy: tuple[str, ...]
    frontier_probability: np.ndarray
    evpi: np.ndarray
    method: str = "Monte Carlo: net benefit at every draw and willingness to pay"
    strategy_names: tuple[str, ...] = ()

    @property
    def frontier_names(self) -> tuple[str, ...]:
        """The frontier strategy at each WTP, by name (``decision=label, ...``)."""
        names = dict(zip(self.strategies, self.strategy_names or self.strategies))
        return tuple(names[f] for f in self.frontier_strategy)

    def to_frame(self, *, by_name: bool = False) -> Any:
        """One row per WTP: each strategy's probability, the frontier strategy and probability, EVPI.

        With ``by_name``, strategies are named ``decision=label, ...`` (columns and ``frontier``).
        """
        import pandas as pd

        names = list(self.strategy_names or self.strategies) if by_name else list(self.strategies)
        frame = pd.DataFrame(self.probability.T, columns=names)
        frame.index = pd.Index(self.wtp, name="wtp")
        frame["frontier"] = list(self.frontier_names if by_name else self.frontier_strategy)
        frame["frontier_probability"] = self.frontier_probability
        frame["evpi"] = self.evpi
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<p><b>Cost-effectiveness acceptability</b></p>" + self.to_frame(by_name=True).to_html()


@dataclasses.dataclass(frozen=True, eq=False)
class CostEffectPSA(Presentable):
    """Result of :func:`cost_effect_psa`: each strategy's cost and effect at every draw.

    Attributes
    ----------
    costs, effects : ndarray, shape (n_strategies, n_draws)
    strategies, policies, inputs, columns, fixed, seed, n_draws, method
        As in :class:`evtree.psa.PSAResult`.
    cost_name, effect_name, cost_unit, effect_unit : str
    """

    tree: model.DecisionTree
    method: str
    n_draws: int
    seed: np.random.SeedSequence
    strategies: tuple[str, ...]
    policies: tuple[dict[str, str], ...]
    costs: np.ndarray
    effects: np.ndarray
    inputs: Mapping[str, np.ndarray] | None
    columns: Mapping[str, tuple[str, ...]]
    fixed: Mapping[str, float]
    cost_name: str = "cost"
    effect_name: str = "effect"
    cost_unit: str = ""
    effect_unit: str = ""

    @cached_property
    def mean_cost(self) -> np.ndarray:
        """Each strategy's expected cost over the draws."""
        return self.costs.mean(axis=1)

    @cached_property
    def mean_effect(self) -> np.ndarray:
        """Each strategy's expected effect over the draws."""
        return self.effects.mean(axis=1)

    def net_benefit(self, wtp: float) -> np.ndarray:
        """Net monetary benefit ``wtp * effect - cost`` of each strategy at each draw, ``(S, N)``."""
        return float(wtp) * self.effects - self.costs

    def icers(self) -> Any:
        """Return the cost-effectiveness frontier of the strategies' expected costs and effects."""
        from ..cea import icers

        return icers(
            cost=self.mean_cost.tolist(),
            effect=self.mean_effect.tolist(),
            names=list(self.strategies),
            cost_name=self.cost_name,
            effect_name=self.effect_name,
            cost_unit=self.cost_unit,
            effect_unit=self.effect_unit,
            note=f"means of {self.n_draws} PSA draws",
        )

    def acceptability(self, wtp: Sequence[float] | np.ndarray) -> CEACurves:
        """Return acceptability curves, the acceptability frontier and EVPI at each willingness to pay.

        Ties between strategies at a draw go to the first strategy (as in :func:`evtree.psa.psa`).
        """
        grid = np.asarray(wtp, dtype=float).reshape(-1)
        if (grid < 0).any() or not np.isfinite(grid).all():
            raise ValueError("willingness-to-pay values must be finite and >= 0")
        s = self.costs.shape[0]
        expected = np.outer(self.mean_effect, grid) - self.mean_cost[:, None]
        if s == 2 and len(grid) > 4:
            prob, best_mean = self._two_strategy_curves(grid)
        else:
            prob, best_mean = self._curves(grid)
        from ..core.evaluate import strategy_name

        evpi = best_mean - expected.max(axis=0)
        front = expected.argmax(axis=0)
        return CEACurves(
            wtp=grid,
            strategies=self.strategies,
            probability=prob,
            expected_net_benefit=expected,
            frontier_strategy=tuple(self.strategies[i] for i in front),
            frontier_probability=prob[front, np.arange(len(grid))],
            evpi=np.maximum(evpi, 0.0),
            strategy_names=tuple(strategy_name(p) for p in self.policies),
        )

    def _curves(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per WTP: the fraction of draws at which each strategy is best, and E[best net benefit]."""
        s, n = self.costs.shape
        prob = np.empty((s, len(grid)))
        best_mean = np.empty(len(grid))
        buf = np.empty_like(self.costs)
        for j, lam in enumerate(grid):
            np.multiply(self.effects, lam, out=buf)
            buf -= self.costs
            prob[:, j] = np.bincount(buf.argmax(axis=0), minlength=s) / n
            best_mean[j] = buf.max(axis=0).mean()
        return prob, best_mean

    def _two_strategy_curves(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`_curves` for two strategies, by sorting each draw's switching WTP once.

        Strategy 1 beats strategy 0 at a draw iff ``wtp * dE - dC > 0``: for ``wtp``
        above ``dC / dE`` when ``dE > 0``, below it when ``dE < 0``, and always or
        never when ``dE = 0``.  Counts and sums over those sets come from sorted
        thresholds and prefix sums: O(N log N + W log N) instead of O(N W).
        """
        n = self.costs.shape[1]
        d_e = self.effects[1] - self.effects[0]
        d_c = self.costs[1] - self.costs[0]
        pos, neg = d_e > 0, d_e < 0
        always = (d_e == 0) & (d_c < 0)
        pieces = []
        for mask in (pos, neg):
            r = d_c[mask] / d_e[mask]
            order = np.argsort(r, kind="stable")
            cum_e = np.concatenate([[0.0], np.cumsum(d_e[mask][order])])
            cum_c = np.concatenate([[0.0], np.cumsum(d_c[mask][order])])
            pieces.append((r[order], cum_e, cum_c))
        (r_pos, pe, pc), (r_neg, ne, nc) = pieces
        k_pos = np.searchsorted(r_pos, grid, side="left")  # r < wtp: strategy 1 wins
        k_neg = np.searchsorted(r_neg, grid, side="right")  # r > wtp: strategy 1 wins (suffix)
        count = k_pos + (len(r_neg) - k_neg) + int(always.sum())
        gain_e = pe[k_pos] + (ne[-1] - ne[k_neg])
        gain_c = pc[k_pos] + (nc[-1] - nc[k_neg]) + d_c[always].sum()
        prob = np.vstack([(n - count) / n, count / n])
        base = grid * self.effects[0].mean() - self.costs[0].mean()
        best_mean = base + (grid * gain_e - gain_c) / n
        return prob, best_mean

    def evpi(self, wtp: float) -> float:
        """Return the EVPI at one willingness to pay (in net monetary benefit)."""
        return float(self.acceptability([wtp]).evpi[0])

    def at_wtp(self, wtp: float) -> PSAResult:
        """Return the PSA of net monetary benefit at ``wtp``: a :class:`evtree.psa.PSAResult`.

        Its values are ``wtp * effect - cost`` at the same draws, so EVPI, the
        probability each strategy is optimal, and :func:`evtree.psa.evppi` (by
        regression, or nested Monte Carlo on the net-benefit tree) follow.
        """
        w = float(wtp)
        objective = Objective.net_benefit(self.effect_name, self.cost_name, w)
        compiled = CompiledTree(self.tree, dict(zip(self.strategies, self.policies)), flat=objective)
        return PSAResult(
            tree=self.tree,
            method=f"{self.method}; net monetary benefit at wtp = {w:g}",
            n_draws=self.n_draws,
            seed=self.seed,
            strategies=self.strategies,
            policies=self.policies,
            values=self.net_benefit(w),
            inputs=self.inputs,
            columns=self.columns,
            objective="max",
            fixed=self.fixed,
            backend="local",
            _compiled=compiled,
        )

    def evppi(self, parameters: Any, wtp: float, **options: Any) -> Any:
        """EVPPI of a group of inputs at one willingness to pay (see :func:`evtree.psa.evppi`)."""
        from .evppi import evppi

        return evppi(self.at_wtp(wtp), parameters, **options)

    def to_frame(self) -> Any:
        """One row per strategy: mean and sd of cost and of effect."""
        import pandas as pd

        ddof = 1 if self.n_draws > 1 else 0
        frame = pd.DataFrame(
            {
                f"mean_{self.cost_name}": self.mean_cost,
                f"sd_{self.cost_name}": self.costs.std(axis=1, ddof=ddof),
                f"mean_{self.effect_name}": self.mean_effect,
                f"sd_{self.effect_name}": self.effects.std(axis=1, ddof=ddof),
            },
            index=pd.Index(self.strategies, name="strategy"),
        )
        frame.attrs["method"] = self.method
        return frame

    def summary(self) -> str:
        """Return a few lines: draws, seed, expected cost and effect of each strategy."""
        lines = [
            f"cost-effectiveness PSA of {self.tree.name or 'tree'}: {self.n_draws:,} draws, "
            f"seed {self.seed.entropy}"
        ]
        for i, name in enumerate(self.strategies):
            lines.append(
                f"  {name}: {self.cost_name} {self.mean_cost[i]:.6g}, "
                f"{self.effect_name} {self.mean_effect[i]:.6g}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CostEffectPSA {self.n_draws} draws, {len(self.strategies)} strategies>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.to_frame().to_html()
