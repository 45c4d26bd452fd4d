"""Drawings of games (issue 19, item 6): players, information sets, an equilibrium's path.

And drawings that collapse references to a named subtree (issue 14, item 4).

Expected content is worked out by hand from the games' definitions: coordinates are read
back from the node shapes the SVG draws, so that an information set's dashed join is
checked against the very nodes it must join.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import TREES

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Terminal, Use
from evtree.cli.main import main
from evtree.games import examples, subgame_perfect
from evtree.presentation.draw import tree_svg

NS = {"s": "http://www.w3.org/2000/svg"}
KOREA = TREES / "korea_negotiation.yaml"


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)


def _centres(root: ET.Element) -> dict[str, tuple[float, float]]:
    """Each decision node's centre, from its square: data-path -> (x, y)."""
    out = {}
    for g in root.iterfind(".//s:g[@data-path]", NS):
        rect = g.find("s:rect[@class='evt-decision']", NS)
        if rect is not None:
            x, y = float(rect.get("x")), float(rect.get("y"))
            w = float(rect.get("width"))
            out[g.get("data-path")] = (x + w / 2, y + w / 2)
    return out


def _joins(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "evt-infoset"]


def _ends(join: ET.Element) -> tuple[tuple[float, float], tuple[float, float]]:
    if join.tag.endswith("line"):
        return (float(join.get("x1")), float(join.get("y1"))), (float(join.get("x2")), float(join.get("y2")))
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", join.get("d"))]
    return (nums[0], nums[1]), (nums[-2], nums[-1])


def _close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 0.06 and abs(a[1] - b[1]) < 0.06


# ------------------------------------------------------------------------------ information sets
def test_a_two_node_information_set_is_one_dashed_join_of_its_nodes():
    root = _svg(tree_svg(examples.matching_pennies()))
    centres = _centres(root)
    # P2 moves after H and after T without seeing P1's coin: one information set of two nodes
    joins = _joins(root)
    assert len(joins) == 1
    (join,) = joins
    assert join.tag.endswith("line") and join.get("stroke-dasharray")
    assert join.get("data-infoset") == "P2"
    ends = _ends(join)
    assert {_close(ends[0], centres["P1/H"]), _close(ends[1], centres["P1/T"])} == {True}


def test_interleaved_information_sets_are_told_apart():
    # beer-quiche: the receiver's node after Beer and after Quiche, for each type: two sets of two,
    # whose nodes alternate down the page (weak-beer, weak-quiche, strong-beer, strong-quiche)
    root = _svg(tree_svg(examples.beer_quiche()))
    centres = _centres(root)
    joins = {j.get("data-infoset"): j for j in _joins(root)}
    assert set(joins) == {"after_Beer", "after_Quiche"}
    for name, (a, b) in {
        "after_Beer": ("type/Weak/Beer", "type/Strong/Beer"),
        "after_Quiche": ("type/Weak/Quiche", "type/Strong/Quiche"),
    }.items():
        ends = _ends(joins[name])
        assert _close(ends[0], centres[a]) and _close(ends[1], centres[b])
    # the second would run along the first, so it bows out as a curve
    assert [j.tag.split("}")[1] for j in joins.values()] == ["line", "path"]


# ------------------------------------------------------------------------------ players
def test_each_decision_node_names_its_player_with_a_legend():
    svg = tree_svg(examples.beer_quiche())
    root = _svg(svg)
    movers = {t.get("data-player") for t in root.iter() if t.get("class") == "evt-player"}
    assert movers == {"Sender", "Receiver"}
    labels = [t.text for t in root.iter() if t.get("class") == "evt-player"]
    assert labels.count("Sender") == 2 and labels.count("Receiver") == 4  # 2 types; 2 types x 2 messages
    legend = [r.get("data-player") for r in root.iter() if r.get("class") == "evt-legend-player"]
    assert legend == ["Sender", "Receiver"]
    assert "information set" in svg and "Sender moves" in svg
    # each player's squares share the player's colour, different from the other's
    strokes: dict[str, set[str]] = {}
    for g in root.iterfind(".//s:g[@data-path]", NS):
        rect = g.find("s:rect[@class='evt-decision']", NS)
        player = g.find("s:text[@class='evt-player']", NS)
        if rect is not None:
            strokes.setdefault(player.text, set()).add(rect.get("stroke"))
    assert (
        len(strokes["Sender"]) == len(strokes["Receiver"]) == 1 and strokes["Sender"] != strokes["Receiver"]
    )


def test_a_perfect_information_game_shows_its_subgame_perfect_path():
    # entry deterrence: the incumbent accommodates (1 > -1), so the entrant enters (1 > 0)
    svg = tree_svg(examples.entry_deterrence())
    root = _svg(svg)
    thick = {g.get("data-path") for g in root.iter() if "evt-optimal" in (g.get("class") or "").split()}
    pruned = {g.get("data-path") for g in root.iter() if "evt-pruned" in (g.get("class") or "").split()}
    assert thick == {"entrant/In", "entrant/In/Accommodate"}
    assert pruned == {"entrant/Out", "entrant/In/Fight"}
    outcomes = [t.text for t in root.iter() if t.get("class") == "evt-outcome"]
    assert outcomes == [
        "Entrant: 0, Incumbent: 2",
        "Entrant: \u22121, Incumbent: \u22121",
        "Entrant: 1, Incumbent: 1",
    ]
    assert "subgame perfect equilibrium, payoffs Entrant: 1, Incumbent: 1" in svg


def test_an_equilibrium_can_be_given():
    game = examples.entry_deterrence()
    # the Nash equilibrium (Out, Fight) is not subgame perfect, but can be drawn when given
    fake = subgame_perfect(game)[0]
    out_fight = type(fake)(
        "nash",
        {"entrant": {"Out": 1, "In": 0}, "incumbent": {"Fight": 1, "Accommodate": 0}},
        {"Entrant": 0, "Incumbent": 2},
    )
    root = _svg(tree_svg(game, equilibrium=out_fight))
    thick = {g.get("data-path") for g in root.iter() if "evt-optimal" in (g.get("class") or "").split()}
    assert thick == {"entrant/Out"}  # Fight is chosen off the path: marked, not thick
    pruned = {g.get("data-path") for g in root.iter() if "evt-pruned" in (g.get("class") or "").split()}
    assert pruned == {"entrant/In", "entrant/In/Accommodate"}
    bare = tree_svg(game, values=False)
    assert "evt-optimal" not in bare and "evt-player" in bare


def test_render_and_report_work_on_games(tmp_path, capsys):
    out = tmp_path / "korea.svg"
    assert main(["render", str(KOREA), "-o", str(out)]) == 0
    root = _svg(out.read_text())
    centres = _centres(root)
    joins = {j.get("data-infoset"): _ends(j) for j in _joins(root)}
    assert set(joins) == {"at_the_table", "after_a_flout"}
    table = joins["at_the_table"]
    assert _close(table[0], centres["intentions/sincere/offer"])
    assert _close(table[1], centres["intentions/insincere/offer"])
    outcomes = [t.text for t in root.iter() if t.get("class") == "evt-outcome"]
    # accepting a sincere offer: v_deal - c_talk = 100 - 2 for the U.S., n_deal = 30 for the North
    assert outcomes[0] == "US: 98, North: 30"
    # saying no at the table: alt_after_talks - c_talk = (2/5*20 + 3/5*(-30)) - 2 = -12; n_refused = -10
    assert outcomes[1] == "US: \u221212, North: \u221210"
    # with --set the payoffs follow: v_deal = 50 gives 48
    assert main(["render", str(KOREA), "--set", "v_deal=50"]) == 0
    assert "US: 48, North: 30" in capsys.readouterr().out
    page = tmp_path / "korea.html"
    assert main(["report", str(KOREA), "-o", str(page), "--no-claims"]) == 0
    html = page.read_text()
    assert "<h2>Equilibria</h2>" in html and "semi-separating" in html and "evt-infoset" in html


def test_a_game_displays_in_a_notebook():
    game = evtree.read_tree(KOREA)
    html = game._repr_html_()
    assert html.startswith("<svg") and html.count('class="evt-player"') == 6


# ------------------------------------------------------------------------------ subtree references
def _court_tree() -> DecisionTree:
    court = Chance(
        "court",
        [Branch("win", Terminal(10), probability="1/2"), Branch("lose", Terminal(0), probability="rest")],
    )
    return DecisionTree(
        Decision(
            "d", [Branch("sue", Use("court")), Branch("appeal", Use("court")), Branch("settle", Terminal(4))]
        ),
        subtrees={"court": court},
    )


def test_references_to_a_named_subtree_can_be_collapsed():
    tree = _court_tree()
    full = _svg(tree_svg(tree))
    assert sum(1 for e in full.iter() if e.get("class") == "evt-terminal") == 5  # 2 + 2 + settle
    root = _svg(tree_svg(tree, uses="collapse"))
    # the first reference is drawn (win, lose), the second is one row: "→ subtree court"
    assert sum(1 for e in root.iter() if e.get("class") == "evt-terminal") == 3
    collapsed = [e.text for e in root.iter() if e.get("class") == "evt-collapsed"]
    assert collapsed == ["\u2192 subtree court (drawn above; 2 nodes)"]
    with pytest.raises(ValueError, match="uses must be"):
        tree_svg(tree, uses="fold")


def test_render_collapses_references_from_the_command_line(tmp_path):
    evtree.write_tree(_court_tree(), tmp_path / "court.yaml")
    assert (
        main(["render", str(tmp_path / "court.yaml"), "-o", str(tmp_path / "c.svg"), "--uses", "collapse"])
        == 0
    )
    root = _svg((tmp_path / "c.svg").read_text())
    # settle and the first court's win and lose: three end points; the second court is one row
    assert sum(1 for e in root.iter() if e.get("class") == "evt-terminal") == 3
    assert [e.text for e in root.iter() if e.get("class") == "evt-collapsed"] == [
        "\u2192 subtree court (drawn above; 2 nodes)"
    ]
