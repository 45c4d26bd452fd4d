"""Cost-effectiveness frontier (evtree.cea.icers): published tables, bug situations, properties.

Sources are cited in tests/data/REFERENCES.md, section "Cost-effectiveness".  Expected
numbers are the printed ones (or worked by hand in the comments), never produced by the
code under test.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from evtree.cea import DOMINATED, EXTENDED_DOMINATED, FRONTIER, icers
from evtree.core.errors import ModelError


def _status(result):
    return {s.name: s.status for s in result.strategies}


# ------------------------------------------------------------------ published examples
def test_herc_six_strategies_dampack_table():
    """HERC example, as in dampack's test of calculate_icers (printed table)."""
    r = icers(
        cost=[55000, 35000, 25000, 10000, 12000, 5000],
        effect=[5, 4, 3, 2, 1.5, 1],
        names=["E", "D", "C", "B", "A", "UC"],
    )
    assert r.frontier == ("UC", "B", "D", "E")
    printed = {  # Inc_Cost, Inc_Effect, ICER
        "B": (5000, 1, 5000),
        "D": (25000, 2, 12500),
        "E": (20000, 1, 20000),
    }
    for name, (dc, de, icer) in printed.items():
        s = r.strategy(name)
        assert (s.inc_cost, s.inc_effect, s.icer) == (dc, de, icer)
    uc = r.strategy("UC")
    assert (uc.inc_cost, uc.inc_effect, uc.icer) == (None, None, None)
    assert r.status("C") == EXTENDED_DOMINATED and r.strategy("C").dominated_by == ("B", "D")
    assert r.status("A") == DOMINATED and r.strategy("A").dominated_by == ("B",)
    # sorted by cost
    assert r.names == ["UC", "B", "A", "C", "D", "E"]
    assert [t.wtp for t in r.thresholds] == [5000, 12500, 20000]
    # NMB table of the research notes, worked by hand: at 15000 D wins (25000 > 20000)
    assert r.optimal_at(0) == "UC"
    assert r.optimal_at(10000) == "B"
    assert r.optimal_at(15000) == "D"
    assert r.optimal_at(25000) == "E"
    assert r.optimal_at(12500) == "D"  # tie B/D: the more effective
    frame = r.to_frame()
    assert list(frame.columns[:7]) == [
        "cost",
        "effect",
        "inc_cost",
        "inc_effect",
        "icer",
        "status",
        "dominated_by",
    ]
    assert frame.loc["C", "dominated_by"] == "B, D"


CDIFF = {  # dampack vignettes/cdiff_icers.csv (commit 8aae73f): Cost, Effect, ICER, Status
    "s3": (57336.0059896538, 12.9399639202408, None, "ND"),
    "s27": (57541.2526373815, 13.0140640696275, 2769.85470915263, "ND"),
    "s33": (57642.2587507842, 13.0389116321918, 4065.03105249231, "ND"),
    "s31": (57934.0743411241, 13.0966257932217, 5056.2216470406, "ND"),
    "s43": (58072.1137208494, 13.11285766912, 8504.2160616553, "ND"),
    "s44": (58665.7823044647, 13.1283328397025, 38362.6519947134, "ND"),
    "s39": (57814.6470919581, 13.0462790163185, None, "ED"),
    "s4": (57887.481549326, 12.9970657153765, None, "D"),
    "s13": (58018.6252420203, 13.0650412387992, None, "D"),
    "s37": (58081.7947984323, 13.1029711156978, None, "D"),
    "s20": (58634.2026441398, 13.1100568867995, None, "D"),
}


@pytest.mark.parametrize("method", ["float", "exact"])
def test_cdiff_eleven_strategies(method):
    """Rajasingham et al. C. difficile PSA means, dampack's printed ICER table."""
    r = icers({k: v[:2] for k, v in CDIFF.items()}, method=method)
    code = {FRONTIER: "ND", EXTENDED_DOMINATED: "ED", DOMINATED: "D"}
    assert {s.name: code[s.status] for s in r.strategies} == {k: v[3] for k, v in CDIFF.items()}
    for name, (_, _, icer, _) in CDIFF.items():
        got = r.icer(name)
        if icer is None:
            assert got is None
        else:
            # printed ICERs came from unrounded means: agree to ~1e-10 relative
            assert float(got) == pytest.approx(icer, rel=1e-9)
    assert r.frontier == ("s3", "s27", "s33", "s31", "s43", "s44")


def test_silverdecisions_200_cascading_extended_dominance():
    """SilverDecisions #200 (mcdm3 tree): B, C and D are all extended dominated; one pass misses C."""
    r = icers({"A": (0, 0), "B": (3.5, 2), "C": (5.2, 4.8), "D": (8.5, 7), "E": (10, 10)})
    assert r.frontier == ("A", "E")
    assert r.icer("E") == 1
    # the league table the fix prints (extended-dominated_by "1, 3", "1, 5", "3, 5")
    assert r.strategy("B").dominated_by == ("A", "C")
    assert r.strategy("C").dominated_by == ("A", "E")
    assert r.strategy("D").dominated_by == ("C", "E")
    assert {s.name for s in r.strategies if s.status == EXTENDED_DOMINATED} == {"B", "C", "D"}


def test_jnci_cancer_spectrum_table_1():
    """JNCI Cancer Spectrum 2020;4(2):pkaa004 Table 1: ICER 529 365.8 from rounded inputs (~1e-4)."""
    r = icers(
        {
            "Strategy 1": (1695.865, 8.570992),
            "Strategy 3": (12118.17, 8.590681),
            "Strategy 2": (12224.17, 8.583273),
        }
    )
    assert r.frontier == ("Strategy 1", "Strategy 3")
    assert r.status("Strategy 2") == DOMINATED
    assert r.strategy("Strategy 2").dominated_by == ("Strategy 3",)
    assert r.strategy("Strategy 3").inc_cost == pytest.approx(10422.31, abs=0.01)
    assert r.strategy("Strategy 3").inc_effect == pytest.approx(0.019688, abs=2e-6)
    assert r.icer("Strategy 3") == pytest.approx(529365.8, rel=1e-4)


def test_hiv_screening_paltiel_vignette():
    """dampack's basic_cea vignette: the annual strategy is strongly dominated (printed).

    ICERs by hand: 1000 / (0.32/12) = 37500; 1020 / (0.21/12) = 58285.714...;
    420 / (0.05/12) = 100800.
    """
    r = icers(
        cost=[26000, 27000, 28020, 28440, 29440],
        effect=[F(27725, 100 * 12), F(27757, 1200), F(27778, 1200), F(27783, 1200), F(27776, 1200)],
        names=["status quo", "one time", "5yr", "3yr", "annual"],
    )
    assert r.method == "exact"
    assert r.status("annual") == DOMINATED and r.strategy("annual").dominated_by == ("3yr",)
    assert [r.icer(n) for n in ("one time", "5yr", "3yr")] == [37500, sympy.Rational(408000, 7), 100800]
    assert [t.wtp for t in r.thresholds] == [37500, sympy.Rational(408000, 7), 100800]


@pytest.mark.parametrize(
    ("cost", "effect", "frontier"),
    [  # heemod tests/testthat/test_efficiency_frontier.R (issue 182), printed frontier sets
        (
            [14807, 26041, 49706, 64266, 40022, 57392, 91744, 54651],
            [9.635, 10.2497, 11.1654, 11.5152, 11.582, 11.6248, 11.6296, 11.6588],
            ["S1", "S5", "S8"],
        ),
        (
            [25000, 35000, 50000, 54651, 64266, 91744],
            [10.2497, 11.1654, 11.3, 11.6588, 11.7, 12.1],
            ["S1", "S2", "S4", "S6"],
        ),
        (
            [26041, 49706, 64266, 57392, 91744, 54651],
            [10.2497, 11.1654, 11.5152, 11.6248, 11.6296, 11.6296],
            ["S1", "S6"],
        ),
        (
            [25000, 35000, 50000, 54651, 58500, 64266, 91744],
            [10.2497, 10.2497, 11.3, 11.6588, 11.6588, 11.7, 12.1],
            ["S1", "S4", "S7"],
        ),
        ([15, 10, 15], [12, 12, 15], ["S2", "S3"]),
    ],
)
def test_heemod_frontier_cases(cost, effect, frontier):
    r = icers(cost=cost, effect=effect)
    assert list(r.frontier) == frontier


def test_heemod_identical_strategies_follow_dampack():
    """heemod test 7 keeps both identical S4 and S5; dampack (and evtree) keep the first only."""
    r = icers(
        cost=[25000, 25000, 50000, 58500, 58500, 64266, 91744],
        effect=[10.2497, 10.25, 11.3, 11.6588, 11.6588, 11.7, 12.1],
    )
    assert r.frontier == ("S2", "S4", "S7")
    assert r.strategy("S5").dominated_by == ("S4",)
    assert r.strategy("S1").dominated_by == ("S2",)  # same cost, less effective
    # by hand: (58500 - 25000) / (11.6588 - 10.25) = 23779.10...
    assert r.icer("S4") == pytest.approx(33500 / 1.4088, rel=1e-12)
    assert r.icer("S7") == pytest.approx(33244 / 0.4412, rel=1e-12)


# ------------------------------------------------------------------ dampack's bugs
def test_dampack_37_cheapest_ties_on_effect_one_left():
    """dampack #37: the cheapest ties the costliest on effect; one strategy left, no ICER."""
    r = icers(
        cost=[163771.0, 164848.7, 163765.1],
        effect=[6.48273, 6.52861, 6.52861],
        names=["No Treat", "Treat all", "Test & treat"],
    )
    assert r.strategies[0].name == "Test & treat"
    assert r.frontier == ("Test & treat",)
    assert r.strategy("Test & treat").icer is None and r.strategy("Test & treat").inc_cost is None
    assert r.status("No Treat") == DOMINATED and r.status("Treat all") == DOMINATED
    assert r.strategy("Treat all").dominated_by == ("Test & treat",)
    assert r.thresholds == ()
    assert r.optimal_at(10**6) == "Test & treat"


def test_dampack_149_unequal_lengths_raise():
    with pytest.raises(ModelError, match="3 costs but 2 effects"):
        icers(cost=[1, 2, 3], effect=[1, 2])


def test_no_strategy_raises_and_one_strategy_is_the_frontier():
    with pytest.raises(ModelError, match="at least one strategy"):
        icers(cost=[], effect=[])
    r = icers({"only": (5, 1)})
    assert r.frontier == ("only",) and r.icer("only") is None


def test_bad_input_is_named():
    with pytest.raises(ModelError, match="'b'.*not a finite"):
        icers({"a": (1, 1), "b": (float("nan"), 2)})
    with pytest.raises(ModelError, match="twice"):
        icers(cost=[1, 2], effect=[1, 2], names=["a", "a"])
    x = sympy.Symbol("x", real=True)
    with pytest.raises(ModelError, match="needs values for x"):
        icers({"a": (x, 1), "b": (2, 2)})


def test_collinear_strategies_stay_on_the_frontier():
    """Equal ICERs (dampack's strict >): B lies on the segment A-C and stays; one switch at 2."""
    r = icers({"A": (0, 0), "B": (2, 1), "C": (4, 2)})
    assert r.frontier == ("A", "B", "C")
    assert [r.icer(n) for n in "BC"] == [2, 2]
    assert len(r.thresholds) == 1
    t = r.thresholds[0]
    assert (t.wtp, t.below, t.above, t.tied) == (2, "A", "C", ("B",))


def test_float_noise_counts_as_a_tie():
    """0.1 + 0.2 and 0.3 are the same cost; the less effective one is dominated, not an ICER of 1e16."""
    r = icers({"a": (0.1 + 0.2, 1.0), "b": (0.3, 2.0)})
    assert r.frontier == ("b",)
    assert r.strategy("a").dominated_by == ("b",)


def test_exact_and_float_agree_on_cdiff():
    fl = icers({k: v[:2] for k, v in CDIFF.items()}, method="float")
    ex = icers({k: v[:2] for k, v in CDIFF.items()}, method="exact")
    assert ex.method == "exact" and isinstance(ex.icer("s44"), sympy.Rational)
    for a, b in zip(fl.strategies, ex.strategies):
        assert (a.name, a.status, a.dominated_by) == (b.name, b.status, b.dominated_by)
        if a.icer is not None:
            assert a.icer == pytest.approx(float(b.icer), rel=1e-12)


def test_symbolic_icers_are_expressions_decided_at_the_values_given():
    c = sympy.Symbol("c", real=True)
    r = icers({"A": (c, 1), "B": (3 * c, 2), "C": (4 * c + 10, 4), "D": (5 * c, 1)}, at={"c": 1})
    # at c = 1: A(1,1), B(3,2), C(14,4), D(5,1) -> D dominated by B; ICERs 2 and 11/2: a frontier
    assert r.method == "symbolic"
    assert r.frontier == ("A", "B", "C")
    assert r.strategy("D").dominated_by == ("B",)
    assert sympy.simplify(r.icer("B") - 2 * c) == 0
    assert sympy.simplify(r.icer("C") - (c + 10) / 2) == 0
    assert "decided at c = 1" in r.note
    # at c = 1 the thresholds order 2 < 11/2; optimal_at uses them
    assert r.optimal_at(3) == "B" and r.optimal_at(6) == "C"
    # at c = 20 the order flips: B's ICER 40 > C's (30/2 = 15): B is extended dominated there
    r20 = icers({"A": (c, 1), "B": (3 * c, 2), "C": (4 * c + 10, 4), "D": (5 * c, 1)}, at={"c": 20})
    assert r20.status("B") == EXTENDED_DOMINATED


# ------------------------------------------------------------------ properties
def _dampack_oracle(cost, effect):
    """An independent re-implementation of dampack's calculate_icers (repeat until stable)."""
    n = len(cost)
    order = sorted(range(n), key=lambda i: (cost[i], -effect[i], i))
    dom = set()
    for a in range(n):
        for b in range(a + 1, n):
            if effect[order[b]] <= effect[order[a]]:
                dom.add(order[b])
    nd = [i for i in order if i not in dom]
    while len(nd) > 2:
        icer = [None] + [
            (cost[nd[k]] - cost[nd[k - 1]]) / (effect[nd[k]] - effect[nd[k - 1]]) for k in range(1, len(nd))
        ]
        ed = {nd[k] for k in range(1, len(nd) - 1) if icer[k] > icer[k + 1]}
        if not ed:
            break
        nd = [i for i in nd if i not in ed]
    return nd, dom


points = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(points, st.lists(st.fractions(0, 40), min_size=1, max_size=5))
def test_properties_on_random_strategy_sets(pts, lambdas):
    cost = [F(c) for c, _ in pts]
    effect = [F(e) for _, e in pts]
    names = [f"S{i}" for i in range(len(pts))]
    r = icers(cost=cost, effect=effect, names=names)
    assert r.method == "exact"
    idx = {n: i for i, n in enumerate(names)}
    front = [idx[n] for n in r.frontier]
    # the same frontier and dominated set as dampack's own loop
    oracle, dom = _dampack_oracle(cost, effect)
    assert front == oracle
    assert {idx[s.name] for s in r.strategies if s.status == DOMINATED} == dom
    # a frontier strategy is never dominated (nothing at most as costly and more effective,
    # or cheaper and at least as effective)
    for f in front:
        for j in range(len(pts)):
            assert not (
                cost[j] <= cost[f] and effect[j] >= effect[f] and (cost[j] < cost[f] or effect[j] > effect[f])
            )
    # ICERs never decrease along the frontier
    ic = [r.icer(names[f]) for f in front[1:]]
    assert all(a <= b for a, b in zip(ic, ic[1:]))
    # the reasons hold
    for s in r.strategies:
        i = idx[s.name]
        if s.status == DOMINATED:
            (j,) = (idx[n] for n in s.dominated_by)
            assert cost[j] <= cost[i] and effect[j] >= effect[i]
        elif s.status == EXTENDED_DOMINATED:
            a, b = (idx[n] for n in s.dominated_by)
            assert cost[a] < cost[i] < cost[b]
            # strictly below the segment a-b: the mix with the same cost is more effective
            mix = effect[a] + (effect[b] - effect[a]) * (cost[i] - cost[a]) / (cost[b] - cost[a])
            assert effect[i] < mix
    # net-benefit optimality at any WTP picks a frontier strategy
    for lam in lambdas:
        nmb = [lam * e - c for c, e in zip(cost, effect)]
        best = max(nmb)
        assert max(nmb[f] for f in front) == best
        assert nmb[idx[r.optimal_at(lam)]] == best
        for s in r.strategies:
            if s.status == EXTENDED_DOMINATED:
                assert nmb[idx[s.name]] < best
    # the optimum changes exactly at the thresholds
    for t in r.thresholds:
        assert r.optimal_at(t.wtp) == t.above
        assert r.optimal_at(t.wtp - F(1, 10**6)) == t.below


def test_symbolic_ties_at_the_values_are_reported():
    c = sympy.Symbol("c", real=True)
    r = icers({"A": (c, 1), "B": (2 - c, 2)}, at={"c": 1})  # equal cost at c = 1 only
    assert r.frontier == ("B",)
    assert "not decided there" in r.note and "B and A (cost)" in r.note
