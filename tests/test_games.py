"""Games: the model (players, information sets), subgame-perfect equilibria, regions, textbook games."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from strategies import trees

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Parameter, Terminal
from evtree.core.errors import EvaluationError, FileFormatError, ModelError
from evtree.games import equilibrium_regions, examples, subgame_perfect

# ----------------------------------------------------------------------------- model


def _two_stage(v: str | int = "v") -> DecisionTree:
    return DecisionTree(
        Decision(
            "a",
            [
                Branch(
                    "L",
                    Decision(
                        "b",
                        [Branch("l", Terminal({"A": 2, "B": v})), Branch("r", Terminal({"A": 0, "B": 0}))],
                        player="B",
                    ),
                ),
                Branch("R", Terminal({"A": 1, "B": 1})),
            ],
            player="A",
        ),
        players=["A", "B"],
        parameters=[Parameter("v", 1, low=-3, high=3)],
    )


def test_player_and_information_set_fields_round_trip() -> None:
    tree = examples.beer_quiche()
    node = tree.node("r_weak_beer")
    assert node.player == "Receiver" and node.information_set == "after_Beer"
    assert "player='Receiver'" in repr(node)
    back = evtree.read_tree(evtree.write_tree(tree))
    assert back == tree
    copy = tree.copy()
    assert copy == tree
    copy.node("r_weak_beer").information_set = "other"
    assert copy != tree


def test_every_decision_needs_a_declared_player() -> None:
    tree = _two_stage()
    tree.node("b").player = None
    (problem,) = tree.problems()
    assert problem.node == "a/L" and problem.field == "player"
    tree.node("b").player = "C"
    (problem,) = tree.problems()
    assert "unknown player 'C'" in str(problem)
    plain = DecisionTree(Decision("d", [Branch("x", Terminal(1))], player="A"))
    (problem,) = plain.problems()
    assert "declare players" in str(problem)


def test_information_set_needs_one_player_and_the_same_labels() -> None:
    tree = examples.matching_pennies()
    tree.node("p2_after_T").player = "P1"
    msgs = [str(p) for p in tree.problems()]
    assert any("p2_after_T" in m and "one information set has one player" in m for m in msgs)
    tree = examples.matching_pennies()
    tree.node("p2_after_T").children[1].label = "X"
    (problem,) = tree.problems()
    assert (
        "p2_after_T" in str(problem) and "p2_after_H" in str(problem) and "same branch labels" in str(problem)
    )
    assert problem.node == "P1/T"


def test_information_set_cannot_contain_a_node_below_another() -> None:
    inner = Decision("d2", [Branch("x", Terminal({"A": 0})), Branch("y", Terminal({"A": 1}))], player="A")
    inner.information_set = "s"
    tree = DecisionTree(
        Decision(
            "d1", [Branch("x", inner), Branch("y", Terminal({"A": 1}))], player="A", information_set="s"
        ),
        players=["A"],
    )
    assert any("lies below" in str(p) for p in tree.problems())


def test_file_errors_name_the_place() -> None:
    text = "players: [A]\nroot:\n  terminal: {A: 1}\n  player: A\n"
    with pytest.raises(FileFormatError, match=r"<string>:4:\d+ \(root.player\).*decision node"):
        evtree.read_tree(text)
    text = (
        "players: [A]\nroot:\n  chance: c\n  player: A\n"
        "  branches: [{label: x, probability: 1, terminal: {A: 1}}]\n"
    )
    with pytest.raises(FileFormatError, match="nature"):
        evtree.read_tree(text)
    with pytest.raises(ModelError, match="information set must be a name"):
        Decision("d", [Branch("x", Terminal(0))], information_set="")


def test_not_a_game_is_refused() -> None:
    with pytest.raises(EvaluationError, match="declares no players"):
        subgame_perfect(evtree.library.texaco_pennzoil())
    with pytest.raises(EvaluationError, match="perfect information"):
        subgame_perfect(examples.matching_pennies())


# ----------------------------------------------------------------------------- textbook games


def test_entry_deterrence_spe() -> None:
    """Selten: the only SPE is (In, Accommodate) with payoffs (1, 1); Out/Fight is Nash only."""
    for method in ("float", "exact", "symbolic"):
        sol = subgame_perfect(examples.entry_deterrence(), method=method)
        assert len(sol) == 1
        (eq,) = sol
        assert eq.kind == "subgame perfect"
        assert eq.choice("entrant") == "In" and eq.choice("incumbent") == "Accommodate"
        assert eq.payoffs == {"Entrant": 1, "Incumbent": 1}


def test_centipede_spe_takes_at_once() -> None:
    """Rosenthal / McKelvey-Palfrey: every player takes at every node; payoffs (8/5, 2/5)."""
    sol = subgame_perfect(examples.centipede(6), method="exact")
    (eq,) = sol
    assert all(eq.choice(f"stage{k}") == "Take" for k in range(1, 7))
    assert eq.payoffs == {"A": sympy.Rational(8, 5), "B": sympy.Rational(2, 5)}


def test_ties_give_every_spe() -> None:
    """B indifferent (v = 0): both choices are SPE, and A best-responds to each (worked by hand)."""
    sol = subgame_perfect(_two_stage(), {"v": 0}, method="exact")
    got = {(e.choice("a"), e.choice("b")): (e.payoffs["A"], e.payoffs["B"]) for e in sol}
    assert got == {("L", "l"): (2, 0), ("R", "r"): (1, 1)}
    assert sol.tied
    fsol = subgame_perfect(_two_stage(), {"v": 0.0})
    assert {(e.choice("a"), e.choice("b")) for e in fsol} == set(got)


def test_tie_in_one_subgame_multiplies_with_others() -> None:
    """Two independent tied subgames under a chance node: 2 x 2 = 4 SPE."""

    def sub(name: str) -> Decision:
        return Decision(name, [Branch("x", Terminal({"A": 1})), Branch("y", Terminal({"A": 1}))], player="A")

    tree = DecisionTree(
        Chance("c", [Branch("h", sub("s1"), probability="1/2"), Branch("t", sub("s2"), probability="1/2")]),
        players=["A"],
    )
    assert len(subgame_perfect(tree, method="exact")) == 4
    assert len(subgame_perfect(tree)) == 4
    assert not subgame_perfect(tree, max_equilibria=3).complete


def test_symbolic_payoffs_and_conditions() -> None:
    sol = subgame_perfect(_two_stage(), method="symbolic")
    (eq,) = sol
    v = evtree.symbol("v")
    assert eq.payoffs == {"A": 2, "B": v}
    assert eq.conditions == sympy.Ge(v, 0)


def test_broadcast_matches_pointwise() -> None:
    vs = np.array([-1.0, -0.5, 0.5, 2.0])
    sol = subgame_perfect(_two_stage(), {"v": vs})
    assert sol.shape == (4,)
    np.testing.assert_allclose(sol.payoffs["A"], [1, 1, 2, 2])
    np.testing.assert_allclose(sol.payoffs["B"], [1, 1, 0.5, 2])
    assert list(sol.choices["a"]) == ["R", "R", "L", "L"]
    for k, x in enumerate(vs):
        point = subgame_perfect(_two_stage(), {"v": float(x)})
        assert point.payoffs["B"] == sol.payoffs["B"][k]


def test_regions_one_parameter_exact() -> None:
    """B plays l iff v >= 0; then A plays L (2 > 1). By hand: L,l on [0, 3]; R on [-3, 0]."""
    reg = equilibrium_regions(_two_stage(), "v")
    assert reg.complete
    by_path = {r["path"]: r["region"] for r in reg.rows}
    assert by_path == {"A@a=L, B@b=l": sympy.Interval(0, 3), "A@a=R": sympy.Interval(-3, 0)}


def test_regions_two_parameters() -> None:
    tree = _two_stage("v - w")
    tree.parameters["w"] = Parameter("w", 0, low=-1, high=1)
    reg = equilibrium_regions(tree, ["v", "w"])
    v, w = evtree.symbol("v"), evtree.symbol("w")
    rows = {r["path"]: r["region"] for r in reg.rows}
    assert set(rows) == {"A@a=L, B@b=l", "A@a=R"}
    assert sympy.simplify(rows["A@a=L, B@b=l"].xreplace({v: 1, w: 0})) is sympy.true
    assert sympy.simplify(rows["A@a=L, B@b=l"].xreplace({v: -1, w: 0})) is sympy.false


# ----------------------------------------------------------------------------- exact vs float vs symbolic


def _random_game(
    rng: np.random.Generator, n_players: int, depth: int, *, params: bool = False
) -> DecisionTree:
    players = [f"P{i}" for i in range(n_players)]
    counter = itertools.count()

    def payoff() -> dict[str, object]:
        out: dict[str, object] = {}
        for p in players:
            x = int(rng.integers(-3, 4))
            if params and rng.random() < 0.3:
                out[p] = f"{x} + {int(rng.integers(1, 3))}*a - b"
            else:
                out[p] = x
        return out

    def node(d: int):
        k = next(counter)
        if d == depth or (d > 0 and rng.random() < 0.25):
            return Terminal(payoff())
        if rng.random() < 0.25:
            p = Fraction(int(rng.integers(1, 4)), 4)
            return Chance(
                f"c{k}",
                [Branch("h", node(d + 1), probability=str(p)), Branch("t", node(d + 1), probability="rest")],
            )
        n = int(rng.integers(2, 4))
        return Decision(
            f"d{k}",
            [Branch(f"o{j}", node(d + 1)) for j in range(n)],
            player=players[int(rng.integers(n_players))],
        )

    root = node(0)
    while isinstance(root, Terminal):
        root = node(0)
    parameters = [Parameter("a", 0, low=-2, high=2), Parameter("b", "1/2", low=-2, high=2)] if params else []
    return DecisionTree(root, players=players, parameters=parameters)


def test_exact_float_symbolic_agree_at_random_points() -> None:
    rng = np.random.default_rng(20261201)
    for _ in range(40):
        tree = _random_game(rng, int(rng.integers(2, 4)), 3, params=True)
        sym = subgame_perfect(tree, method="symbolic")
        for _ in range(3):
            point = {"a": Fraction(int(rng.integers(-8, 9)), 4), "b": Fraction(int(rng.integers(-8, 9)), 4)}
            subs = {evtree.symbol(k): sympy.Rational(v.numerator, v.denominator) for k, v in point.items()}
            exact = subgame_perfect(tree, point, method="exact")
            flt = subgame_perfect(tree, {k: float(v) for k, v in point.items()})
            exact_set = {tuple(sorted((k, e.choice(k)) for k in e.profile)) for e in exact}
            float_set = {tuple(sorted((k, e.choice(k)) for k in e.profile)) for e in flt}
            assert exact_set == float_set
            for e, f in zip(exact, flt):
                for p in tree.component_names:
                    assert float(e.payoffs[p]) == pytest.approx(f.payoffs[p], abs=1e-9)
            # symbolic: each equilibrium whose conditions hold at the point is an exact SPE there
            for s in sym:
                if s.conditions.xreplace(subs) is sympy.true:
                    key = tuple(sorted((k, s.choice(k)) for k in s.profile))
                    assert key in exact_set
                    match = next(
                        e for e in exact if tuple(sorted((k, e.choice(k)) for k in e.profile)) == key
                    )
                    for p in tree.component_names:
                        assert sympy.simplify(s.payoffs[p].xreplace(subs) - match.payoffs[p]) == 0


@given(trees(max_depth=3, with_parameters=True, objective="max"))
def test_one_player_game_is_the_decision_tree(tree) -> None:
    """A game with one player is a decision tree: its SPE payoff is the rollback value (second method)."""
    game = tree.copy()
    for node in game.nodes():
        if node.branch_payoff is not None:
            node.branch_payoff = {"A": node.branch_payoff}
        if isinstance(node, Terminal) and node.payoff is not None:
            node.payoff = {"A": node.payoff}
        if isinstance(node, Decision):
            node.player = "A"
    game = DecisionTree(game.root, parameters=list(tree.parameters.values()), players=["A"])
    try:
        expected = evtree.evaluate(tree, method="exact")
    except evtree.EvtreeError:
        return
    sol = subgame_perfect(game, method="exact")
    assert all(e.payoffs["A"] == expected.value for e in sol)
    assert any(all(e.choice(k) == v for k, v in expected.policy.items()) for e in sol)
