"""Cost-effectiveness speed (issue 16): CEA of 1,000 strategies; CEAC over 100 WTP values from 10^6 draws.

1. A tree whose root decision has 1,000 options (each: a cost, then a chance node with
   two outcomes and their QALYs), 3,001 nodes.  ``evtree.cea.cea`` values every
   strategy's expected cost and QALY and finds the frontier.  Goal: under 1 s.
   Baseline measured in the same run: one float rollback of the tree (``evaluate``
   on one criterion), the least any analysis of the tree must do.
2. The sumatriptan tree (tests/data/sumatriptan.yaml) with distributions on its 10
   inputs: ``cost_effect_psa`` at 10^6 draws, then acceptability (CEAC, frontier,
   EVPI) at 100 willingness-to-pay values.  Goal: within 3x the time of the PSA
   alone, the baseline being ``psa`` of one criterion (the cost) at 10^6 draws;
   ``psa`` of the tree's net-benefit objective (wtp a parameter) is shown too.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from _common import Row, best_time

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Terminal
from evtree.cea import cea
from evtree.core.components import Criterion
from evtree.psa import CompiledTree, cost_effect_psa, psa

ROOT = Path(__file__).resolve().parent.parent
SUMATRIPTAN = ROOT / "tests" / "data" / "sumatriptan.yaml"
N = 10**6


def thousand_strategies(k: int = 1000) -> DecisionTree:
    rng = np.random.default_rng(16)
    options = []
    for i in range(k):
        p = Fraction(int(rng.integers(1, 99)), 100)
        cost = int(rng.integers(100, 100_000))
        q_good, q_bad = (round(float(x), 4) for x in np.sort(rng.uniform(0, 10, 2))[::-1])
        options.append(
            Branch(
                f"s{i}",
                Chance(
                    f"c{i}",
                    [
                        Branch("good", Terminal({"qaly": q_good}), probability=p),
                        Branch("bad", Terminal({"qaly": q_bad, "cost": 500}), probability=1 - p),
                    ],
                ),
                payoff={"cost": cost},
            )
        )
    return DecisionTree(
        Decision("choice", options),
        criteria=[Criterion("cost", unit="$", sense="min"), Criterion("qaly", unit="QALY")],
    )


def sumatriptan_psa() -> DecisionTree:
    tree = evtree.read_tree(SUMATRIPTAN)
    beta = {
        "p_relief_suma": 0.05,
        "p_relief_caff": 0.05,
        "p_norecur_suma": 0.05,
        "p_norecur_caff": 0.05,
        "p_er": 0.02,
        "p_hosp": 0.001,
    }
    gamma = {"c_suma": 2.0, "c_caff": 0.2, "c_er": 10.0, "c_hosp": 200.0}
    params = []
    for name, p in tree.parameters.items():
        mean = float(p.exact)
        if name in beta:
            p = p.replace(distribution={"type": "beta", "mean": mean, "sd": beta[name]})
        elif name in gamma:
            p = p.replace(distribution={"type": "gamma", "mean": mean, "sd": gamma[name]})
        params.append(p)
    return DecisionTree(
        tree.root,
        parameters=params,
        criteria=tree.criteria,
        objective=tree.criteria_objective,
        name=tree.name,
    )


def run() -> list[Row]:
    rows: list[Row] = []
    tree = thousand_strategies()
    n_nodes = sum(1 for _ in tree.nodes())
    t_cold, result = best_time(lambda: cea(thousand_strategies()), repeat=1)
    t_cea, result = best_time(lambda: cea(tree), repeat=3)
    t_roll, _ = best_time(lambda: evtree.evaluate(tree, criterion="cost"), repeat=3)
    assert len(result.strategies) == 1000
    rows.append(
        Row(
            f"CEA, 1,000 strategies ({n_nodes} nodes), float",
            t_cea,
            "one float rollback",
            t_roll,
            "< 1 s",
            t_cea < 1.0,
        )
    )
    rows.append(
        Row(
            "  same, building and compiling the tree too",
            t_cold,
            "one float rollback",
            t_roll,
            "(reported)",
            None,
        )
    )
    t_exact, exact = best_time(lambda: cea(tree, method="exact"), repeat=1)
    assert exact.frontier == result.frontier
    rows.append(Row("  same, exact rationals", t_exact, "float CEA", t_cea, "(reported)", None))

    ptree = sumatriptan_psa()
    grid = np.linspace(0, 100_000, 100)

    def ceac() -> object:
        both = cost_effect_psa(ptree, draws=N, seed=1, keep_draws=False, progress=False)
        return both.acceptability(grid)

    one = CompiledTree(ptree, flat="cost")
    t_one, _ = best_time(lambda: psa(one, draws=N, seed=1, keep_draws=False, progress=False), repeat=2)
    t_alone, _ = best_time(lambda: psa(ptree, draws=N, seed=1, keep_draws=False, progress=False), repeat=2)
    t_ceac, curves = best_time(ceac, repeat=2)
    assert curves.probability.shape == (2, 100)
    rows.append(
        Row(
            "CEAC over 100 WTP from 10^6 draws (sumatriptan)",
            t_ceac,
            "PSA alone (one criterion)",
            t_one,
            "within 3x of the PSA alone",
            t_ceac <= 3 * t_one,
        )
    )
    rows.append(
        Row("  same", t_ceac, "PSA alone (net benefit, wtp a parameter)", t_alone, "(reported)", None)
    )
    return rows


if __name__ == "__main__":
    from _common import print_rows

    print_rows(run())
