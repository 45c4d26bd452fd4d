"""Acceptability: probability each strategy is optimal, and EVPI, against one parameter."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core import _random, model
from ..core.errors import EvaluationError, ModelError
from ..core.resources import check_memory
from .backends import TASKS, _blocks, _client_for, _draw, _evaluate_chunks, _Job, _make_job, _run
from .compiled import _PSA, BLOCK, CompiledTree
from .simulation import _check_fixed, _compiled


# ----------------------------------------------------------------------------- acceptability
@dataclasses.dataclass(frozen=True, eq=False)
class Acceptability:
    """Acceptability curves: against one parameter, how often each strategy is optimal, and EVPI.

    Attributes
    ----------
    parameter : str
    grid : ndarray
        The parameter's values.
    strategies : tuple of str
    probability_optimal : ndarray, shape (len(grid), n_strategies)
    mean : ndarray, shape (len(grid), n_strategies)
        Expected value of each strategy at each grid value.
    evpi : ndarray, shape (len(grid),)
    best : tuple of str
        The strategy with the best expected value at each grid value (the frontier).
    n_draws : int
    seed : numpy.random.SeedSequence
    method : str
    strategy_names : tuple of str
        Each strategy's name, ``decision=label, ...``, in the order of ``strategies``
        (which keeps the labels joined by commas, or the names given).
    """

    parameter: str
    grid: np.ndarray
    strategies: tuple[str, ...]
    probability_optimal: np.ndarray
    mean: np.ndarray
    evpi: np.ndarray
    best: tuple[str, ...]
    n_draws: int
    seed: np.random.SeedSequence
    method: str
    strategy_names: tuple[str, ...] = ()

    @property
    def best_strategies(self) -> tuple[str, ...]:
        """The best strategy at each grid value, by name (``decision=label, ...``)."""
        names = dict(zip(self.strategies, self.strategy_names or self.strategies))
        return tuple(names[b] for b in self.best)

    def to_frame(self, *, by_name: bool = False) -> Any:
        """One row per grid value: probability each strategy is optimal, the best strategy, EVPI.

        With ``by_name``, strategies are named ``decision=label, ...`` (columns and ``best``).
        """
        import pandas as pd

        names = list(self.strategy_names or self.strategies) if by_name else list(self.strategies)
        frame = pd.DataFrame(
            self.probability_optimal,
            columns=names,
            index=pd.Index(self.grid, name=self.parameter),
        )
        frame["best"] = list(self.best_strategies if by_name else self.best)
        frame["evpi"] = self.evpi
        return frame

    def __repr__(self) -> str:
        return f"<Acceptability against {self.parameter!r}: {len(self.grid)} values, {self.n_draws} draws>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            f"<p>Acceptability against <b>{self.parameter}</b> ({self.method})</p>"
            + self.to_frame(by_name=True).to_html()
        )


def acceptability_bytes(
    compiled: CompiledTree, draws: int, chunk: int, n_grid: int, *, fixed: Mapping[str, Any] | None = None
) -> float:
    """Estimate the memory of :func:`acceptability`: every block's sums, one block's values and draws.

    Each block of draws keeps, per grid value, a count and a sum per strategy and
    the best value's sum until all blocks are in; one block at a time holds its
    draws, each strategy's value at each draw, and one evaluation chunk
    (:func:`evtree.psa.simulation.psa_bytes`'s per-draw counts).
    """
    block = min(draws, BLOCK)
    columns = sum(
        (s.distribution.dim if s.nodes else 1) for s in compiled.sources if s.name not in (fixed or {})
    )
    kept = float(len(_blocks(draws))) * n_grid * (2 * compiled.n_strategies + 1) * 8
    working = 8.0 * block * (compiled.n_strategies + 2 + columns)
    per_chunk_draw = 8 * (compiled.n_nodes + compiled.n_strategies + 8 + 2 * columns)
    return kept + working + float(min(chunk, block)) * per_chunk_draw


def _acceptability_task(job: _Job, compiled: CompiledTree, task: tuple[int, int, int]) -> Any:
    b, start, n = task
    fixed = dict(job.fixed)
    inputs = _draw(compiled.sources, job.seq, (_PSA, b), n, skip={*fixed, job.grid_parameter})
    S, G = compiled.n_strategies, len(job.grid)
    counts = np.zeros((G, S), dtype=np.int64)
    sums = np.zeros((G, S))
    best_sums = np.zeros(G)
    for g, x in enumerate(job.grid):
        vals = _evaluate_chunks(compiled, inputs, n, job.chunk, start, {**fixed, job.grid_parameter: x})
        opt = vals.argmax(axis=0) if compiled.objective == "max" else vals.argmin(axis=0)
        counts[g] = np.bincount(opt, minlength=S)
        sums[g] = vals.sum(axis=1)
        best_sums[g] = (vals.max(axis=0) if compiled.objective == "max" else vals.min(axis=0)).sum()
    return counts, sums, best_sums


TASKS["accept"] = _acceptability_task


def acceptability(
    tree: model.DecisionTree | CompiledTree,
    parameter: str,
    grid: Sequence[float] | int = 21,
    *,
    draws: int = 10_000,
    seed: Any = None,
    values: Mapping[str, Any] | None = None,
    strategies: Any = None,
    chunk_size: int | None = None,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> Acceptability:
    """Return acceptability curves and EVPI against one parameter (a payoff weight, a willingness to pay).

    At each grid value the parameter is held there (its own distribution, if
    any, is not drawn) and the same draws of every other input are valued.

    Parameters
    ----------
    tree : DecisionTree or CompiledTree
    parameter : str
        The parameter to vary.
    grid : sequence of float, or int, default 21
        Its values; an integer asks for that many evenly spaced values between
        the parameter's ``low`` and ``high`` bounds.
    draws, seed, values, strategies, chunk_size, backend, client, progress
        As for :func:`psa`.

    Returns
    -------
    Acceptability

    Examples
    --------
    >>> from evtree import Branch, Decision, DecisionTree, Parameter, Terminal
    >>> from evtree.distributions import normal
    >>> tree = DecisionTree(
    ...     Decision("d", [Branch("treat", Terminal("wtp * effect - 1")), Branch("wait", Terminal(0))]),
    ...     parameters=[
    ...         Parameter("wtp", 1, low=0, high=4),
    ...         Parameter("effect", 0.5, distribution=normal(0.5, 0.2)),
    ...     ],
    ... )
    >>> acc = acceptability(tree, "wtp", [1, 3, 4], draws=4000, seed=0, progress=False)
    >>> acc.best
    ('wait', 'treat', 'treat')
    """
    compiled = _compiled(tree, strategies)
    p = compiled.tree.parameter(parameter)
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        low, high = p.bounds
        if low is None or high is None:
            raise ModelError(
                "an acceptability grid by count needs the parameter's low and high bounds; give the values",
                field=f"parameters.{parameter}",
            )
        grid_values = np.linspace(float(low), float(high), int(grid))
    else:
        grid_values = np.asarray([float(x) for x in grid])
    if grid_values.size == 0:
        raise ValueError("the grid is empty")
    fixed = _check_fixed(compiled.tree, values)
    fixed.pop(parameter, None)
    others = [s for s in compiled.sources if s.name not in fixed and s.name != parameter]
    if not others:
        raise EvaluationError(f"nothing is sampled besides {parameter!r}: give other inputs distributions")
    seq = _random.seed_sequence(seed)
    chunk = int(chunk_size or compiled.default_chunk())
    check_memory(
        acceptability_bytes(compiled, int(draws), chunk, len(grid_values), fixed=fixed),
        f"acceptability over {len(grid_values):,} values x {int(draws):,} draws x "
        f"{compiled.n_strategies} strategies",
        lower="the grid (grid=, --grid) or draws=",
    )
    dask_client = _client_for(backend, client)
    job = _make_job(
        compiled,
        "accept",
        seq,
        int(draws),
        chunk,
        dask_client is not None,
        fixed=tuple(fixed.items()),
        grid_parameter=parameter,
        grid=tuple(grid_values.tolist()),
    )
    tasks = _blocks(int(draws))
    parts: list[Any] = [None] * len(tasks)
    for i, result in _run(
        compiled,
        job,
        tasks,
        [t[2] * len(grid_values) for t in tasks],
        client=dask_client,
        progress=progress,
        unit="eval",
    ):
        parts[i] = result
    counts = sum(part[0] for part in parts)
    sums = np.zeros_like(parts[0][1])
    best_sums = np.zeros_like(parts[0][2])
    for part in parts:  # in block order: the same sums on every backend
        sums += part[1]
        best_sums += part[2]
    mean = sums / draws
    best_mean = best_sums / draws
    if compiled.objective == "max":
        best_idx, evpi = mean.argmax(axis=1), best_mean - mean.max(axis=1)
    else:
        best_idx, evpi = mean.argmin(axis=1), mean.min(axis=1) - best_mean
    return Acceptability(
        parameter=parameter,
        grid=grid_values,
        strategies=tuple(compiled.names),
        probability_optimal=counts / draws,
        mean=mean,
        evpi=evpi,
        best=tuple(compiled.names[i] for i in best_idx),
        n_draws=int(draws),
        seed=seq,
        method="Monte Carlo over a compiled array rollback, common draws at every grid value",
        strategy_names=tuple(compiled.strategy_names),
    )
