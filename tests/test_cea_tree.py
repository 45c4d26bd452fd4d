"""Cost-effectiveness analysis of trees (evtree.cea.cea) and the ``evtree cea`` command.

Expected values: the sumatriptan arms worked by hand in tests/test_criteria.py (SUMA, CAFF);
the published ICER of Evans et al. 1997; strategy values by a second method (one
evaluate() per strategy with the policy fixed).
"""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_criteria import CAFF, SUMA, _arm

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Terminal, evaluate
from evtree.cea import DOMINATED, EXTENDED_DOMINATED, FRONTIER, cea, icers
from evtree.cli.main import main
from evtree.core.components import Criterion
from evtree.core.errors import ModelError

DATA = Path(__file__).parent / "data"
SUMATRIPTAN = DATA / "sumatriptan.yaml"


@pytest.fixture
def suma():
    return evtree.read_tree(SUMATRIPTAN)


def test_sumatriptan_icer_exact_and_published(suma):
    r = cea(suma, method="exact")
    assert r.frontier == ("caffeine-ergotamine", "sumatriptan")
    icer = (SUMA[0] - CAFF[0]) / (SUMA[1] - CAFF[1])
    assert r.icer("sumatriptan") == icer
    assert r.thresholds[0].wtp == icer
    # Evans et al. 1997: "$Can29 366 per QALY" (our tree counts a day as 1/365 QALY)
    assert float(icer) == pytest.approx(29366, rel=1e-3)
    f = cea(suma)
    assert f.icer("sumatriptan") == pytest.approx(float(icer), rel=1e-12)
    assert (f.cost_name, f.effect_name, f.cost_unit, f.effect_unit) == ("cost", "qaly", "$Can", "QALY")


@pytest.mark.parametrize(
    ("relief", "printed"), [(F("0.379") + F("0.268"), 18950), (F("0.379") + F("0.091"), 60839)]
)
def test_sumatriptan_table_viii_sensitivity(suma, relief, printed):
    """Evans Table VIII (via rdecision): ICERs when sumatriptan's relief rate changes (5%)."""
    r = cea(suma, method="exact", values={"p_relief_suma": relief})
    suma_arm = _arm(F("16.10"), relief, F("0.594"))
    icer = (suma_arm[0] - CAFF[0]) / (suma_arm[1] - CAFF[1])
    assert r.icer("sumatriptan") == icer
    assert float(icer) == pytest.approx(printed, rel=0.05)


def test_symbolic_icer_is_an_expression_equal_to_the_exact_one(suma):
    r = cea(suma, method="symbolic")
    expr = r.icer("sumatriptan")
    assert isinstance(expr, sympy.Expr) and "p_relief_suma" in {s.name for s in expr.free_symbols}
    at = {evtree.symbol(k): p.exact for k, p in suma.parameters.items()}
    assert sympy.nsimplify(expr.xreplace(at)) == (SUMA[0] - CAFF[0]) / (SUMA[1] - CAFF[1])
    assert "decided at" in r.note


def _nested():
    """Screen or not; if screened, treat on a positive test or wait.  Five complete strategies."""

    def test_arm(tag):
        return Chance(
            f"result{tag}",
            [
                Branch(
                    "positive",
                    Decision(
                        f"act{tag}",
                        [
                            Branch("treat", Terminal({"cost": 100, "qaly": 8})),
                            Branch("wait", Terminal({"cost": 0, "qaly": 5})),
                        ],
                    ),
                    probability="1/4",
                ),
                Branch("negative", Terminal({"qaly": 9}), probability="3/4"),
            ],
        )

    return DecisionTree(
        Decision(
            "start",
            [
                Branch("no screening", Terminal({"cost": 0, "qaly": 8})),
                Branch("screen", test_arm(""), payoff={"cost": 40}),
                Branch("screen twice", test_arm("2"), payoff={"cost": 90}),
                Branch("treat all", Terminal({"cost": 100, "qaly": F(17, 2)})),
            ],
        ),
        criteria=[Criterion("cost", unit="$", sense="min"), Criterion("qaly", unit="QALY")],
    )


def test_nested_decisions_agree_with_one_evaluation_per_strategy():
    tree = _nested()
    r = cea(tree, method="exact")
    policies = list(evtree.strategies(tree))
    assert len(r.strategies) == len(policies) == 6
    for pol in policies:
        name = ", ".join(pol.values())
        ev = evaluate(tree, policy=pol, method="exact", criterion="cost")
        s = r.strategy(name)
        assert s.cost == ev.criteria_values["cost"] and s.effect == ev.criteria_values["qaly"]
    # by hand: screen+treat: cost 40 + 100/4 = 65, qaly 8/4 + 27/4 = 35/4; screen+wait: 40, 5/4 + 27/4 = 8
    assert r.strategy("screen, treat").cost == 65 and r.strategy("screen, treat").effect == F(35, 4)
    assert r.status("screen, wait") == DOMINATED
    assert r.strategy("screen, wait").dominated_by == ("no screening",)
    # treat all (100, 8.5) is dominated by screen+treat (65, 8.75); screen twice costs 50 more for nothing
    assert r.status("treat all") == DOMINATED
    assert r.status("screen twice, treat") == DOMINATED
    assert r.frontier == ("no screening", "screen, treat")
    assert r.icer("screen, treat") == F(65, 1) / F(3, 4)


def test_herc_table_from_a_tree_equals_the_table():
    rows = {
        "E": (55000, 5),
        "D": (35000, 4),
        "C": (25000, 3),
        "B": (10000, 2),
        "A": (12000, F(3, 2)),
        "UC": (5000, 1),
    }
    tree = DecisionTree(
        Decision("choice", [Branch(n, Terminal({"cost": c, "qaly": e})) for n, (c, e) in rows.items()]),
        criteria=[Criterion("cost", sense="min"), Criterion("qaly")],
    )
    r = cea(tree, method="exact")
    assert r.frontier == ("UC", "B", "D", "E")
    assert [r.icer(n) for n in ("B", "D", "E")] == [5000, 12500, 20000]
    assert r.status("C") == EXTENDED_DOMINATED and r.status("A") == DOMINATED
    assert [s.name for s in r.strategies] == [s.name for s in icers(rows, method="exact").strategies]


def test_criteria_choice_and_errors(suma):
    with pytest.raises(ModelError, match="declares criteria"):
        cea(evtree.read_tree(DATA / "goferbroke.yaml"))
    with pytest.raises(ModelError, match="unknown criterion 'qalys' as the effect"):
        cea(suma, effect="qalys")
    with pytest.raises(ModelError, match="same criterion"):
        cea(suma, cost="qaly", effect="qaly")
    both_max = DecisionTree(Terminal({"a": 1}), criteria=[Criterion("a"), Criterion("b")])
    with pytest.raises(ModelError, match="say which criterion is the cost"):
        cea(both_max)


# ------------------------------------------------------------------ command line
def test_cli_json(capsys):
    assert main(["cea", str(SUMATRIPTAN), "--json", "--wtp", "20000", "40000"]) == 0
    data = json.loads(capsys.readouterr().out)
    by = {s["name"]: s for s in data["strategies"]}
    assert set(by["sumatriptan"]) >= {"cost", "effect", "icer", "status", "dominated_by"}
    assert by["sumatriptan"]["status"] == "frontier" and by["sumatriptan"]["dominated_by"] == []
    assert by["sumatriptan"]["icer"] == pytest.approx(float((SUMA[0] - CAFF[0]) / (SUMA[1] - CAFF[1])))
    assert by["caffeine-ergotamine"]["icer"] is None
    assert [w["optimal"] for w in data["wtp"]] == ["caffeine-ergotamine", "sumatriptan"]


def test_cli_exact_statuses_and_plot(tmp_path, capsys):
    path = tmp_path / "nested.yaml"
    evtree.write_tree(_nested(), path)
    plot = tmp_path / "plane.png"
    assert main(["cea", str(path), "--exact", "--json", "--plot", str(plot)]) == 0
    data = json.loads(capsys.readouterr().out)
    statuses = {s["name"]: (s["status"], s["dominated_by"]) for s in data["strategies"]}
    assert statuses["screen, wait"] == ("dominated", ["no screening"])
    assert statuses["screen, treat"][0] == FRONTIER
    icer = next(s for s in data["strategies"] if s["name"] == "screen, treat")
    assert icer["exact"]["icer"] == "260/3"
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main(["cea", str(path), "--cost", "qaly", "--effect", "cost"]) == 0  # swapped roles still run
    capsys.readouterr()
    assert main(["cea", str(DATA / "goferbroke.yaml")]) == 2
    assert "declares criteria" in capsys.readouterr().err
    assert main(["cea", str(path), "--wtp", "-5"]) == 2


# ------------------------------------------------------------------ properties on generated trees


@st.composite
def ce_trees(draw):
    """A root decision over 1-6 options, each a chance node over 1-3 terminals with cost and QALY."""
    options = []
    for i in range(draw(st.integers(1, 6))):
        k = draw(st.integers(1, 3))
        weights = [draw(st.integers(1, 5)) for _ in range(k)]
        total = sum(weights)
        kids = [
            Branch(
                f"o{j}",
                Terminal({"cost": draw(st.integers(0, 50)), "qaly": draw(st.integers(0, 20))}),
                probability=F(w, total),
            )
            for j, w in enumerate(weights)
        ]
        options.append(Branch(f"s{i}", Chance(f"c{i}", kids), payoff={"cost": draw(st.integers(0, 30))}))
    return DecisionTree(Decision("d", options), criteria=[Criterion("cost", sense="min"), Criterion("qaly")])


@settings(max_examples=60, deadline=None)
@given(ce_trees())
def test_tree_cea_matches_evaluation_and_float_matches_exact(tree):
    exact = cea(tree, method="exact")
    fl = cea(tree)
    for s in exact.strategies:
        pol = {"d": s.name}
        ev = evaluate(tree, policy=pol, method="exact", criterion="cost").criteria_values
        assert (s.cost, s.effect) == (ev["cost"], ev["qaly"])
    for a, b in zip(exact.strategies, fl.strategies):
        assert (a.name, a.status, a.dominated_by) == (b.name, b.status, b.dominated_by)
        if a.icer is not None:
            assert float(a.icer) == pytest.approx(b.icer, rel=1e-9)
    # the exact thresholds are where the net-benefit-optimal policy of the tree changes
    for t in exact.thresholds:
        eps = F(1, 10**6)
        lo = evaluate(tree, method="exact", objective={"weights": {"qaly": t.wtp - eps, "cost": -1}})
        hi = evaluate(tree, method="exact", objective={"weights": {"qaly": t.wtp + eps, "cost": -1}})
        assert exact.strategy(lo.policy["d"]).status == FRONTIER
        assert lo.value == max((t.wtp - eps) * s.effect - s.cost for s in exact.strategies)
        assert hi.criteria_values["qaly"] >= lo.criteria_values["qaly"]
        assert exact.optimal_at(t.wtp + eps) == t.above


def test_cli_csv_and_symbolic(capsys):
    assert main(["cea", str(SUMATRIPTAN), "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "strategy,cost,qaly,inc_cost,inc_qaly,icer,status,dominated_by"
    assert lines[1].startswith("caffeine-ergotamine,")
    assert main(["cea", str(SUMATRIPTAN), "--symbolic", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    icer = next(s for s in data["strategies"] if s["name"] == "sumatriptan")["icer"]
    assert "p_relief_suma" in icer and "decided at" in data["note"]
    assert main(["cea", str(SUMATRIPTAN), "--symbolic", "--plot", "x.png"]) == 2
