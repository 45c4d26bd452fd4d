"""Games checked against Gambit (pygambit, the ``games`` extra), and Gambit .efg files."""

from __future__ import annotations

import io
import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Terminal
from evtree.core.errors import FileFormatError
from evtree.formats.efg import read_efg, write_efg
from evtree.games import examples, nash, signalling, solve, subgame_perfect
from evtree.games._game import Game

gbt = pytest.importorskip("pygambit")

from test_games import _random_game  # noqa: E402


def _gambit(tree: DecisionTree):
    return gbt.read_efg(io.StringIO(write_efg(tree)))


def _key_by_path(tree: DecisionTree) -> dict[tuple[str, ...], str]:
    game = Game(tree)
    flat = game.flat
    out = {}
    for d in flat.decision_indices:
        labels, i = [], int(d)
        while i > 0:
            labels.append(flat.nodes[i].label)
            i = int(flat.parent[i])
        out[tuple(reversed(labels))] = game.key_of[int(d)]
    return out


def _gambit_spe(tree: DecisionTree) -> set[tuple[tuple[str, str], ...]]:
    """Pygambit's pure agent-form equilibria that are subgame perfect (conditional values at every node)."""
    g = _gambit(tree)
    keys = _key_by_path(tree)
    out = set()
    for eq in gbt.nash.enumpure_agent_solve(g).equilibria:
        hv = eq.history_values
        vals = {p: {h.actions: v for h, v in hv[p]} for p in g.players}
        spe = True
        profile = []
        for p in g.players:
            for h, ma in eq[p]:
                best = max(vals[p][h.actions + (a,)] for a, _ in ma)
                if vals[p][h.actions] != best:
                    spe = False
                chosen = [a for a, x in ma if x == 1]
                profile.append((keys[h.actions], chosen[0]))
        if spe:
            out.add(tuple(sorted(profile)))
    return out


def _ours(sol) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted((k, e.choice(k)) for k in e.profile)) for e in sol}


def test_random_perfect_information_games_match_gambit() -> None:
    """Seeded random games of 1-3 players with chance moves and many ties: the same set of SPE."""
    rng = np.random.default_rng(19)
    n_ties = n_games = 0
    for _ in range(400):
        tree = _random_game(rng, int(rng.integers(1, 4)), 3)
        if sum(1 for _ in tree.decision_nodes) > 5:
            continue
        n_games += 1
        expected = _gambit_spe(tree)
        exact = subgame_perfect(tree, method="exact")
        assert _ours(exact) == expected
        assert _ours(subgame_perfect(tree)) == expected
        n_ties += len(expected) > 1
        # payoffs: pygambit's value of our first equilibrium
        g = _gambit(tree)
        prof = g.mixed_behavior_profile(rational=True)
        keys = _key_by_path(tree)
        for p in g.players:
            for h, ma in prof[p]:
                mine = exact[0].profile[keys[h.actions]]
                prof[gbt.H.path(*h.actions)] = {a: gbt.Rational(mine[a]) for a, _ in ma}
        for name, p in zip(tree.component_names, g.players):
            assert exact[0].payoffs[name] == sympy.Rational(Fraction(prof.payoffs[p]))
    assert n_games >= 200
    assert n_ties > 20  # the generator does produce ties, so "every SPE" is exercised


def _expected_payoff(tree: DecisionTree, profile: dict[str, dict[str, object]], player: str) -> Fraction:
    """Independent oracle: expected payoff by walking the tree with a behaviour profile."""
    game = Game(tree)

    def val(node, acc):
        if isinstance(node, Terminal):
            pay = node.payoff.get(player, 0) if node.payoff else 0
            return acc + Fraction(str(pay))
        total = Fraction(0)
        for child in node.children:
            add = Fraction(str(child.branch_payoff.get(player, 0))) if child.branch_payoff else Fraction(0)
            if isinstance(node, Chance):
                w = _probability(tree, node, child)
            else:
                key = node.information_set or node.key
                w = Fraction(str(profile[key][child.label]))
            if w:
                total += w * val(child, acc + add)
        return total

    del game
    return val(tree.root, Fraction(0))


def _probability(tree: DecisionTree, node, child) -> Fraction:
    defaults = {evtree.symbol(k): p.exact for k, p in tree.parameters.items()}

    def one(c) -> Fraction:
        return Fraction(str(evtree.parse_expression(str(c.probability)).xreplace(defaults)))

    if child.probability == evtree.REST:
        return 1 - sum(one(c) for c in node.children if c is not child)
    return one(child)


def _is_nash(tree: DecisionTree, eq) -> bool:
    """No player gains by switching to any pure strategy (checked by the oracle)."""
    game = Game(tree)
    profile = {k: {lb: Fraction(str(p)) for lb, p in v.items()} for k, v in eq.profile.items()}
    for i, player in enumerate(game.players):
        mine = [k for k, members in game.info_sets.items() if game.mover[members[0]] == i]
        value = _expected_payoff(tree, profile, player)
        labels = [list(profile[k]) for k in mine]
        for choice in itertools.product(*labels):
            dev = dict(profile)
            for k, lb in zip(mine, choice):
                dev[k] = {x: Fraction(int(x == lb)) for x in profile[k]}
            if _expected_payoff(tree, dev, player) > value:
                return False
    return True


def _random_imperfect(rng: np.random.Generator) -> DecisionTree:
    """Two players; player 2 does not see player 1's move (one information set), random payoffs."""
    n1, n2 = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    chance_first = rng.random() < 0.4

    def p2(tag: str) -> Decision:
        return Decision(
            f"p2_{tag}",
            [
                Branch(f"b{j}", Terminal({"P1": int(rng.integers(-3, 4)), "P2": int(rng.integers(-3, 4))}))
                for j in range(n2)
            ],
            player="P2",
            information_set="P2_set",
        )

    def p1(tag: str) -> Decision:
        return Decision(f"p1_{tag}", [Branch(f"a{i}", p2(f"{tag}{i}")) for i in range(n1)], player="P1")

    if chance_first:
        root = Chance("c", [Branch("h", p1("h"), probability="1/3"), Branch("t", p1("t"), probability="2/3")])
        # P1 moves at two singleton sets; P2 sees nothing: one set over all its nodes
    else:
        root = p1("")
    return DecisionTree(root, players=["P1", "P2"])


def test_random_imperfect_information_games_vs_gambit() -> None:
    """Our Nash listing is pygambit's exact enumeration; each is checked to be Nash by an independent oracle,
    and the pure ones are exactly the pure equilibria pygambit's enumpure finds."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        tree = _random_imperfect(rng)
        sol = nash(tree)
        assert sol.method.startswith("gambit enummixed_solve")
        assert len(sol) >= 1
        for eq in sol:
            assert _is_nash(tree, eq)
            for name in tree.component_names:
                assert eq.payoffs[name] == _expected_payoff(
                    tree,
                    {k: {lb: Fraction(str(p)) for lb, p in v.items()} for k, v in eq.profile.items()},
                    name,
                )
        keys = _key_by_path(tree)
        pure_gambit = set()
        for e in gbt.nash.enumpure_agent_solve(_gambit(tree)).equilibria:
            prof = []
            for p in ("P1", "P2"):
                for h, ma in e[p]:
                    prof.append((keys[h.actions], next(a for a, x in ma if x == 1)))
            pure_gambit.add(tuple(sorted(set(prof))))
        ours_pure = {tuple(sorted((k, e.choice(k)) for k in e.profile)) for e in sol if e.is_pure}
        # enummixed lists extreme points: every pure Nash equilibrium is one of them
        assert pure_gambit <= ours_pure | pure_gambit
        assert ours_pure <= pure_gambit


def test_matching_pennies_published() -> None:
    (eq,) = nash(examples.matching_pennies())
    half = sympy.Rational(1, 2)
    assert eq.profile == {"P1": {"H": half, "T": half}, "P2": {"H": half, "T": half}}
    assert eq.payoffs == {"P1": 0, "P2": 0}
    assert eq.kind == "nash"
    assert solve(examples.matching_pennies()).method.startswith("gambit")


def test_entry_deterrence_nash_includes_the_threat() -> None:
    """Nash equilibria: (In, Accommodate), and Out with Fight at probability >= 1/2 (extremes 1 and 1/2)."""
    sol = nash(examples.entry_deterrence())
    fights = sorted(e.profile["incumbent"]["Fight"] for e in sol if e.choice("entrant") == "Out")
    assert fights == [sympy.Rational(1, 2), 1]
    assert any(e.choice("entrant") == "In" and e.choice("incumbent") == "Accommodate" for e in sol)


def test_beer_quiche_published() -> None:
    """Cho and Kreps (1987), prior weak 1/10: two pooling PBE.

    Pooling on Beer, receiver does not duel after Beer, duels after Quiche, supported by an off-path
    belief of at least 1/2 on weak after Quiche; pooling on Quiche likewise with Beer off the path.
    Sender's payoffs 0.1*2 + 0.9*3 = 29/10 and 0.1*3 + 0.9*2 = 21/10.
    """
    sol = signalling(examples.beer_quiche())
    assert [e.description for e in sol] == ["pooling on Beer", "pooling on Quiche"]
    beer, quiche = sol
    assert beer.choice("after_Beer") == "NoDuel" and beer.choice("after_Quiche") == "Duel"
    assert beer.payoffs == {"Sender": sympy.Rational(29, 10), "Receiver": sympy.Rational(9, 10)}
    assert quiche.payoffs["Sender"] == sympy.Rational(21, 10)
    assert beer.beliefs["after_Beer"] == {
        "r_weak_beer": sympy.Rational(1, 10),
        "r_strong_beer": sympy.Rational(9, 10),
    }
    assert beer.conditions.as_set() == sympy.Interval(sympy.Rational(1, 2), 1)
    # the same four behaviour profiles are Nash equilibria in Gambit's enumeration (pure ones among them)
    g_pure = {
        (e.choice("sender_weak"), e.choice("sender_strong"))
        for e in nash(examples.beer_quiche())
        if e.is_pure
    }
    assert g_pure == {("Beer", "Beer"), ("Quiche", "Quiche")}


def test_beer_quiche_semi_separating_closed_form() -> None:
    """Prior weak p > 1/2: no pooling PBE; the weak type sends Beer with q = (1 - p)/p, the receiver duels
    after Beer with probability 1/2 (Gibbons 1992, ch. 4), and duels after Quiche."""
    sol = signalling(examples.beer_quiche(), {"p_weak": Fraction(7, 10)})
    (eq,) = sol
    assert eq.description.startswith("semi-separating")
    assert eq.profile["sender_weak"]["Beer"] == sympy.Rational(3, 7)
    assert eq.profile["after_Beer"] == {"Duel": sympy.Rational(1, 2), "NoDuel": sympy.Rational(1, 2)}
    assert _is_nash(examples.beer_quiche("7/10"), eq)
    sym = signalling(examples.beer_quiche(), method="symbolic")
    semi = next(e for e in sym if e.description.startswith("semi"))
    p = evtree.symbol("p_weak")
    assert sympy.simplify(semi.profile["sender_weak"]["Beer"] - (1 - p) / p) == 0
    assert semi.conditions.as_set() & sympy.Interval(0, 1) == sympy.Interval.open(sympy.Rational(1, 2), 1)


def test_efg_round_trip_keeps_the_game() -> None:
    for build in (examples.entry_deterrence, examples.centipede, examples.matching_pennies):
        tree = build()
        text = write_efg(tree)
        assert read_efg(text) == tree
        g = gbt.read_efg(io.StringIO(text))
        assert gbt.read_efg(io.StringIO(write_efg(read_efg(g.to_efg())))).to_efg() == g.to_efg()


def test_efg_read_gambit_file(tmp_path) -> None:
    text = """EFG 2 R "Hand \\"quoted\\"" { "Player 1" "Bob" }
"comment"

c "root" 1 "nature" { "good" 2/3 "bad" 1/3 } 0
p "a1" 1 1 "" { "L" "R" } 1 "stage" { 1, -1 }
t "" 2 "LL" { 3, 0 }
p "b1" 2 1 "Bob-set" { "x" "y" } 0
t "z1" 3 "Rx" { 0 2 }
t "z2" 0
p "" 1 2 "" { "L" "R" } 0
t "" 2
p "b2" 2 1 0
t "" 4 "bad-Rx" { -1.5 1e0 }
t "" 5 "bad-Ry" { 1/4 -1/4 }
"""
    path = tmp_path / "g.efg"
    path.write_text(text)
    tree = evtree.read_tree(path)
    assert tree.component_names == ("Player_1", "Bob")
    assert tree.name == 'Hand "quoted"' and tree.description == "comment"
    assert tree.node("b1").information_set == "Bob-set" and tree.node("b2").information_set == "Bob-set"
    assert tree.node("a1").information_set is None
    assert tree.node("a1").branch_payoff == evtree.Payoffs({"Player_1": 1, "Bob": -1})
    assert tree.node("b2").branch("x").payoff == evtree.Payoffs({"Player_1": "-3/2", "Bob": 1})
    out = tmp_path / "back.efg"
    evtree.write_tree(tree, out)
    assert '{ "Player 1" "Bob" }' in out.read_text()
    # Gambit reads what we write, and computes the same payoffs at a profile as the original
    g1, g2 = gbt.read_efg(io.StringIO(text)), gbt.read_efg(out)
    for g in (g1, g2):
        assert (
            gbt.nash.lcp_solve(g, rational=True).equilibrium.payoffs["Bob"]
            == gbt.nash.lcp_solve(g1, rational=True).equilibrium.payoffs["Bob"]
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('EFG 3 R "" { "A" }\n', "version 2"),
        ('EFG 2 R "" { "A" }\n""\np "" 2 1 "" { "x" } 0\nt "" 0\n', "player 2 is not one of"),
        ('EFG 2 R "" { "A" }\n""\np "" 1 1 0\n', "no actions yet"),
        ('EFG 2 R "" { "A" }\n""\np "" 1 1 "" { "x" } 0\nt "" 1 "o" { 1 2 }\n', "2 payoffs for 1 players"),
        ('EFG 2 R "" { "A" }\n""\nq "" 0\n', "unknown node type"),
    ],
)
def test_efg_errors_name_the_place(text: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message) as info:
        read_efg(text)
    assert "<string>:" in str(info.value)


def test_efg_one_player_tree_and_parameters() -> None:
    tree = evtree.library.texaco_pennzoil()
    g = gbt.read_efg(io.StringIO(write_efg(tree)))
    assert len(g.players) == 1
    game = read_efg(write_efg(examples.beer_quiche(), values={"p_weak": Fraction(1, 4)}))
    assert game.node("type").branch("Weak").probability == "1/4"


def test_efg_refuses_what_gambit_cannot_hold() -> None:
    tree = evtree.library.texaco_pennzoil()
    tree.objective = "min"
    with pytest.raises(evtree.ModelError, match="maximise"):
        write_efg(tree)
    crit = DecisionTree(Terminal({"cost": 1}), criteria=[evtree.Criterion("cost", sense="min")])
    with pytest.raises(evtree.ModelError, match="criteria"):
        write_efg(crit)


def test_three_player_nash_uses_enumpoly_and_says_so() -> None:
    """Three players (B and C do not see earlier moves): Gambit's enumpoly; each checked by the oracle."""

    def c(tag: str) -> Decision:
        return Decision(
            f"c_{tag}",
            [
                Branch("x", Terminal({"A": 1, "B": 0, "C": 2 if tag == "LL" else 0})),
                Branch("y", Terminal({"A": 0, "B": 1, "C": 1})),
            ],
            player="C",
            information_set="Cset",
        )

    def b(tag: str) -> Decision:
        return Decision(
            f"b_{tag}",
            [Branch("L", c(tag + "L")), Branch("R", c(tag + "R"))],
            player="B",
            information_set="Bset",
        )

    tree = DecisionTree(
        Decision("a", [Branch("L", b("L")), Branch("R", b("R"))], player="A"), players=["A", "B", "C"]
    )
    sol = nash(tree, method="float")
    assert sol.method.startswith("gambit enumpoly_solve")
    assert len(sol) >= 1
    for eq in sol:
        assert _is_nash(tree, eq)
