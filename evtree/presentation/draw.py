"""Draw a decision tree as SVG, in the textbook convention.

    tree_svg    the drawing as SVG text (what ``DecisionTree._repr_html_`` shows)
    write_svg   the drawing saved to a file, atomically

Squares are decisions, circles chance events and triangles end points, as in
Clemen's *Making Hard Decisions*, TreeAge and SilverDecisions.  Each branch
carries its label above the line and its probability and payoff below; each
node its rolled-back value; each end point its outcome (and the formula it comes
from when payoffs are expressions or accumulate along the path).  The branches
of the optimal strategy are drawn thick and coloured; options a decision maker
would not take are *pruned*: marked with a double bar across the branch, as
SilverDecisions and TreeAge mark them.

The picture is laid out by evtree itself (no Graphviz): end points get one row
each, a node sits midway between its first and last child, and every depth gets
a column just wide enough for its text, measured with DejaVu Sans metrics (the
font named first; Verdana, the usual fallback, is as wide).  Large trees are
collapsed below a depth (``max_depth``, or chosen automatically so that at most
``max_nodes`` nodes and ``max_rows`` rows are drawn, which keeps a deep tree a
few screens tall; the caption says where it was cut) or drawn from a chosen node
(``subtree``).  Node names (``names=True``) and each end point's probability of
being reached (``probabilities=True``) can be shown; the legend says whether the
optimal strategy maximises or minimises.

Every shape carries a class (``evt-decision``, ``evt-chance``, ``evt-terminal``)
and every node and branch group a ``data-path``, so the SVG can be styled or
checked by a program.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import sympy

from ..core import model
from ..core.errors import EvaluationError, EvtreeError, UnknownNameError
from ..core.expressions import as_expr, symbol
from .display import expression_display, format_number, probability_symbols, quantity_text
from .plots.style import COLORS

__all__ = ["text_width", "tree_svg", "write_svg"]

FONT = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif"
OPTIMAL = COLORS[0]
PRUNED = COLORS[3]
LINE = "#8c8c8c"
INK = "#1a1a1a"
SOFT = "#5a5a5a"
PROB_INK = "#444444"
PAYOFF_INK = "#007a5e"
VALUE_INK = "#0b3d6b"
NODE_FILL = {"decision": "#fde6b0", "chance": "#cfe6f7", "terminal": "#d8efd8"}
NODE_STROKE = {"decision": "#8a5a00", "chance": "#1f5f8b", "terminal": "#2e6b2e"}

#: Colours of the players' decision nodes, in the order the game declares its players
#: (the blue of the optimal strategy and equilibrium path is not among them).
PLAYER_COLORS = ("#8a5a00", "#6a3d9a", "#b2182b", "#1b7837", "#a6611a", "#762a83")
INFOSET = "#555555"
#: A drawn game's subgame-perfect equilibrium is found in exact arithmetic up to this many nodes.
EXACT_GAME_NODES = 5000

SIZE = 18  # side of a decision square, diameter of a chance circle, height of a triangle
SLANT = 26  # horizontal run of the diagonal from a node to its branches' lines
ROW = 44  # vertical space given to each end point
LABEL_SIZE = 12
SMALL_SIZE = 11
VALUE_SIZE = 12
MARGIN = 16

# Advance widths of printable ASCII in DejaVu Sans, in hundredths of an em
# (regular, then bold), read from the font with matplotlib's ft2font.
_WIDTHS = (
    "32 40 46 84 64 95 78 27 39 39 50 84 32 36 32 34 64 64 64 64 64 64 64 64 64 64 34 34 84 84 84 53 "
    "100 68 69 70 77 63 58 77 75 29 29 66 56 86 75 79 60 79 69 63 61 73 68 99 69 61 69 39 34 39 84 50 "
    "50 61 63 55 63 62 35 63 63 28 28 58 28 97 63 61 63 63 41 52 39 63 59 82 59 59 52 64 34 64 84"
)
_BOLD_WIDTHS = (
    "35 46 52 84 70 100 87 31 46 46 52 84 38 42 38 37 70 70 70 70 70 70 70 70 70 70 40 40 84 84 84 58 "
    "100 77 76 73 83 68 68 82 84 37 37 77 64 100 84 85 73 85 77 72 68 81 77 110 77 72 73 46 37 46 84 50 "
    "50 67 72 59 72 68 44 72 71 34 34 67 34 104 71 69 72 72 49 60 48 71 65 92 65 65 58 71 37 71 84"
)
_ADVANCE = {False: [int(w) for w in _WIDTHS.split()], True: [int(w) for w in _BOLD_WIDTHS.split()]}


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the width of ``text`` in pixels at font ``size`` (DejaVu Sans metrics).

    Examples
    --------
    >>> round(text_width("0.17", 10), 1)
    22.4
    """
    table = _ADVANCE[bold]
    total = 0
    for ch in text:
        c = ord(ch)
        total += table[c - 32] if 32 <= c < 127 else 84
    return total * size / 100


@dataclasses.dataclass
class _Item:
    node: model.Node
    depth: int
    collapsed: int = 0  # nodes hidden below a collapsed node
    same_as: str = ""  # collapsed because its subtree repeats the sibling on this branch
    x: float = 0.0
    y: float = 0.0
    label: str = ""
    prob: str = ""
    payoff: str = ""
    value: str = ""
    value_title: str = ""
    end: str = ""  # text right of an end point
    end_formula: str = ""
    end_probability: str = ""  # chance of reaching the end point, if the decisions on the way choose it
    name: str = ""  # the node's name, shown above it
    optimal: bool = False  # an optimal option of its decision parent
    pruned: bool = False
    on_path: bool = False  # on the optimal strategy
    player: str = ""  # in a game: who moves at this decision node
    player_color: str = ""


def _collect(root: model.Node, max_depth: int | None, same: dict[int, str] | None = None) -> list[_Item]:
    items: list[_Item] = []
    stack: list[tuple[model.Node, int]] = [(root, 0)]
    same = same or {}
    while stack:
        node, depth = stack.pop()
        item = _Item(node, depth)
        items.append(item)
        if node.children:
            if id(node) in same:
                item.collapsed = len(node.descendants)
                item.same_as = same[id(node)]
            elif max_depth is not None and depth >= max_depth:
                item.collapsed = len(node.descendants)
            else:
                stack.extend((c, depth + 1) for c in reversed(node.children))
    return items


def _auto_depth(root: model.Node, max_nodes: int, same: dict[int, str] | None = None) -> int | None:
    """Deepest cut-off depth at which at most ``max_nodes`` nodes are drawn (None: all fit)."""
    counts: list[int] = []
    level = [root]
    total = 0
    same = same or {}
    while level:
        total += len(level)
        counts.append(total)
        if total > max_nodes:
            break
        level = [c for n in level if id(n) not in same for c in n.children]
    if counts[-1] <= max_nodes:
        return None
    fits = [d for d, c in enumerate(counts) if c <= max_nodes]
    return fits[-1] if fits else 0


def _repeated_subtrees(root: model.Node, result: Any) -> dict[int, str]:
    """Return the nodes whose subtree repeats an earlier sibling's: id -> that sibling's branch label.

    Two subtrees repeat each other when they have the same shape, labels,
    probabilities and payoffs as written, and (with a result) the same values at
    every node; only the first is drawn.
    """
    signature: dict[int, Any] = {}

    def sign(node: model.Node) -> Any:
        value = format_number(result.value_of(node)) if result is not None else None
        own = (
            node.kind,
            node.label,
            str(node.probability),
            str(node.branch_payoff),
            str(getattr(node, "payoff", None)),
            value,
        )
        sig = (own, tuple(sign(c) for c in node.children))
        signature[id(node)] = sig[1]  # what lies below, whatever the branch into it
        return sig

    def below(node: model.Node) -> Any:  # the subtree, less the label of the branch into it
        return (node.kind, str(node.branch_payoff), signature[id(node)])

    sign(root)
    out: dict[int, str] = {}
    for node in [root, *root.descendants]:
        seen: dict[Any, str] = {}
        for child in node.children:
            if not child.children:
                continue
            key = below(child)
            if key in seen:
                out[id(child)] = seen[key]
            else:
                seen[key] = child.label or ""
    return out


def _depth_for_rows(root: model.Node, max_rows: int, same: dict[int, str] | None = None) -> int | None:
    """Deepest cut-off depth at which at most ``max_rows`` rows are drawn (None: the whole tree fits).

    Cut at depth d, the rows are the end points above d and every node at d; they
    never decrease with d, so the first depth that needs too many ends the search.
    """
    level, depth, leaves_above = [root], 0, 0
    best: int | None = None
    same = same or {}
    while True:
        rows = leaves_above + len(level)
        inner = [n for n in level if n.children and id(n) not in same]  # a repeat is drawn as one row
        if not inner:  # the deepest level: the whole tree
            return None if rows <= max_rows else (best if best is not None else 0)
        if rows > max_rows:
            return best if best is not None else 0
        best = depth
        leaves_above += len(level) - len(inner)
        level = [c for n in inner for c in n.children]
        depth += 1


def _scalar(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.reshape(-1)[0]
    return v


def _outcome_formula(node: model.Node) -> Any:
    """Return the outcome at an end point as a sympy expression: path payoffs plus its own."""
    terms = []
    n: model.Node | None = node
    while n is not None:
        if n.branch_payoff is not None:
            terms.append(as_expr(n.branch_payoff))
        n = n.parent
    if node.payoff is not None:  # type: ignore[attr-defined]
        terms.append(as_expr(node.payoff))  # type: ignore[attr-defined]
    return sympy.Add(*terms) if terms else sympy.Integer(0)


def _path_probability(node: model.Node, result: Any, positions: dict[int, int]) -> Any:
    """Product of the chance probabilities from the root to ``node`` (decisions on the way taken)."""
    p: Any = 1
    n = node
    while n.parent is not None:
        if isinstance(n.parent, model.Chance):
            p = p * _scalar(result._probs[positions[id(n)]])
        n = n.parent
    return p


def _annotate(
    items: list[_Item],
    tree: model.DecisionTree,
    result: Any,
    max_chars: int,
    *,
    names: bool = False,
    probabilities: bool = False,
) -> None:
    numeric = result is not None and result.method != "symbolic"
    collect = probability_symbols(tree) if result is not None and not numeric else None
    flat = result._flat if result is not None else None
    positions = flat.index if flat is not None else {}
    optimal = result._optimal if result is not None else None
    for item in items:
        node = item.node
        i = positions.get(id(node)) if flat is not None else None
        if names and node.name:
            item.name = node.name
        if node.parent is not None:
            item.label = node.label or ""
            if isinstance(node.parent, model.Chance):
                given = node.probability
                text = quantity_text(given)
                if numeric and not isinstance(given, (int, float)):
                    p = result._probs[i]
                    text += " = " + format_number(_scalar(p), digits=4)
                item.prob = text
            if node.branch_payoff is not None:
                given = node.branch_payoff
                text = quantity_text(given)
                if numeric and not isinstance(given, (int, float)):
                    point = {k: _scalar(v) for k, v in result.parameters.items()}
                    text += " = " + format_number(_eval_quantity(given, point))
                item.payoff = text
            if optimal is not None and isinstance(node.parent, model.Decision):
                item.optimal = bool(np.asarray(optimal[i]).all())
                item.pruned = not item.optimal
        if result is not None:
            v = result.value_of(node)
            if not numeric:  # symbolic: collected by the branch probabilities, to read at a glance
                v = expression_display(v, collect)
            item.value = format_number(v, max_chars=max_chars)
            item.value_title = format_number(v) if result.method == "symbolic" else str(v)
        if isinstance(node, model.Terminal) and tree.component_names:
            # criteria (cost, effect, ...): each criterion's outcome; the value is the objective's
            parts = _payoffs_text(_component_totals(node, list(tree.component_names)), max_chars)
            item.end = item.value if result is not None else parts
            if parts != item.end:
                item.end_formula = parts
        elif isinstance(node, model.Terminal):
            formula = _outcome_formula(node)
            if result is not None:
                item.end = item.value
                if not formula.is_number:
                    shown = format_number(formula, max_chars=max_chars)
                    if shown != item.end:
                        item.end_formula = shown
            else:
                item.end = format_number(formula, max_chars=max_chars)
            if probabilities and result is not None:
                reach = _path_probability(node, result, positions)
                item.end_probability = "p = " + format_number(reach, kind="probability", max_chars=max_chars)


# ----------------------------------------------------------------------------- games
def player_colors(tree: model.DecisionTree) -> dict[str, str]:
    """Return each player's colour in the drawings, in the order the game declares them."""
    return {p.name: PLAYER_COLORS[i % len(PLAYER_COLORS)] for i, p in enumerate(tree.players or ())}


def _per_player(value: Any, players: list[str]) -> dict[str, Any]:
    """Return a payoff as {player: sympy expression}: a mapping as given, one expression for all."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {k: as_expr(v) for k, v in value.items()}
    return dict.fromkeys(players, as_expr(value))


def _component_totals(node: model.Node, names: list[str]) -> dict[str, Any]:
    """Return an end point's outcome per player (or criterion): its payoff plus those on its path."""
    total: dict[str, Any] = dict.fromkeys(names, sympy.Integer(0))
    n: model.Node | None = node
    while n is not None:
        for k, v in _per_player(n.branch_payoff, names).items():
            total[k] = total.get(k, 0) + v
        n = n.parent
    for k, v in _per_player(getattr(node, "payoff", None), names).items():
        total[k] = total.get(k, 0) + v
    return total


def _payoffs_text(payoffs: Mapping[str, Any], max_chars: int) -> str:
    return ", ".join(f"{k}: {format_number(v, max_chars=max_chars)}" for k, v in payoffs.items())


def _game_point(tree: model.DecisionTree, parameters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Every parameter's exact value (formulas computed), or None when they cannot be read."""
    from ..core.compile import parameter_point

    try:
        return dict(parameter_point(tree, dict(parameters or {}), method="exact"))
    except (EvtreeError, TypeError, ValueError):
        return None


def _default_equilibrium(
    tree: model.DecisionTree, parameters: Mapping[str, Any] | None
) -> tuple[Any, str, int]:
    """Return the equilibrium drawn when none is given: a perfect-information game's first SPE.

    Returns the equilibrium (or None), a note for the caption, and how many were found.
    """
    from ..games._game import Game
    from ..games.spe import subgame_perfect

    try:
        if not Game(tree).perfect_information:
            return None, "information sets joined by dashed lines; its equilibria: evtree solve", 0
        big = sum(1 for _ in tree.nodes()) > EXACT_GAME_NODES
        solution = subgame_perfect(tree, dict(parameters or {}), method="float" if big else "exact")
    except EvtreeError as err:
        return None, f"no equilibrium drawn: {str(err).splitlines()[0]}", 0
    found = list(solution)
    return (found[0] if found else None), "", len(found)


def _annotate_game(
    items: list[_Item],
    tree: model.DecisionTree,
    point: Mapping[str, Any] | None,
    equilibrium: Any,
    max_chars: int,
    *,
    names: bool = False,
) -> None:
    """Labels, probabilities, per-player payoffs, movers, and the equilibrium's choices."""
    players = [p.name for p in tree.players]
    colors = player_colors(tree)
    subs = {symbol(k): v for k, v in (point or {}).items()}

    def valued(expr: Any) -> Any:
        out = sympy.sympify(expr).xreplace(subs)
        return out if out.is_number else expr

    chosen: dict[str, str] = {}
    if equilibrium is not None:
        for key, probs in equilibrium.profile.items():
            sure = [label for label, q in probs.items() if q == 1]
            if sure:
                chosen[key] = sure[0]
    for item in items:
        node = item.node
        if names and node.name:
            item.name = node.name
        if isinstance(node, model.Decision) and node.player:
            item.player = node.player
            item.player_color = colors.get(node.player, NODE_STROKE["decision"])
        if node.parent is not None:
            item.label = node.label or ""
            if isinstance(node.parent, model.Chance):
                given = node.probability
                text = quantity_text(given)
                if point is not None and not isinstance(given, (int, float)) and given != model.REST:
                    v = valued(as_expr(given))
                    if v.is_number and str(v) != str(given):
                        text += " = " + format_number(v, digits=4)
                item.prob = text
            if node.branch_payoff is not None:
                item.payoff = _payoffs_text(_per_player(node.branch_payoff, players), max_chars)
            parent = node.parent
            if isinstance(parent, model.Decision) and equilibrium is not None:
                key = parent.information_set or parent.key
                if key in chosen:
                    item.optimal = chosen[key] == node.label
                    item.pruned = not item.optimal
        if isinstance(node, model.Terminal):
            total = _component_totals(node, players)
            shown = {k: valued(v) for k, v in total.items()}
            item.end = _payoffs_text(shown, max_chars)
            formula = _payoffs_text(total, max_chars)
            if formula != item.end:
                item.end_formula = formula


def _information_sets(items: list[_Item]) -> str:
    """Dashed lines joining the drawn nodes of each information set, in the textbook way."""
    groups: dict[str, list[_Item]] = {}
    for item in items:
        node = item.node
        if isinstance(node, model.Decision) and node.information_set:
            groups.setdefault(node.information_set, []).append(item)
    out = []
    drawn: list[tuple[float, float, float]] = []  # (x, top, bottom) of the straight joins so far
    for name, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda it: (it.y, it.x))
        color = members[0].player_color or INFOSET
        tip = escape("information set " + name)
        style = f'stroke="{color}" stroke-width="1.6" stroke-dasharray="5 4" fill="none"'
        for a, b in zip(members, members[1:]):
            # a join that would run along another at the same x bows out to the left instead
            level = sum(
                1 for x, lo, hi in drawn if abs(x - a.x) < 1 and abs(b.x - a.x) < 1 and lo < b.y and a.y < hi
            )
            if level == 0:
                out.append(
                    f'<line class="evt-infoset" data-infoset={quoteattr(name)} x1="{a.x:.1f}" '
                    f'y1="{a.y:.1f}" x2="{b.x:.1f}" y2="{b.y:.1f}" {style}><title>{tip}</title></line>'
                )
                drawn.append((a.x, a.y, b.y))
            else:
                bow = a.x - 2 * (SIZE + 6) * level
                out.append(
                    f'<path class="evt-infoset" data-infoset={quoteattr(name)} '
                    f'd="M{a.x:.1f},{a.y:.1f} Q{bow:.1f},{(a.y + b.y) / 2:.1f} {b.x:.1f},{b.y:.1f}" '
                    f"{style}><title>{tip}</title></path>"
                )
        top = members[0]
        out.append(
            _text(
                top.x + SIZE / 2 + 4,
                top.y - SIZE / 2 - 4,
                name,
                cls="evt-infoset-name",
                size=SMALL_SIZE,
                fill=color,
                font_style="italic",
            )
        )
    return '<g class="evt-infosets">' + "".join(out) + "</g>" if out else ""


def _game_caption(tree: model.DecisionTree, equilibrium: Any, count: int, note: str, point: Any) -> str:
    names = ", ".join(p.name for p in tree.players)
    text = f"a game of {len(tree.players)} players ({names}); decision nodes coloured by who moves"
    if equilibrium is not None:
        pays = _payoffs_text(equilibrium.payoffs, 24)
        which = f" (the first of {count})" if count > 1 else ""
        text += f"; thick: a {equilibrium.kind} equilibrium{which}, payoffs {pays}"
    if point is None:
        text += "; payoffs as written"
    if note:
        text += f"; {note}"
    return text


def _eval_quantity(given: Any, point: dict[str, Any]) -> Any:
    expr = as_expr(given)
    subs = {symbol(k): v for k, v in point.items()}
    out = expr.subs(subs)
    return out if not out.is_Float else float(out)


def _mark_path(items: list[_Item], result: Any) -> None:
    """Mark the branches of the optimal strategy (or of the equilibrium drawn, ``result=True``)."""
    if result is None or result is False:
        return
    on: dict[int, bool] = {}
    for item in items:  # pre-order: parents come first
        node = item.node
        if node.parent is None or id(node.parent) not in on:
            item.on_path = True
        else:
            parent_on = on[id(node.parent)]
            item.on_path = parent_on and (isinstance(node.parent, model.Chance) or item.optimal)
        on[id(node)] = item.on_path


def _layout(items: list[_Item], top: float, show_values: bool) -> tuple[float, float]:
    """Place the items; return the drawing's width and height."""
    by_id = {id(it.node): it for it in items}
    row = 0
    # rows: end points and collapsed nodes in pre-order; parents midway, computed bottom-up
    for item in items:
        if not item.node.children or item.collapsed:
            item.y = top + row * ROW + ROW / 2
            row += 1
    for item in reversed(items):
        kids = [by_id[id(c)] for c in item.node.children if id(c) in by_id]
        if kids and not item.collapsed:
            item.y = (kids[0].y + kids[-1].y) / 2
    depth = max(it.depth for it in items)
    # column widths: each depth's branch lines must hold their text
    seg = [0.0] * (depth + 1)
    for item in items:
        if item.depth == 0:
            continue
        label_w = text_width(item.label, LABEL_SIZE)
        below = item.prob + ("   " if item.prob and item.payoff else "") + item.payoff
        below_w = text_width(below, SMALL_SIZE)
        overhang = 0.0
        below_node = item.value or item.player
        if below_node and not isinstance(item.node, model.Terminal):
            overhang = max(0.0, text_width(below_node, VALUE_SIZE, bold=True) - SIZE) + 8
        mark = 22 if item.pruned else 0
        name_w = text_width(item.name, SMALL_SIZE) / 2 + 4 if item.name else 0.0
        seg[item.depth] = max(seg[item.depth], label_w + 12 + mark + name_w, below_w + 12 + overhang, 64)
    root_value_w = text_width(items[0].value, VALUE_SIZE, bold=True) if show_values else 0
    xs = [MARGIN + max(SIZE / 2, root_value_w - SIZE / 2)]
    for d in range(1, depth + 1):
        xs.append(xs[-1] + SIZE + SLANT + seg[d])
    right = 0.0
    for item in items:
        item.x = xs[item.depth]
        extent = item.x + SIZE / 2
        if isinstance(item.node, model.Terminal):
            extent += 8 + text_width(item.end, VALUE_SIZE, bold=True)
            if item.end_formula:
                extent += 8 + text_width(f"({item.end_formula})", SMALL_SIZE)
            if item.end_probability:
                extent += 8 + text_width(item.end_probability, SMALL_SIZE)
        elif item.collapsed:
            extent += 8 + text_width(_collapsed_text(item.collapsed, item.same_as), SMALL_SIZE)
        right = max(right, extent)
    height = top + row * ROW + 8
    return right + MARGIN, height


def _collapsed_text(n: int, same_as: str = "") -> str:
    if same_as.startswith(REFERENCE):
        return (
            f"{REFERENCE} subtree {same_as[len(REFERENCE) :]} (drawn above; {n} node{'s' if n != 1 else ''})"
        )
    if same_as:
        return f"▸ as after ‘{same_as}’ ({n} node{'s' if n != 1 else ''})"
    return f"▸ {n} more node{'s' if n != 1 else ''}"


def _text(x: float, y: float, text: str, *, cls: str, size: float, fill: str = INK, **attrs: Any) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return (
        f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}"{extra}>'
        f"{escape(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, extra: str = "") -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{stroke}" stroke-width="{width}"{extra}/>'
    )


def _bars(mx: float, y: float, cls: str = "evt-pruned-mark") -> str:
    """Return the pruned-option mark: a double bar across a branch at ``(mx, y)``."""
    d = " ".join(f"M{mx + dx - 3:.1f},{y + 6:.1f} L{mx + dx + 3:.1f},{y - 6:.1f}" for dx in (-2.5, 2.5))
    return f'<path class="{cls}" d="{d}" stroke="{PRUNED}" stroke-width="2" fill="none"/>'


def _shape(item: _Item) -> str:
    x, y, h = item.x, item.y, SIZE / 2
    kind = item.node.kind
    style = f'fill="{NODE_FILL[kind]}" stroke="{NODE_STROKE[kind]}" stroke-width="1.5"'
    if item.player_color:
        style = f'fill="{NODE_FILL[kind]}" stroke="{item.player_color}" stroke-width="2.5"'
    if kind == "decision":
        return (
            f'<rect class="evt-decision" x="{x - h:.1f}" y="{y - h:.1f}" '
            f'width="{SIZE}" height="{SIZE}" {style}/>'
        )
    if kind == "chance":
        return f'<circle class="evt-chance" cx="{x:.1f}" cy="{y:.1f}" r="{h}" {style}/>'
    # an end point: a triangle pointing back along its branch
    pts = f"{x - h:.1f},{y:.1f} {x + h * 0.7:.1f},{y - h:.1f} {x + h * 0.7:.1f},{y + h:.1f}"
    return f'<polygon class="evt-terminal" points="{pts}" {style}/>'


def _branch(item: _Item, parent: _Item) -> str:
    h = SIZE / 2
    x0, y0 = parent.x + h, parent.y
    xs = parent.x + h + SLANT
    x1, y1 = item.x - h, item.y
    classes = ["evt-branch"]
    if item.on_path:
        classes.append("evt-optimal")
    if item.pruned:
        classes.append("evt-pruned")
    color, width = (OPTIMAL, 3.0) if item.on_path else (LINE, 1.4)
    out = [f'<g class="{" ".join(classes)}" data-path={quoteattr(item.node.path)}>']
    out.append(
        f'<polyline points="{x0:.1f},{y0:.1f} {xs:.1f},{y1:.1f} {x1:.1f},{y1:.1f}" fill="none" '
        f'stroke="{color}" stroke-width="{width}" stroke-linejoin="round" stroke-linecap="round"/>'
    )
    if item.label:
        out.append(_text(xs + 6, y1 - 6, item.label, cls="evt-label", size=LABEL_SIZE))
    tx = xs + 6
    if item.prob:
        out.append(_text(tx, y1 + 15, item.prob, cls="evt-prob", size=SMALL_SIZE, fill=PROB_INK))
        tx += text_width(item.prob + "   ", SMALL_SIZE)
    if item.payoff:
        out.append(_text(tx, y1 + 15, item.payoff, cls="evt-payoff", size=SMALL_SIZE, fill=PAYOFF_INK))
    if item.pruned:  # a double bar across the branch, just after the shoulder
        mx = xs + max(14.0, min(28.0, (x1 - xs) * 0.35))
        if item.label:
            mx = max(mx, min(x1 - 10, xs + 6 + text_width(item.label, LABEL_SIZE) + 10))
        out.append(_bars(mx, y1))
    out.append("</g>")
    return "".join(out)


def _node(item: _Item) -> str:
    kind = item.node.kind
    title = f"{kind} {item.node.path}"
    if item.node.name:
        title += f" ({item.node.name})"
    if item.player:
        title += f"\nplayer {item.player}"
        if getattr(item.node, "information_set", None):
            title += f", information set {item.node.information_set}"
    if item.value_title:
        title += f"\nvalue {item.value_title}"
    out = [
        f'<g class="evt-node evt-{kind}-node" data-path={quoteattr(item.node.path)}>'
        f"<title>{escape(title)}</title>",
        _shape(item),
    ]
    h = SIZE / 2
    if isinstance(item.node, model.Terminal):
        tx = item.x + h + 8
        if item.end:
            out.append(
                _text(tx, item.y + 4, item.end, cls="evt-outcome", size=VALUE_SIZE, font_weight="bold")
            )
            tx += text_width(item.end, VALUE_SIZE, bold=True) + 8
        if item.end_formula:
            out.append(
                _text(tx, item.y + 4, f"({item.end_formula})", cls="evt-formula", size=SMALL_SIZE, fill=SOFT)
            )
            tx += text_width(f"({item.end_formula})", SMALL_SIZE) + 8
        if item.end_probability:
            out.append(
                _text(tx, item.y + 4, item.end_probability, cls="evt-reach", size=SMALL_SIZE, fill=PROB_INK)
            )
    else:
        if item.value:
            out.append(
                _text(
                    item.x + h,
                    item.y + h + 13,
                    item.value,
                    cls="evt-value",
                    size=VALUE_SIZE,
                    fill=VALUE_INK,
                    font_weight="bold",
                    text_anchor="end",
                )
            )
        if item.player:
            out.append(
                _text(
                    item.x + h,
                    item.y + h + 13,
                    item.player,
                    cls="evt-player",
                    size=SMALL_SIZE,
                    fill=item.player_color,
                    font_weight="bold",
                    text_anchor="end",
                    data_player=item.player,
                )
            )
        if item.collapsed:
            out.append(_line(item.x + h, item.y, item.x + h + 6, item.y, LINE, 1, ' stroke-dasharray="2 2"'))
            out.append(
                _text(
                    item.x + h + 8,
                    item.y + 4,
                    _collapsed_text(item.collapsed, item.same_as),
                    cls="evt-collapsed",
                    size=SMALL_SIZE,
                    fill=SOFT,
                )
            )
    if item.name:  # above the node; the root's starts at its left edge so it stays on the page
        anchor, nx = ("start", item.x - h) if item.depth == 0 else ("middle", item.x)
        out.append(
            _text(
                nx, item.y - h - 4, item.name, cls="evt-name", size=SMALL_SIZE, fill=SOFT, text_anchor=anchor
            )
        )
    out.append("</g>")
    return "".join(out)


def _legend(
    x: float,
    y: float,
    show_values: bool,
    objective: str = "max",
    players: Mapping[str, str] | None = None,
    infosets: bool = False,
    path: str = "",
) -> tuple[str, float]:
    """Return a one-line key to the symbols, as SVG, and its width.

    In a game, a decision square per player in the player's colour, the dashed line
    of an information set, and (``path``) what the thick branches are.
    """
    parts = ['<g class="evt-legend">']
    cx = x
    h = 6

    def word(text: str) -> None:
        nonlocal cx
        parts.append(_text(cx, y + 4, text, cls="evt-legend-text", size=SMALL_SIZE, fill=SOFT))
        cx += text_width(text, SMALL_SIZE) + 14

    k = "decision"
    for name, color in (players or {"": NODE_STROKE[k]}).items():
        thick = ' stroke-width="2"' if name else ""
        parts.append(
            f'<rect class="evt-legend-player" data-player={quoteattr(name)} x="{cx:.1f}" y="{y - h:.1f}" '
            f'width="{2 * h}" height="{2 * h}" fill="{NODE_FILL[k]}" stroke="{color}"{thick}/>'
        )
        cx += 2 * h + 4
        word(f"{name} moves" if name else "decision")
    if infosets:
        parts.append(_line(cx, y, cx + 22, y, INFOSET, 1.6, ' stroke-dasharray="5 4"'))
        cx += 26
        word("information set")
    k = "chance"
    parts.append(
        f'<circle cx="{cx + h:.1f}" cy="{y:.1f}" r="{h}" fill="{NODE_FILL[k]}" stroke="{NODE_STROKE[k]}"/>'
    )
    cx += 2 * h + 4
    word("chance")
    k = "terminal"
    parts.append(
        f'<polygon points="{cx:.1f},{y:.1f} {cx + 1.4 * h:.1f},{y - h:.1f} {cx + 1.4 * h:.1f},{y + h:.1f}" '
        f'fill="{NODE_FILL[k]}" stroke="{NODE_STROKE[k]}"/>'
    )
    cx += 1.4 * h + 4
    word("end point (outcome)")
    word("label above branch;")
    parts.append(_text(cx, y + 4, "probability", cls="evt-legend-text", size=SMALL_SIZE, fill=PROB_INK))
    cx += text_width("probability ", SMALL_SIZE)
    parts.append(_text(cx, y + 4, "payoff", cls="evt-legend-text", size=SMALL_SIZE, fill=PAYOFF_INK))
    cx += text_width("payoff", SMALL_SIZE) + 4
    word("below")
    if show_values:
        parts.append(
            _text(
                cx, y + 4, "value", cls="evt-legend-text", size=SMALL_SIZE, fill=VALUE_INK, font_weight="bold"
            )
        )
        cx += text_width("value", SMALL_SIZE, bold=True) + 4
        word("under node")
        parts.append(_line(cx, y, cx + 22, y, OPTIMAL, 3))
        cx += 26
        word(f"optimal strategy ({'highest' if objective == 'max' else 'lowest'} value)")
        parts.append(_line(cx - 4, y, cx + 16, y, LINE, 1.4) + _bars(cx + 6, y, cls="evt-legend-mark"))
        cx += 22
        word("pruned option")
    elif path:
        parts.append(_line(cx, y, cx + 22, y, OPTIMAL, 3))
        cx += 26
        word(path)
        parts.append(_line(cx - 4, y, cx + 16, y, LINE, 1.4) + _bars(cx + 6, y, cls="evt-legend-mark"))
        cx += 22
        word("not chosen")
    parts.append("</g>")
    return "".join(parts), cx - x


def _caption(tree: model.DecisionTree, result: Any, note: str) -> str:
    if result is None:
        return note or "structure only (no values)"
    kind = "certainty equivalents" if result.utility is not None else "expected values"
    if result.method == "symbolic":
        where = "symbolic in the parameters; optimal strategy at the defaults"
    else:
        defaults = tree.default_values("float")
        changed = {
            k: v
            for k, v in result.parameters.items()
            if k in tree.parameters and not tree.parameters[k].is_formula and float(_scalar(v)) != defaults[k]
        }
        where = (
            "at " + ", ".join(f"{k} = {format_number(_scalar(v))}" for k, v in changed.items())
            if changed
            else "at the default parameters"
        )
    text = f"{kind}, {result.method} arithmetic, {where}"
    if tree.objective == "min":
        text += "; objective: minimise"
    if result.policy_fixed:
        text += "; fixed: " + ", ".join(f"{k} = {v}" for k, v in result.policy_fixed.items())
    units = tree.metadata.get("units") if isinstance(tree.metadata, dict) else None
    if units:
        text += f"; payoffs in {units}"
    if note:
        text += f"; {note}"
    return text


def tree_svg(
    tree: model.DecisionTree,
    result: Any = None,
    *,
    max_depth: int | None = None,
    subtree: model.Node | str | None = None,
    values: bool = True,
    max_nodes: int = 1000,
    title: str | None = None,
    legend: bool = True,
    max_chars: int = 40,
    max_rows: int | None = 120,
    names: bool = False,
    probabilities: bool = False,
    same_subtrees: bool = False,
    equilibrium: Any = None,
    parameters: Mapping[str, Any] | None = None,
    uses: str = "expand",
) -> str:
    """Return an SVG drawing of the tree in the textbook convention.

    Parameters
    ----------
    tree : DecisionTree
        The tree to draw.
    result : Evaluation, optional
        A single-point evaluation of ``tree`` whose values, optimal strategy and
        pruned options are shown.  When omitted and ``values`` is true, the
        tree is evaluated at its default parameters (float arithmetic); if that
        fails (say, probabilities do not sum to 1) the structure alone is drawn
        and the caption says why.
    max_depth : int, optional
        Collapse nodes deeper than this below the drawing's root; a collapsed
        node shows its value and how many nodes it hides.
    subtree : Node or str, optional
        Draw only the subtree at this node (object, name or path).  Values are
        those of the whole tree: expected total outcomes given the node is reached.
    values : bool, default True
        Show rolled-back values, the optimal strategy and pruned options.
    max_nodes : int, default 1000
        When ``max_depth`` is not given and more nodes than this would be drawn,
        collapse at the deepest depth that keeps within it.
    title : str, optional
        Heading; the tree's name by default.
    legend : bool, default True
        Draw a one-line key to the symbols.
    max_chars : int, default 40
        Cut longer symbolic values short (the full value is in the node's tooltip).
    max_rows : int or None, default 120
        When ``max_depth`` is not given and more rows (end points) than this would
        be drawn, collapse at the deepest depth that keeps within it, so a deep
        tree stays a few screens tall (``None``: no limit).  The caption says so.
    names : bool, default False
        Write each node's name above it.
    probabilities : bool, default False
        Write at each end point the probability of reaching it when the decisions
        on the way choose it (the product of the chance probabilities on its path).
    same_subtrees : bool, default False
        Draw a subtree that repeats an earlier sibling's (same shape, labels,
        probabilities, payoffs and values) once: the repeat is collapsed to
        ``▸ as after ‘label’``.  Row limits are then counted on what is drawn.
    equilibrium : Equilibrium or GameSolution, optional
        In a game, the equilibrium whose pure choices are drawn thick (the first
        of a solution).  By default, a perfect-information game's first
        subgame-perfect equilibrium (exact, by backward induction); a game with
        information sets is drawn without one (``evtree solve`` finds them).
        Either way each decision node is coloured and labelled by its player,
        the nodes of an information set are joined by a dashed line, and each end
        point shows every player's payoff.
    parameters : mapping, optional
        In a game, parameter values (else the defaults) for the payoffs shown and
        the equilibrium found.
    uses : {"expand", "collapse"}, default "expand"
        ``"collapse"``: a reference to a named subtree (:class:`evtree.core.model.Use`)
        is drawn in full where it first appears and as one row, ``→ subtree NAME``,
        everywhere after.

    Returns
    -------
    str
        A standalone ``<svg>`` element (no scripts, no external references).

    Raises
    ------
    EvaluationError
        If ``result`` is a broadcast evaluation or belongs to another tree.
    UnknownNameError
        If ``subtree`` names no node of the tree.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> svg = tree_svg(texaco_pennzoil())
    >>> svg.startswith("<svg") and svg.count('class="evt-chance"')
    3
    """
    note = ""
    if getattr(tree, "players", None):
        return _game_svg(
            tree,
            equilibrium if values else None,
            parameters,
            values=values,
            max_depth=max_depth,
            subtree=subtree,
            max_nodes=max_nodes,
            title=title,
            legend=legend,
            max_chars=max_chars,
            max_rows=max_rows,
            names=names,
            uses=uses,
        )
    if result is not None:
        if result.tree is not tree:
            raise EvaluationError("the result given is an evaluation of another tree")
        if result.shape != ():
            raise EvaluationError(f"a drawing shows one parameter point; the result has shape {result.shape}")
    elif values:
        from ..core.evaluate import evaluate

        try:
            result = evaluate(tree)
        except EvtreeError as err:
            note = f"not evaluated: {str(err).splitlines()[0]}"
    if not values:
        result = None
    root = _drawing_root(tree, subtree)
    same = _repeated_subtrees(root, result) if same_subtrees else None
    same = _references(root, uses, same)
    max_depth, cut = _cut(root, max_depth, max_nodes, max_rows, same)
    if cut:
        note = f"{note}; {cut}" if note else cut
    items = _collect(root, max_depth, same)
    _annotate(items, tree, result, max_chars, names=names, probabilities=probabilities)
    _mark_path(items, result)

    heading = title if title is not None else (tree.name or "Decision tree")
    if root is not tree.root:
        heading += f" — subtree at {root.path}"
    caption = _caption(tree, result, note)
    top = 34 + (22 if legend else 0) + 12
    width, height = _layout(items, top, result is not None)
    legend_svg, legend_w = _legend(MARGIN, 52, result is not None, tree.objective) if legend else ("", 0.0)
    width = max(width, MARGIN + legend_w + MARGIN, MARGIN + text_width(heading, 15, bold=True) + MARGIN)
    width = max(width, MARGIN + text_width(caption, SMALL_SIZE) + MARGIN)

    return _assemble(items, root, width, height, heading, caption, legend_svg)


def _drawing_root(tree: model.DecisionTree, subtree: Any) -> model.Node:
    if subtree is None:
        return tree.root
    if isinstance(subtree, model.Node):
        if subtree.root is not tree.root:
            raise UnknownNameError("the subtree's node is not in this tree", node=subtree.path)
        return subtree
    return tree.node(subtree)


def _cut(
    root: model.Node, max_depth: int | None, max_nodes: int, max_rows: int | None, same: Any
) -> tuple[int | None, str]:
    """Return the depth to collapse below, and the caption's note, when the drawing is too big."""
    if max_depth is not None:
        if max_depth < 0:
            raise ValueError(f"max_depth must be 0 or more, got {max_depth}")
        return max_depth, ""
    by_nodes = _auto_depth(root, max_nodes, same)
    by_rows = _depth_for_rows(root, max_rows, same) if max_rows is not None else None
    if by_nodes is not None and (by_rows is None or by_nodes <= by_rows):
        return by_nodes, f"collapsed below depth {by_nodes} to keep within {max_nodes} nodes"
    if by_rows is not None:
        return by_rows, f"collapsed below depth {by_rows} to keep within {max_rows} rows"
    return None, ""


def _game_svg(
    tree: model.DecisionTree,
    equilibrium: Any,
    parameters: Mapping[str, Any] | None,
    *,
    values: bool,
    max_depth: int | None,
    subtree: Any,
    max_nodes: int,
    title: str | None,
    legend: bool,
    max_chars: int,
    max_rows: int | None,
    names: bool,
    uses: str,
) -> str:
    """Draw a game: players' decision nodes, information sets, payoffs, an equilibrium's choices."""
    count = 1
    note = ""
    if equilibrium is not None and not hasattr(equilibrium, "profile"):  # a GameSolution
        found = list(equilibrium)
        count = len(found)
        equilibrium = found[0] if found else None
    elif equilibrium is None and values:
        equilibrium, note, count = _default_equilibrium(tree, parameters)
    point = _game_point(tree, parameters) if values else None
    root = _drawing_root(tree, subtree)
    same = _references(root, uses)
    depth, cut = _cut(root, max_depth, max_nodes, max_rows, same)
    note = "; ".join(x for x in (note, cut) if x)
    items = _collect(root, depth, same)
    _annotate_game(items, tree, point, equilibrium, max_chars, names=names)
    _mark_path(items, equilibrium is not None)
    heading = title if title is not None else (tree.name or "Game")
    if root is not tree.root:
        heading += f" — subtree at {root.path}"
    caption = _game_caption(tree, equilibrium, count, note, point)
    colors = {p: c for p, c in player_colors(tree).items()}
    has_sets = any(isinstance(it.node, model.Decision) and it.node.information_set for it in items)
    top = 34 + (22 if legend else 0) + 12
    width, height = _layout(items, top, False)
    path = f"{equilibrium.kind} equilibrium" if equilibrium is not None else ""
    legend_svg, legend_w = (
        _legend(MARGIN, 52, False, tree.objective, players=colors, infosets=has_sets, path=path)
        if legend
        else ("", 0.0)
    )
    width = max(width, MARGIN + legend_w + MARGIN, MARGIN + text_width(heading, 15, bold=True) + MARGIN)
    width = max(width, MARGIN + text_width(caption, SMALL_SIZE) + MARGIN)
    return _assemble(items, root, width, height, heading, caption, legend_svg, "Game tree: ")


def _assemble(
    items: list[_Item],
    root: model.Node,
    width: float,
    height: float,
    heading: str,
    caption: str,
    legend_svg: str,
    aria: str = "Decision tree: ",
) -> str:
    by_id = {id(it.node): it for it in items}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evtree-tree" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="{FONT}" role="img" '
        f"aria-label={quoteattr(aria + heading)}>",
        f"<title>{escape(heading)}</title>",
        '<rect class="evt-background" x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
        _text(MARGIN, 20, heading, cls="evt-title", size=15, font_weight="bold"),
        _text(MARGIN, 36, caption, cls="evt-caption", size=SMALL_SIZE, fill=SOFT),
        legend_svg,
        '<g class="evt-branches">',
    ]
    for item in items:
        if item.node is not root:
            out.append(_branch(item, by_id[id(item.node.parent)]))
    out.append("</g>")
    out.append(_information_sets(items))
    out.append('<g class="evt-nodes">')
    out.extend(_node(item) for item in items)
    out.append("</g></svg>")
    return "".join(out)


def _references(root: model.Node, uses: str, same: dict[int, str] | None = None) -> dict[int, str] | None:
    """With ``uses="collapse"``: the copies of a named subtree after the first, id -> ``→NAME``."""
    if uses not in ("expand", "collapse"):
        raise ValueError(f"uses must be 'expand' or 'collapse', got {uses!r}")
    if uses == "expand":
        return same
    out = dict(same or {})
    seen: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        name = getattr(node, "use", None)
        if name is not None and node is not root:
            if name in seen:
                out[id(node)] = REFERENCE + name
                continue
            seen.add(name)
        stack.extend(reversed(node.children))
    return out or None


#: How a collapsed reference to a named subtree is marked in ``_Item.same_as``.
REFERENCE = "\u2192"


def write_svg(
    tree: model.DecisionTree, path: str | os.PathLike[str], result: Any = None, **options: Any
) -> None:
    """Write :func:`tree_svg` of the tree to ``path`` (atomically: a temporary file, then rename).

    Options are those of :func:`tree_svg`.
    """
    from ..core.atomic import atomic_write

    atomic_write(Path(path), tree_svg(tree, result, **options) + "\n")
