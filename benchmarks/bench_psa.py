"""PSA speed (issue 7): millions of draws against hand-written numpy, a 1,000-node tree, memory.

Texaco–Pennzoil with uncertain probabilities (tests/data/psa_texaco.yaml): Texaco's
response from a Dirichlet(17, 50, 33), the court's probabilities from two betas.
Baselines measured in the same run:

- a hand-written numpy closed form of that tree, sampling included (the same
  numpy samplers, the same arithmetic a careful analyst would write);
- a per-draw Python loop over the float rollback (``evaluate`` once per strategy
  and draw, the way one would without a vectorised PSA), timed on a few hundred
  draws and scaled.

Then a synthetic 1,013-node tree (9 strategies, 8 Dirichlets, 14 parameters with
distributions, 300 payoff expressions) at 10^5 draws, and the peak resident memory
of a 10^7-draw PSA of Texaco–Pennzoil, measured in a fresh subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from _common import Row, best_time

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal
from evtree import distributions as dist
from evtree.psa import CompiledTree, psa

ROOT = Path(__file__).resolve().parent.parent
TEXACO = ROOT / "tests" / "data" / "psa_texaco.yaml"
N = 10**6


def _beta_ab(mean: float, sd: float) -> tuple[float, float]:
    k = mean * (1 - mean) / sd**2 - 1
    return mean * k, (1 - mean) * k


def hand_numpy(n: int, seed: int = 1) -> tuple[float, np.ndarray]:
    """Texaco–Pennzoil PSA written out by hand: sample, value the 3 strategies, EVPI."""
    rng = np.random.default_rng(seed)
    d = rng.dirichlet([17.0, 50.0, 33.0], n)
    p_high = rng.beta(*_beta_ab(0.2, 0.05), n)
    q_mid = rng.beta(*_beta_ab(0.625, 0.1), n)
    court = 10.3 * p_high + 5.0 * (1.0 - p_high) * q_mid
    common = 5.0 * d[:, 0] + court * d[:, 1]
    v = np.empty((3, n))
    v[0] = 2.0
    v[1] = common + 3.0 * d[:, 2]
    v[2] = common + court * d[:, 2]
    best = v.max(axis=0)
    p_optimal = np.bincount(v.argmax(axis=0), minlength=3) / n
    return float(best.mean() - v.mean(axis=1).max()), p_optimal


def evtree_psa(compiled: CompiledTree, n: int, seed: int = 1) -> tuple[float, np.ndarray]:
    r = psa(compiled, draws=n, seed=seed, progress=False)
    return r.evpi, r.probability_optimal


def loop_over_rollback(tree: DecisionTree, n: int, seed: int = 1) -> np.ndarray:
    """One float rollback per strategy and draw: the tree's probabilities as parameters."""
    variant = tree.copy()
    variant.distributions = []
    texaco = variant.node("texaco")
    for j, child in enumerate(texaco.children):
        variant.parameters[f"d{j}"] = Parameter(f"d{j}", 0.5)
        child.probability = f"d{j}"
    policies = list(evtree.strategies(variant))
    rng = np.random.default_rng(seed)
    d = rng.dirichlet([17.0, 50.0, 33.0], n)
    p_high = rng.beta(*_beta_ab(0.2, 0.05), n)
    q_mid = rng.beta(*_beta_ab(0.625, 0.1), n)
    out = np.empty((len(policies), n))
    for i in range(n):
        point = {"d0": d[i, 0], "d1": d[i, 1], "d2": d[i, 2], "p_high": p_high[i], "q_mid": q_mid[i]}
        for s, policy in enumerate(policies):
            out[s, i] = evtree.evaluate(variant, point, policy=policy).value
    return out


def big_tree(seed: int = 7) -> DecisionTree:
    """A 1,013-node tree: 4 options x 2 sub-options x a 121-node chance tree, and a 40-node 'wait'."""
    rng = np.random.default_rng(seed)
    names = iter(range(10**6))
    params: list[Parameter] = []
    joint: list[dict] = []
    for k in range(12):
        spec = [
            dist.normal(50 + k, 15),
            dist.gamma(mean=20 + k, sd=8),
            dist.pert(0, 30 + k, 90),
            dist.lognormal(mean=25, sd=10),
        ][k % 4]
        params.append(Parameter(f"v{k}", round(dist.parse(spec).mean, 6), distribution=spec))
    params.append(Parameter("cost", 5, distribution=dist.triangular(0, 5, 15)))
    params.append(Parameter("scale", 1, distribution=dist.uniform(0.8, 1.2)))
    counter = iter(range(10**6))

    def chance(depth: int, dirichlet: bool = False) -> Chance | Terminal:
        if depth == 0:
            t = next(counter)
            if t % 3 == 0:
                return Terminal(f"scale * v{t % 12} + {rng.integers(-20, 20)}")
            return Terminal(float(rng.integers(0, 100)))
        name = f"c{next(names)}"
        node = Chance(
            name,
            [Branch(f"s{i}", chance(depth - 1), probability=p) for i, p in enumerate((0.2, 0.5, 0.3))],
        )
        if dirichlet:
            joint.append(dist.dirichlet([4.0, 10.0, 6.0], node=name))
        return node

    options = []
    for o in range(4):
        sub = Decision(
            f"d{o}",
            [Branch(f"plan {j}", chance(4, dirichlet=True), payoff=f"-{j + 1} * cost") for j in range(2)],
        )
        options.append(Branch(f"option {o}", sub))
    options.append(Branch("wait", chance(3)))
    tree = DecisionTree(Decision("choose", options), parameters=params, name="synthetic 1,013 nodes")
    tree.distributions = joint
    return tree


MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys, time
    import evtree
    from evtree.psa import psa
    tree = evtree.read_tree(sys.argv[1])
    start = time.perf_counter()
    r = psa(tree, draws=10**7, seed=1, progress=False)
    stats = (r.evpi, r.probability_optimal, r.to_frame())
    elapsed = time.perf_counter() - start
    # VmHWM is this process's own peak; ru_maxrss would carry over the parent's peak across exec.
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(elapsed, peak)
    """
)


def run() -> list[Row]:
    rows: list[Row] = []
    tree = evtree.read_tree(TEXACO)
    compiled = CompiledTree(tree)

    # Same answers first: EVPI and probability optimal agree within Monte Carlo error.
    evpi_hand, p_hand = hand_numpy(N)
    evpi_ev, p_ev = evtree_psa(compiled, N)
    assert abs(evpi_hand - evpi_ev) < 5e-5 and np.abs(p_hand - p_ev).max() < 5e-3, (evpi_hand, evpi_ev)

    t_hand, _ = best_time(lambda: hand_numpy(N), repeat=5)
    t_psa, _ = best_time(lambda: evtree_psa(compiled, N), repeat=5)
    t_cold, _ = best_time(lambda: evtree_psa(CompiledTree(evtree.read_tree(TEXACO)), N), repeat=3)
    rows.append(
        Row(
            f"Texaco PSA 10^6 draws ({N / t_psa / 1e6:.1f} M draws/s)",
            t_psa,
            f"hand numpy ({N / t_hand / 1e6:.1f} M/s)",
            t_hand,
            "within 2x of hand numpy",
            t_psa <= 2 * t_hand,
        )
    )
    rows.append(
        Row(
            "  same, reading + compiling the tree each time", t_cold, "hand numpy", t_hand, "(reported)", None
        )
    )

    n_loop = 200
    start = time.perf_counter()
    loop = loop_over_rollback(tree, n_loop)
    t_loop = (time.perf_counter() - start) * N / n_loop
    r_small = psa(compiled, draws=n_loop, seed=1, progress=False)
    assert loop.shape == r_small.values.shape
    rows.append(
        Row(
            f"per-draw loop over evaluate() (x{n_loop} draws, scaled to 10^6)",
            t_loop,
            "evtree psa",
            t_psa,
            f"(reported: {t_loop / t_psa:,.0f}x slower)",
            None,
        )
    )

    big = big_tree()
    n_nodes = sum(1 for _ in big.nodes())
    t_big, r_big = best_time(lambda: psa(CompiledTree(big), draws=10**5, seed=1, progress=False), repeat=3)
    rows.append(
        Row(
            f"{n_nodes}-node tree, {len(r_big.strategies)} strategies, 10^5 draws (incl. compile)",
            t_big,
            "-",
            None,
            "< 5 s",
            t_big < 5,
        )
    )

    try:
        import distributed

        with (
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            psa(compiled, draws=10**5, seed=1, client=client, progress=False)  # warm the workers
            t_dask, r_dask = best_time(
                lambda: psa(compiled, draws=N, seed=1, client=client, progress=False), repeat=3
            )
        r_local = psa(compiled, draws=N, seed=1, progress=False)
        same = bool(np.array_equal(r_dask.values, r_local.values))
        rows.append(
            Row(
                "Texaco PSA 10^6 draws on a 2-process LocalCluster",
                t_dask,
                "local",
                t_psa,
                f"identical numbers: {same}",
                same,
            )
        )
    except ImportError:  # pragma: no cover
        pass

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(TEXACO)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    elapsed, rss_kib = float(out[0]), int(out[1])
    gib = rss_kib / 2**20
    rows.append(
        Row(
            f"Texaco PSA 10^7 draws in a subprocess: peak RSS {gib:.2f} GiB",
            elapsed,
            "-",
            None,
            "memory < 2 GiB",
            gib < 2,
        )
    )
    return rows


if __name__ == "__main__":
    from _common import print_rows

    print_rows(run())
