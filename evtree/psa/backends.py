"""Draws in canonical blocks, jobs, and the local and Dask backends that run them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..core import _random
from ..distributions import Source
from .compiled import _PSA, BLOCK, CompiledTree


# ----------------------------------------------------------------------------- sampling
def _draw(
    sources: Sequence[Source], seq: np.random.SeedSequence, keys: tuple[int, ...], n: int, skip: Any = ()
) -> dict[str, np.ndarray]:
    """Draw ``n`` values of every source from the streams keyed ``keys + (name key,)``.

    Sources in a correlation group are drawn together from the group's stream
    (correlated uniforms through a Gaussian copula, then each one's inverse CDF).
    """
    out = {
        s.name: s.sample(_random.stream(seq, *keys, _random.key_of(s.name)), n)
        for s in sources
        if s.name not in skip and s.correlation is None
    }
    groups = {id(s.correlation): s.correlation for s in sources if s.correlation is not None}
    for group in groups.values():
        u = group.draw(_random.stream(seq, *keys, _random.key_of(group.key)), n)
        for s in sources:
            if s.correlation is group and s.name not in skip:
                out[s.name] = s.from_uniform(u[:, group.parameters.index(s.name)])
    return out


def _blocks(n_draws: int) -> list[tuple[int, int, int]]:
    """Return the canonical blocks: (index, first draw, number of draws)."""
    return [(b, b * BLOCK, min(BLOCK, n_draws - b * BLOCK)) for b in range(math.ceil(n_draws / BLOCK))]


# ----------------------------------------------------------------------------- jobs and backends
@dataclasses.dataclass(frozen=True)
class _Job:
    """Everything a worker needs, as plain data (the tree as its file dictionary)."""

    kind: str
    token: str
    tree_data: Any
    strategies: tuple[tuple[str, dict[str, str]], ...]
    seq: np.random.SeedSequence
    n_draws: int
    chunk: int
    keep_draws: bool = True
    fixed: tuple[tuple[str, float], ...] = ()
    grid_parameter: str | None = None
    grid: tuple[float, ...] = ()
    group: tuple[str, ...] = ()
    outer: int = 0
    inner: int = 0


_MODELS: dict[str, CompiledTree] = {}


def _model_for(job: _Job) -> CompiledTree:
    compiled = _MODELS.get(job.token)
    if compiled is None:
        from ..formats.native import tree_from_dict

        tree = tree_from_dict(job.tree_data)
        compiled = CompiledTree(tree, {name: dict(p) for name, p in job.strategies})
        if len(_MODELS) > 8:
            _MODELS.clear()
        _MODELS[job.token] = compiled
    return compiled


def _remote(job: _Job, task: Any) -> Any:
    return _execute(job, _model_for(job), task)


def _execute(job: _Job, compiled: CompiledTree, task: Any) -> Any:
    return TASKS[job.kind](job, compiled, task)


def _evaluate_chunks(
    compiled: CompiledTree, inputs: Mapping[str, np.ndarray], n: int, chunk: int, offset: int, fixed: Any
) -> np.ndarray:
    out = np.empty((compiled.n_strategies, n))
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        part = {k: v[a:b] for k, v in inputs.items()}
        out[:, a:b] = compiled.values(part, b - a, fixed=fixed, offset=offset + a)
    return out


def _psa_task(job: _Job, compiled: CompiledTree, task: tuple[int, int, int]) -> Any:
    b, start, n = task
    fixed = dict(job.fixed)
    inputs = _draw(compiled.sources, job.seq, (_PSA, b), n, skip=fixed)
    values = _evaluate_chunks(compiled, inputs, n, job.chunk, start, fixed)
    return values, (inputs if job.keep_draws else None)


#: The task of each kind of job; the acceptability and EVPPI modules add theirs.
TASKS: dict[str, Callable[[_Job, CompiledTree, Any], Any]] = {"psa": _psa_task}


def _make_job(
    compiled: CompiledTree, kind: str, seq: Any, n_draws: int, chunk: int, remote: bool, **kw: Any
) -> _Job:
    strategies = tuple((name, dict(p)) for name, p in zip(compiled.names, compiled.policies))
    data, token = None, f"local-{id(compiled)}"
    if remote:
        from ..formats.native import tree_to_dict

        data = tree_to_dict(compiled.tree)
        text = json.dumps([data, strategies], sort_keys=True, default=str)
        token = hashlib.sha256(text.encode()).hexdigest()
    return _Job(kind, token, data, strategies, seq, n_draws, chunk, **kw)


def _client_for(backend: str, client: Any) -> Any:
    if client is not None:
        return client
    if backend == "local":
        return None
    if backend != "dask":
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise ImportError("backend='dask' needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        return get_client()
    except ValueError:
        return "threads"


def _run(
    compiled: CompiledTree,
    job: _Job,
    tasks: Sequence[Any],
    sizes: Sequence[int],
    *,
    client: Any,
    progress: bool | None,
    unit: str,
) -> Iterator[tuple[int, Any]]:
    """Run the tasks here or on Dask; yield (task position, result) as they finish."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=int(sum(sizes)),
        unit=unit,
        unit_scale=True,
        disable=(None if progress is None else not progress),
    )
    try:
        if client is None:
            for i, task in enumerate(tasks):
                yield i, _execute(job, compiled, task)
                bar.update(sizes[i])
        elif client == "threads":
            import dask

            delayed = [dask.delayed(_remote)(job, task) for task in tasks]
            for i, result in enumerate(dask.compute(*delayed, scheduler="threads")):
                yield i, result
                bar.update(sizes[i])
        else:
            from distributed import as_completed

            futures = {client.submit(_remote, job, task, pure=False): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                i = futures[future]
                yield i, future.result()
                bar.update(sizes[i])
                del future
    finally:
        bar.close()
