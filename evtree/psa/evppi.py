"""Expected value of partial perfect information: regression metamodel or nested Monte Carlo."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core import _random, model
from ..core.errors import EvaluationError, UnknownNameError
from ..core.resources import check_memory, check_time
from ..distributions import Source, tree_sources
from .backends import TASKS, _client_for, _draw, _Job, _make_job, _run
from .compiled import _INNER, _OUTER, BLOCK, CompiledTree
from .simulation import PSAResult, _compiled, psa


# ----------------------------------------------------------------------------- EVPPI
@dataclasses.dataclass(frozen=True, eq=False)
class EVPPIResult:
    """Expected value of partial perfect information about a group of inputs.

    Attributes
    ----------
    parameters : tuple of str
        The inputs learnt (parameters, or Dirichlet names).
    value : float
        The EVPPI estimate.
    se : float
        Its Monte Carlo standard error (for the regression method, given the
        fitted metamodel; the metamodel's own error is not included).
    method : {"regression", "nested"}
    n : int
        Draws used (regression), or outer samples (nested).
    inner : int
        Inner samples per outer sample (nested; 0 for regression).
    evpi : float
        EVPI from the same draws (regression) or the outer draws (nested), for scale.
    details : dict
        Method details: the basis and R² per strategy (regression).
    """

    parameters: tuple[str, ...]
    value: float
    se: float
    method: str
    n: int
    inner: int
    evpi: float
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_frame(self) -> Any:
        """One row: parameters, EVPPI, se, method, draws, EVPI."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "parameters": ", ".join(self.parameters),
                    "evppi": self.value,
                    "se": self.se,
                    "method": self.method,
                    "n": self.n,
                    "inner": self.inner,
                    "evpi": self.evpi,
                }
            ]
        ).set_index("parameters")

    def __repr__(self) -> str:
        return (
            f"<EVPPIResult {', '.join(self.parameters)}: {self.value:.6g} (se {self.se:.2g}, {self.method})>"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html()


def _group(sources: Sequence[Source], parameters: Any) -> tuple[str, ...]:
    if isinstance(parameters, str):
        parameters = [p.strip() for p in parameters.split(",") if p.strip()]
    names = tuple(parameters)
    if not names:
        raise ValueError("give at least one parameter")
    known = {s.name for s in sources}
    for name in names:
        if name not in known:
            raise UnknownNameError(
                f"{name!r} is not a sampled input (sampled: {', '.join(sorted(known)) or 'none'}); "
                "EVPPI is about inputs that have a distribution"
            )
    return names


def evppi(
    source: PSAResult | model.DecisionTree | CompiledTree,
    parameters: str | Sequence[str],
    *,
    method: str = "regression",
    draws: int = 10_000,
    seed: Any = None,
    outer: int = 1000,
    inner: int = 1000,
    knots: int | None = None,
    chunk_size: int | None = None,
    backend: str = "local",
    client: Any = None,
    progress: bool | None = None,
) -> EVPPIResult:
    """Return the expected value of partial perfect information (EVPPI) about a group of inputs.

    EVPPI(φ) = E_φ[ max_s E(V_s | φ) ] − max_s E(V_s): what learning φ before
    deciding is worth.

    Parameters
    ----------
    source : PSAResult, DecisionTree or CompiledTree
        PSA draws to reuse (regression), or the tree (a PSA with ``draws`` and
        ``seed`` is run first for regression).  The nested method uses the
        tree, strategies, fixed values and seed of a PSAResult.
    parameters : str or sequence of str
        The group φ: parameter names or Dirichlet names; ``"a,b"`` is a group of two.
    method : {"regression", "nested"}, default "regression"
        ``"regression"``: a non-parametric regression metamodel of each
        strategy's value (relative to the best) on φ (cubic regression splines
        on quantile knots, tensor products for up to three columns, additive
        with pairwise interactions beyond), as in Strong, Oakley & Brennan
        (2014), dampack and BCEA.  ``"nested"``: ``outer`` draws of φ, each
        with ``inner`` draws of the other inputs (slow, for checking; biased
        upward by O(1/inner)).
    draws, seed
        For a PSA run here (regression) or the nested draws.
    outer, inner : int
        Nested Monte Carlo sample sizes.
    knots : int, optional
        Basis functions per column of the regression (default by group size).
    chunk_size, backend, client, progress
        As for :func:`psa` (the nested method uses them).

    Returns
    -------
    EVPPIResult

    References
    ----------
    Strong M, Oakley JE, Brennan A (2014). Estimating multiparameter partial
    expected value of perfect information from a probabilistic sensitivity
    analysis sample: a nonparametric regression approach. Med Decis Making 34:311-326.
    """
    if method == "regression":
        if isinstance(source, PSAResult):
            result = source
        else:
            result = psa(source, draws=draws, seed=seed, progress=progress, chunk_size=chunk_size)
        return _evppi_regression(result, _group(_sources_of(result), parameters), knots)
    if method == "nested":
        if isinstance(source, PSAResult):
            compiled = source._compiled or CompiledTree(
                source.tree, dict(zip(source.strategies, source.policies))
            )
            fixed = dict(source.fixed)
            seq = source.seed if seed is None else _random.seed_sequence(seed)
        else:
            compiled = _compiled(source, None)
            fixed = {}
            seq = _random.seed_sequence(seed)
        group = _group(compiled.sources, parameters)
        return _evppi_nested(compiled, group, fixed, seq, outer, inner, chunk_size, backend, client, progress)
    raise ValueError(f"method must be 'regression' or 'nested', got {method!r}")


def _sources_of(result: PSAResult) -> list[Source]:
    if result._compiled is not None:
        return [s for s in result._compiled.sources if s.name not in result.fixed]
    return tree_sources(result.tree)


def _group_columns(result: PSAResult, group: tuple[str, ...]) -> list[np.ndarray]:
    if result.inputs is None:
        raise EvaluationError("EVPPI by regression needs the PSA draws; run psa(..., keep_draws=True)")
    cols = []
    for name in group:
        if name not in result.inputs:
            raise EvaluationError(f"{name!r} was held fixed in this PSA; it has no draws")
        arr = result.inputs[name]
        if arr.ndim == 1:
            cols.append(arr)
        else:  # a Dirichlet: its components sum to one, so the last adds nothing
            cols.extend(arr[:, j] for j in range(arr.shape[1] - 1))
    return cols


class _Basis:
    """Regression basis on a few columns: B-splines on quantile knots, or indicators."""

    def __init__(self, cols: list[np.ndarray], knots: int | None) -> None:
        d = len(cols)
        if knots is None:
            knots = {1: 12, 2: 7, 3: 5}.get(d, 6)
        self.tensor = d <= 3
        self.parts = []
        for x in cols:
            uniq = np.unique(x[: min(len(x), 200_000)])
            if len(uniq) <= max(knots, 2) and np.isin(x, uniq).all():
                self.parts.append(("levels", uniq))
                continue
            n_interior = max(0, knots - 4)
            qs = np.quantile(x, np.linspace(0, 1, n_interior + 2))
            inner = np.unique(qs[1:-1])
            lo, hi = float(x.min()), float(x.max())
            inner = inner[(inner > lo) & (inner < hi)]
            t = np.concatenate([[lo] * 4, inner, [hi] * 4])
            self.parts.append(("spline", t))
        if not self.tensor:
            self.scale = [(float(x.mean()), float(x.std() or 1.0)) for x in cols]
        self.description = (
            ("tensor product of " if self.tensor and d > 1 else "")
            + " and ".join(
                f"{len(t)} indicators" if kind == "levels" else f"{len(t) - 4} cubic B-splines"
                for kind, t in self.parts
            )
            + ("" if self.tensor else " (additive, with pairwise linear interactions)")
        )

    def _one(self, part: tuple[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        kind, t = part
        if kind == "levels":
            return (x[:, None] == t[None, :]).astype(float)
        from scipy.interpolate import BSpline

        xc = np.clip(x, t[0], t[-1])
        return BSpline.design_matrix(xc, t, 3).toarray()

    def __call__(self, cols: list[np.ndarray]) -> np.ndarray:
        mats = [self._one(p, x) for p, x in zip(self.parts, cols)]
        if self.tensor:
            out = mats[0]
            for mat in mats[1:]:
                out = (out[:, :, None] * mat[:, None, :]).reshape(len(out), -1)
            return out
        z = [(x - m) / s for x, (m, s) in zip(cols, self.scale)]
        inter = [z[i] * z[j] for i in range(len(z)) for j in range(i + 1, len(z))]
        return np.column_stack([np.ones(len(cols[0]))] + [m[:, 1:] for m in mats] + inter)


def _evppi_regression(result: PSAResult, group: tuple[str, ...], knots: int | None) -> EVPPIResult:
    cols = _group_columns(result, group)
    basis = _Basis(cols, knots)
    sign = 1.0 if result.objective == "max" else -1.0
    ref = result.best_index
    V = result.values
    N = result.n_draws
    step = 65536
    xtx = xty = xsum = None
    tss = np.zeros(len(result.strategies))
    ymean = sign * (V - V[ref]).mean(axis=1)
    for a in range(0, N, step):
        b = min(N, a + step)
        X = basis([c[a:b] for c in cols])
        Y = sign * (V[:, a:b] - V[ref, a:b]).T
        if xtx is None:
            xtx, xty, xsum = X.T @ X, X.T @ Y, X.sum(axis=0)
        else:
            xtx += X.T @ X
            xty += X.T @ Y
            xsum += X.sum(axis=0)
        tss += ((Y - ymean) ** 2).sum(axis=0)
    coef = np.linalg.lstsq(xtx, xty, rcond=None)[0]
    fit_mean = (xsum / N) @ coef
    fit_mean[ref] = 0.0
    best = int(np.argmax(fit_mean))
    rss = np.zeros(len(result.strategies))
    gain = np.empty(N)
    for a in range(0, N, step):
        b = min(N, a + step)
        X = basis([c[a:b] for c in cols])
        F = X @ coef
        Y = sign * (V[:, a:b] - V[ref, a:b]).T
        rss += ((Y - F) ** 2).sum(axis=0)
        F[:, ref] = 0.0
        gain[a:b] = F.max(axis=1) - F[:, best]
    value = float(gain.mean())
    se = float(gain.std(ddof=1) / math.sqrt(N)) if N > 1 else float("nan")
    r2 = {
        name: (float(1 - rss[i] / tss[i]) if tss[i] > 0 else float("nan"))
        for i, name in enumerate(result.strategies)
        if i != ref
    }
    return EVPPIResult(
        parameters=group,
        value=float(value),
        se=se,
        method="regression",
        n=N,
        inner=0,
        evpi=result.evpi,
        details={"basis": basis.description, "r_squared": r2, "reference": result.strategies[ref]},
    )


def _nested_task(job: _Job, compiled: CompiledTree, task: tuple[int, int]) -> np.ndarray:
    first, count = task
    fixed = dict(job.fixed)
    group = set(job.group)
    outer_sources = [s for s in compiled.sources if s.name in group and s.name not in fixed]
    inner_sources = [s for s in compiled.sources if s.name not in group and s.name not in fixed]
    K = job.inner
    # Outer draws come in canonical blocks; take this task's slice of each block.
    phi: dict[str, list[np.ndarray]] = {s.name: [] for s in outer_sources}
    i = first
    while i < first + count:
        b, j = divmod(i, BLOCK)
        n_block = min(BLOCK, job.outer - b * BLOCK)
        take = min(n_block - j, first + count - i)
        drawn = _draw(outer_sources, job.seq, (_OUTER, b), n_block)
        for name, arr in drawn.items():
            phi[name].append(arr[j : j + take])
        i += take
    phi_arr = {k: np.concatenate(v) for k, v in phi.items()}
    means = np.empty((compiled.n_strategies, count))
    per_chunk = max(1, job.chunk // K)
    for a in range(0, count, per_chunk):
        b = min(count, a + per_chunk)
        inputs: dict[str, np.ndarray] = {k: np.repeat(v[a:b], K, axis=0) for k, v in phi_arr.items()}
        inner_draws = [_draw(inner_sources, job.seq, (_INNER, first + o), K) for o in range(a, b)]
        for s in inner_sources:
            inputs[s.name] = np.concatenate([d[s.name] for d in inner_draws])
        vals = compiled.values(inputs, (b - a) * K, fixed=fixed, offset=0)
        means[:, a:b] = vals.reshape(compiled.n_strategies, b - a, K).mean(axis=2)
    return means


TASKS["nested"] = _nested_task


def nested_bytes(compiled: CompiledTree, outer: int, inner: int, chunk: int, n_tasks: int) -> float:
    """Estimate the memory of nested EVPPI: the conditional means, the task list, one chunk.

    A chunk evaluates at least one outer draw with all its ``inner`` draws at once.
    """
    rows = max(chunk, inner)
    columns = sum((s.distribution.dim if s.nodes else 1) for s in compiled.sources)
    per_row = 8 * (compiled.n_nodes + compiled.n_strategies + 8 + 3 * columns)
    return 8.0 * compiled.n_strategies * outer + 200.0 * n_tasks + float(rows) * per_row


def _check_nested_time(
    compiled: CompiledTree,
    group: tuple[str, ...],
    fixed: dict[str, float],
    seq: np.random.SeedSequence,
    outer: int,
    inner: int,
    chunk: int,
    dask_client: Any,
) -> None:
    """Time a small pilot of the nested draws and refuse a run estimated over the time limit."""
    import time

    total = float(outer) * float(inner)
    if total <= 200_000:  # a few seconds at worst: no pilot needed
        return
    inner_p = min(inner, 2048)
    outer_p = max(1, min(outer, 16_384 // inner_p))
    pilot = _make_job(
        compiled,
        "nested",
        seq,
        outer_p * inner_p,
        max(chunk, inner_p),
        False,
        fixed=tuple(fixed.items()),
        group=group,
        outer=outer,
        inner=inner_p,
    )
    _nested_task(pilot, compiled, (0, 1))  # warm up (first evaluation compiles expressions)
    start = time.perf_counter()
    _nested_task(pilot, compiled, (0, outer_p))
    per_draw = (time.perf_counter() - start) / (outer_p * inner_p)
    workers = 1
    if dask_client is not None and dask_client != "threads":
        with contextlib.suppress(Exception):
            workers = max(1, sum(dask_client.nthreads().values()))
    check_time(
        per_draw * total / workers,
        f"nested EVPPI with {outer:,} outer x {inner:,} inner draws ({total:.3g} evaluations)",
        lower="--outer/--inner (outer=, inner=), or use the regression method",
    )


def _evppi_nested(
    compiled: CompiledTree,
    group: tuple[str, ...],
    fixed: dict[str, float],
    seq: np.random.SeedSequence,
    outer: int,
    inner: int,
    chunk_size: int | None,
    backend: str,
    client: Any,
    progress: bool | None,
) -> EVPPIResult:
    if outer < 2 or inner < 1:
        raise ValueError("nested EVPPI needs outer >= 2 and inner >= 1")
    for s in compiled.sources:
        g = s.correlation
        if g is not None and s.name in group and not set(g.parameters) <= set(group) | set(fixed):
            raise EvaluationError(
                f"{s.name!r} is correlated with {', '.join(p for p in g.parameters if p not in group)}; "
                "nested EVPPI would need their conditional distribution: put the correlated parameters "
                "in one group, or use the regression method"
            )
    chunk = int(chunk_size or compiled.default_chunk())
    per_task = max(1, min(outer, BLOCK // max(1, inner) or 1, 256))
    n_tasks = math.ceil(outer / per_task)
    check_memory(
        nested_bytes(compiled, outer, inner, chunk, n_tasks),
        f"nested EVPPI with {outer:,} outer x {inner:,} inner draws",
        lower="--outer/--inner (outer=, inner=)",
    )
    dask_client = _client_for(backend, client)
    _check_nested_time(compiled, group, fixed, seq, outer, inner, chunk, dask_client)
    job = _make_job(
        compiled,
        "nested",
        seq,
        outer * inner,
        max(chunk, inner),
        dask_client is not None,
        fixed=tuple(fixed.items()),
        group=group,
        outer=outer,
        inner=inner,
    )
    tasks = [(a, min(per_task, outer - a)) for a in range(0, outer, per_task)]
    means = np.empty((compiled.n_strategies, outer))
    for i, part in _run(
        compiled,
        job,
        tasks,
        [t[1] * inner for t in tasks],
        client=dask_client,
        progress=progress,
        unit="draw",
    ):
        a, count = tasks[i]
        means[:, a : a + count] = part
    sign = 1.0 if compiled.objective == "max" else -1.0
    g = sign * means
    overall = g.mean(axis=1)
    best = int(np.argmax(overall))
    gain = g.max(axis=0) - g[best]
    return EVPPIResult(
        parameters=group,
        value=float(gain.mean()),
        se=float(gain.std(ddof=1) / math.sqrt(outer)),
        method="nested",
        n=outer,
        inner=inner,
        evpi=float("nan"),
        details={"reference": compiled.names[best], "bias": "upward, O(1/inner)"},
    )
