"""The PSA itself: every input drawn, every strategy valued at every draw -> PSAResult."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ..core import _random, model
from ..core.errors import EvaluationError, ModelError, UnknownNameError
from ..core.resources import check_memory
from .backends import _blocks, _client_for, _make_job, _run
from .compiled import CompiledTree


# ----------------------------------------------------------------------------- PSA
def psa_bytes(
    compiled: CompiledTree,
    draws: int,
    chunk: int,
    *,
    keep_draws: bool = True,
    fixed: Mapping[str, Any] | None = None,
) -> float:
    """Estimate the memory of :func:`psa`: its result arrays, the kept draws, one evaluation chunk.

    Each strategy's value at each draw, the best value and the optimal strategy at each
    draw (for the summaries), every kept input column, and the working memory of one
    chunk of ``chunk`` draws (:meth:`CompiledTree.default_chunk`'s per-draw count).
    """
    columns = sum(
        (s.distribution.dim if s.nodes else 1) for s in compiled.sources if s.name not in (fixed or {})
    )
    per_draw = 8 * (compiled.n_strategies + 2 + (columns if keep_draws else 0))
    per_chunk_draw = 8 * (compiled.n_nodes + compiled.n_strategies + 8 + 2 * columns)
    return float(draws) * per_draw + float(min(chunk, draws)) * per_chunk_draw


def _check_fixed(tree: model.DecisionTree, values: Mapping[str, Any] | None) -> dict[str, float]:
    from ..core.expressions import exact_number

    fixed = {}
    for name, v in (values or {}).items():
        if tree.parameter(name).is_formula and tree.parameter(name).distribution is None:
            raise ModelError(
                "a formula parameter follows its base parameters in every draw; hold those instead, "
                "or give it a value with tree.with_parameters",
                field=f"parameters.{name}",
            )
        try:
            fixed[name] = float(exact_number(v)) if not isinstance(v, (int, float)) else float(v)
        except (TypeError, ValueError):
            raise ModelError(f"cannot use {v!r} as a value", field=f"parameters.{name}") from None
    return fixed


def _compiled(tree: model.DecisionTree | CompiledTree, strategies: Any) -> CompiledTree:
    if isinstance(tree, CompiledTree):
        if strategies is not None:
            raise ValueError("strategies are fixed when the tree is compiled")
        return tree
    return CompiledTree(tree, strategies)


def psa(
    tree: model.DecisionTree | CompiledTree,
    *,
    draws: int = 10_000,
    seed: Any = None,
    values: Mapping[str, Any] | None = None,
    strategies: Any = None,
    chunk_size: int | None = None,
    keep_draws: bool = True,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> PSAResult:
    """Probabilistic sensitivity analysis: value every strategy at ``draws`` joint draws of the inputs.

    Parameters
    ----------
    tree : DecisionTree or CompiledTree
        The tree, with distributions on some parameters and/or Dirichlets over
        chance nodes (``tree.distributions``).
    draws : int, default 10_000
        Number of joint draws.
    seed : {None, int, numpy.random.SeedSequence, numpy.random.Generator}
        The one seed (see :func:`evtree._random.seed_sequence`); the result
        records it, so a run with ``seed=None`` can be repeated.
    values : mapping of str to number, optional
        Parameters held at these values instead of their defaults or draws.
    strategies : sequence or mapping of policies, optional
        The strategies to compare (default: every strategy of the tree).
    chunk_size : int, optional
        Draws evaluated at once (memory bound); the numbers do not depend on it.
    keep_draws : bool, default True
        Keep the input draws (needed by :func:`evppi` with the regression method).
    backend : {"local", "dask"}, default "local"
        ``"dask"`` sends blocks of draws to the current Dask client (or to dask's
        threaded scheduler when there is none); the numbers are the same.
    client : dask.distributed.Client, optional
        A client to send the blocks to (implies the Dask backend).
    progress : bool or None
        Show a tqdm progress bar; ``None`` shows it only on a terminal.

    Returns
    -------
    PSAResult

    Raises
    ------
    EvaluationError
        If the tree has no distributions, too many strategies, a non-linear
        utility, or an expression without a finite value at some draw.
    ProbabilityError
        If sampled probabilities leave [0, 1] or stop summing to 1 at some draw
        (the message gives the draw and the parameter values).
    ModelError
        If a distribution is malformed.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> from evtree.distributions import dirichlet
    >>> tree = texaco_pennzoil()
    >>> tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
    >>> r = psa(tree, draws=20_000, seed=1, progress=False)
    >>> r.best
    'counteroffer 5, refuse 3'
    >>> r.evpi  # court (4.56) always beats $3B, whatever Texaco's response: nothing to learn
    0.0
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    compiled = _compiled(tree, strategies)
    if not compiled.sources:
        raise EvaluationError(
            "the tree has no distributions to draw from: give parameters a 'distribution' "
            "or list Dirichlets over chance nodes under 'distributions' (see docs/psa.md)"
        )
    fixed = _check_fixed(compiled.tree, values)
    seq = _random.seed_sequence(seed)
    chunk = int(chunk_size or compiled.default_chunk())
    if chunk < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size!r}")
    check_memory(
        psa_bytes(compiled, int(draws), chunk, keep_draws=keep_draws, fixed=fixed),
        f"a PSA of {int(draws):,} draws x {compiled.n_strategies} strategies",
        lower="--draws (draws=)",
    )
    dask_client = _client_for(backend, client)
    job = _make_job(
        compiled,
        "psa",
        seq,
        int(draws),
        chunk,
        dask_client is not None,
        keep_draws=keep_draws,
        fixed=tuple(fixed.items()),
    )
    tasks = _blocks(int(draws))
    out = np.empty((compiled.n_strategies, int(draws)))
    sampled = [s for s in compiled.sources if s.name not in fixed]
    inputs = (
        {s.name: np.empty((int(draws),) + ((s.distribution.dim,) if s.nodes else ())) for s in sampled}
        if keep_draws
        else None
    )
    for i, (vals, block_inputs) in _run(
        compiled, job, tasks, [t[2] for t in tasks], client=dask_client, progress=progress, unit="draw"
    ):
        _, start, n = tasks[i]
        out[:, start : start + n] = vals
        if inputs is not None:
            for k, v in block_inputs.items():
                inputs[k][start : start + n] = v
    return PSAResult(
        tree=compiled.tree,
        method="Monte Carlo over a compiled array rollback",
        n_draws=int(draws),
        seed=seq,
        strategies=tuple(compiled.names),
        policies=tuple(compiled.policies),
        values=out,
        inputs=inputs,
        columns={s.name: s.columns for s in sampled},
        objective=compiled.objective,
        fixed=fixed,
        backend="local" if dask_client is None else "dask",
        _compiled=compiled,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class PSAResult:
    """Result of :func:`psa`: the value of every strategy at every draw, and what follows from it.

    Attributes
    ----------
    tree : DecisionTree
    method : str
        How the numbers were produced.
    n_draws : int
    seed : numpy.random.SeedSequence
        The seed used; ``seed.entropy`` repeats the run.
    strategies : tuple of str
        Strategy names (the chosen labels, in pre-order, unless named by the caller).
    policies : tuple of dict
        Each strategy as decision name -> branch label.
    values : ndarray, shape (n_strategies, n_draws)
        The value of each strategy at each draw.
    inputs : dict of str to ndarray, or None
        The draws of each sampled input: ``(n_draws,)`` for a parameter,
        ``(n_draws, K)`` for a Dirichlet (``None`` with ``keep_draws=False``).
    columns : dict of str to tuple of str
        Column names of each input's draws.
    objective : {"max", "min"}
    fixed : dict
        Parameters held at given values.
    backend : {"local", "dask"}
    """

    tree: model.DecisionTree
    method: str
    n_draws: int
    seed: np.random.SeedSequence
    strategies: tuple[str, ...]
    policies: tuple[dict[str, str], ...]
    values: np.ndarray
    inputs: Mapping[str, np.ndarray] | None
    columns: Mapping[str, tuple[str, ...]]
    objective: str
    fixed: Mapping[str, float]
    backend: str
    _compiled: CompiledTree | None = dataclasses.field(default=None, repr=False)

    # -- per draw ---------------------------------------------------------------------------
    @property
    def _sign(self) -> float:
        return 1.0 if self.objective == "max" else -1.0

    @cached_property
    def optimal(self) -> np.ndarray:
        """Index of the optimal strategy at each draw (the first, on exact ties)."""
        v = self.values
        idx = v.argmax(axis=0) if self.objective == "max" else v.argmin(axis=0)
        return idx.astype(np.int16 if len(self.strategies) < 2**15 else np.int64)

    @cached_property
    def best_values(self) -> np.ndarray:
        """The value of the optimal strategy at each draw (with perfect information)."""
        return self.values.max(axis=0) if self.objective == "max" else self.values.min(axis=0)

    def differences(self, reference: str | None = None) -> Any:
        """Each strategy's value minus the reference strategy's (default :attr:`best`), per draw.

        Returns
        -------
        pandas.DataFrame
            One column per other strategy, one row per draw.
        """
        import pandas as pd

        ref = self._index(reference if reference is not None else self.best)
        cols = {name: self.values[i] - self.values[ref] for i, name in enumerate(self.strategies) if i != ref}
        return pd.DataFrame(cols)

    def _index(self, name: str) -> int:
        try:
            return self.strategies.index(name)
        except ValueError:
            raise UnknownNameError(
                f"no strategy {name!r} (strategies: {', '.join(map(repr, self.strategies))})"
            ) from None

    @cached_property
    def correlations(self) -> Any:
        """The correlations asked for between parameters (``type: correlation``) and those realised.

        Returns
        -------
        pandas.DataFrame
            One row per pair of correlated parameters: ``method`` ("rank": Spearman,
            "normal": Pearson), ``asked`` and ``realised`` in the draws.  Empty when
            no parameters are correlated.
        """
        import pandas as pd
        from scipy.stats import pearsonr, spearmanr

        rows = []
        compiled = self._compiled
        groups = (
            {}
            if compiled is None
            else {id(s.correlation): s.correlation for s in compiled.sources if s.correlation is not None}
        )
        if groups and self.inputs is None:
            raise EvaluationError("the draws were not kept; run psa(..., keep_draws=True)")
        for g in groups.values():
            for i, a in enumerate(g.parameters):
                for j in range(i + 1, len(g.parameters)):
                    b = g.parameters[j]
                    if a in self.fixed or b in self.fixed:
                        continue
                    x, y = np.asarray(self.inputs[a]), np.asarray(self.inputs[b])
                    realised = (spearmanr(x, y) if g.method == "rank" else pearsonr(x, y))[0]
                    rows.append(
                        {
                            "a": a,
                            "b": b,
                            "method": g.method,
                            "asked": float(g.matrix[i, j]),
                            "realised": float(realised),
                        }
                    )
        return pd.DataFrame(rows, columns=["a", "b", "method", "asked", "realised"])

    def draws_frame(self) -> Any:
        """Return the input draws as a DataFrame, one column per parameter or Dirichlet component."""
        import pandas as pd

        if self.inputs is None:
            raise EvaluationError("the draws were not kept; run psa(..., keep_draws=True)")
        data = {}
        for name, arr in self.inputs.items():
            if arr.ndim == 1:
                data[name] = arr
            else:
                for j, col in enumerate(self.columns[name]):
                    data[col] = arr[:, j]
        return pd.DataFrame(data)

    # -- summaries --------------------------------------------------------------------------
    @cached_property
    def mean(self) -> np.ndarray:
        """Expected value of each strategy over the draws."""
        return self.values.mean(axis=1)

    @cached_property
    def sd(self) -> np.ndarray:
        """Standard deviation of each strategy's value over the draws."""
        return self.values.std(axis=1, ddof=1) if self.n_draws > 1 else np.zeros(len(self.strategies))

    def percentiles(self, q: Sequence[float] = (2.5, 50, 97.5)) -> np.ndarray:
        """Percentiles of each strategy's value, shape ``(n_strategies, len(q))``."""
        return np.percentile(self.values, list(q), axis=1).T

    @cached_property
    def best_index(self) -> int:
        """Index of the strategy with the best expected value."""
        return int(np.argmax(self.mean) if self.objective == "max" else np.argmin(self.mean))

    @property
    def best(self) -> str:
        """The strategy with the best expected value (the decision under current information)."""
        return self.strategies[self.best_index]

    @cached_property
    def probability_optimal(self) -> np.ndarray:
        """Fraction of draws at which each strategy is optimal."""
        return np.bincount(self.optimal, minlength=len(self.strategies)) / self.n_draws

    @cached_property
    def expected_loss(self) -> np.ndarray:
        """Expected opportunity loss of each strategy: E[best value at the draw − its value]."""
        return self._sign * (self.best_values.mean() - self.mean)

    @property
    def evpi(self) -> float:
        """Expected value of perfect information: the expected loss of the best strategy."""
        return float(self.expected_loss[self.best_index])

    @cached_property
    def evpi_se(self) -> float:
        """Monte Carlo standard error of :attr:`evpi`."""
        if self.n_draws < 2:
            return float("nan")
        loss = self._sign * (self.best_values - self.values[self.best_index])
        return float(loss.std(ddof=1) / math.sqrt(self.n_draws))

    def to_frame(self, percentiles: Sequence[float] = (2.5, 50, 97.5)) -> Any:
        """One row per strategy: mean, sd, percentiles, probability optimal, expected loss, best.

        Examples
        --------
        >>> from evtree.library import texaco_pennzoil
        >>> from evtree.distributions import dirichlet
        >>> tree = texaco_pennzoil()
        >>> tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
        >>> psa(tree, draws=1000, seed=2, progress=False).to_frame().columns.tolist()
        ['mean', 'sd', 'p2.5', 'p50', 'p97.5', 'probability_optimal', 'expected_loss', 'best']
        """
        import pandas as pd

        frame = pd.DataFrame(
            {"mean": self.mean, "sd": self.sd}, index=pd.Index(self.strategies, name="strategy")
        )
        pct = self.percentiles(percentiles)
        for j, q in enumerate(percentiles):
            frame[f"p{q:g}"] = pct[:, j]
        frame["probability_optimal"] = self.probability_optimal
        frame["expected_loss"] = self.expected_loss
        frame["best"] = [i == self.best_index for i in range(len(self.strategies))]
        return frame

    def summary(self) -> str:
        """Return a few lines: draws, seed, best strategy and EVPI."""
        lines = [
            f"PSA of {self.tree.name or 'tree'}: {self.n_draws:,} draws, seed {self.seed.entropy}",
            f"  method: {self.method}",
            f"  sampled: {', '.join(self.columns) or '-'}",
            f"  best by expected value: {self.best} ({self.mean[self.best_index]:.6g}); "
            f"optimal at {self.probability_optimal[self.best_index]:.1%} of draws",
            f"  EVPI: {self.evpi:.6g} (Monte Carlo se {self.evpi_se:.2g})",
        ]
        if self.fixed:
            lines.insert(2, f"  held fixed: {', '.join(f'{k}={v:g}' for k, v in self.fixed.items())}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<PSAResult {self.n_draws} draws, {len(self.strategies)} strategies, "
            f"best={self.best!r}, EVPI={self.evpi:.6g}>"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        head = "<br>".join(self.summary().splitlines())
        return f"<p>{head}</p>{self.to_frame().to_html(float_format=lambda x: f'{x:.6g}')}"
