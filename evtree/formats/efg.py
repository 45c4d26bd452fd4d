"""Read and write Gambit extensive-form game files (``.efg``, format version 2).

    read_efg    a game tree from a ``.efg`` path, open file or text
    write_efg   a game tree as ``.efg`` text, or to a path (atomically)

The file lists the nodes in pre-order, one per line::

    EFG 2 R "title" { "Entrant" "Incumbent" }
    "comment"

    p "name" player infoset "infoset name" { "Out" "In" } outcome "outcome name" { 0 2 }
    c "name" infoset "infoset name" { "Weak" 1/10 "Strong" 9/10 } outcome
    t "name" outcome "outcome name" { -1 -1 }

Mapping onto evtree: ``p`` nodes are :class:`~evtree.Decision` nodes with a
``player``; nodes that share a player's information set number share an
``information_set`` (named by the set's name, or ``"PLAYER:NUMBER"`` when the
file leaves it empty); a singleton information set keeps its name only when it
has one.  ``c`` nodes are :class:`~evtree.Chance` nodes (nature).  An outcome
at a ``t`` node is the terminal's payoff per player; an outcome at a ``p`` or
``c`` node is the payoff of the branch into that node (Gambit adds it to every
play through the node, as evtree adds branch payoffs).

Gambit has no parameters: :func:`write_efg` writes every probability and payoff
at the parameter values (exactly, as integers or fractions), and a branch
payoff into a terminal is merged into the terminal's outcome (the same game).
Player names that are not identifiers are renamed on reading and the
originals kept in ``tree.metadata["gambit"]``, so writing restores them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import IO, Any

import sympy

from ..core import model
from ..core.atomic import deliver_text
from ..core.compile import compile_tree, parameter_point, raise_problems
from ..core.components import Payoffs, component_view
from ..core.errors import FileFormatError, ModelError
from ..core.expressions import exact_number
from ..core.files import read_text
from ..core.rollback import arithmetic

__all__ = ["read_efg", "write_efg"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?:/\d+)?)
      | (?P<brace>[{}])
      | (?P<comma>,)
      | (?P<word>[A-Za-z]+)
    )""",
    re.VERBOSE,
)


class _Tokens:
    """The tokens of an .efg text, each with its line and column."""

    def __init__(self, text: str, name: str) -> None:
        self.items: list[tuple[str, str, int]] = []
        self.text, self.name = text, name
        pos = 0
        n = len(text)
        while pos < n:
            m = _TOKEN.match(text, pos)
            if m is None:
                rest = text[pos:].lstrip()
                if not rest:
                    break
                at = n - len(rest)
                raise FileFormatError(f"unexpected text {rest[:10]!r}", where=self.where(at))
            kind = m.lastgroup
            if kind != "comma":
                self.items.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def where(self, offset: int) -> str:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return f"{self.name}:{line}:{col}"

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.i] if self.i < len(self.items) else None

    def take(self, kind: str, what: str) -> str:
        tok = self.peek()
        if tok is None:
            raise FileFormatError(
                f"the file ends where {what} was expected", where=self.where(len(self.text))
            )
        if tok[0] != kind:
            raise FileFormatError(f"expected {what}, found {tok[1]!r}", where=self.where(tok[2]))
        self.i += 1
        return tok[1]

    def at(self) -> str:
        tok = self.peek()
        return self.where(tok[2] if tok else len(self.text))

    def string(self, what: str) -> str:
        raw = self.take("string", what)
        return re.sub(r"\\(.)", r"\1", raw[1:-1])

    def integer(self, what: str) -> int:
        text = self.take("number", what)
        if not re.fullmatch(r"\d+", text):
            raise FileFormatError(
                f"expected {what} (a whole number), found {text!r}",
                where=self.where(self.items[self.i - 1][2]),
            )
        return int(text)

    def next_is(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (value is None or tok[1] == value)


def _number(text: str) -> Any:
    """Return an exact number as evtree keeps it: int where whole, else fraction text."""
    value = exact_number(text if "/" in text or "." in text or "e" in text.lower() else int(text))
    if value.is_Integer:
        return int(value)
    return str(value)


def read_efg(source: str | os.PathLike[str] | IO[str]) -> model.DecisionTree:
    """Read a Gambit ``.efg`` game (format version 2) as a game tree.

    Parameters
    ----------
    source : path, file object or str
        A path, an open text file, or the text itself (when it starts with ``EFG``).

    Returns
    -------
    DecisionTree
        With ``players``, decision nodes' ``player`` and ``information_set``,
        chance nodes for nature, and payoffs per player.

    Raises
    ------
    FileFormatError
        Naming the place in the file (``file:line:column``).
    """
    if hasattr(source, "read"):
        name, text = getattr(source, "name", "<stream>"), source.read()
    elif isinstance(source, str) and source.lstrip().startswith("EFG"):
        name, text = "<string>", source
    else:
        name = str(source)
        text = read_text(source)  # regular files only, size-capped; refusals name the file
    toks = _Tokens(text, name)
    if toks.take("word", "'EFG'") != "EFG":
        raise FileFormatError("a Gambit file starts with 'EFG 2 R'", where=toks.where(0))
    version = toks.take("number", "the version 2")
    if version != "2":
        raise FileFormatError(f"only version 2 of the .efg format is read, not {version}", where=toks.at())
    toks.take("word", "'R'")
    title = toks.string("the title")
    toks.take("brace", "'{' before the players")
    originals: list[str] = []
    while toks.next_is("string"):
        originals.append(toks.string("a player name"))
    toks.take("brace", "'}' after the players")
    comment = toks.string("the comment") if toks.next_is("string") else ""
    names = _identifiers(originals)
    infosets: dict[tuple[int, int], dict[str, Any]] = {}
    outcomes: dict[int, Payoffs | None] = {0: None}
    used_names: set[str] = set()
    decision_sets: dict[tuple[int, int], list[model.Decision]] = {}

    def read_outcome() -> Payoffs | None:
        at = toks.at()
        number = toks.integer("an outcome number")
        payoffs = None
        if toks.next_is("string"):
            toks.string("the outcome name")
            if toks.next_is("brace", "{"):
                toks.take("brace", "'{'")
                values = []
                while toks.next_is("number"):
                    values.append(_number(toks.take("number", "a payoff")))
                toks.take("brace", "'}' after the payoffs")
                if len(values) != len(names):
                    raise FileFormatError(
                        f"outcome {number} has {len(values)} payoffs for {len(names)} players", where=at
                    )
                payoffs = Payoffs({p: v for p, v in zip(names, values) if v != 0})
                if number in outcomes and number != 0 and outcomes[number] != payoffs:
                    raise FileFormatError(f"outcome {number} is defined twice, differently", where=at)
                outcomes[number] = payoffs
        if number not in outcomes:
            raise FileFormatError(f"outcome {number} is used before its payoffs are given", where=at)
        return outcomes[number] if number else None

    def node_name(text: str) -> str | None:
        if text and text not in used_names:
            used_names.add(text)
            return text
        return None

    def read_node(depth: int) -> model.Node:
        if depth > 5000:
            raise FileFormatError("the tree is nested too deeply", where=toks.at())
        at = toks.at()
        kind = toks.take("word", "a node ('p', 'c' or 't')")
        if kind == "t":
            nm = node_name(toks.string("the node name"))
            pay = read_outcome()
            return model.Terminal(pay if pay is not None else Payoffs({}), name=nm)
        if kind not in ("p", "c"):
            raise FileFormatError(f"unknown node type {kind!r} (expected p, c or t)", where=at)
        nm = node_name(toks.string("the node name"))
        player = 0 if kind == "c" else toks.integer("a player number")
        if kind == "p" and not 1 <= player <= len(names):
            raise FileFormatError(f"player {player} is not one of the {len(names)} players", where=at)
        number = toks.integer("an information set number")
        key = (player, number)
        if toks.next_is("string"):
            set_name = toks.string("the information set name")
            toks.take("brace", "'{' before the actions")
            actions: list[tuple[str, Any]] = []
            while toks.next_is("string"):
                label = toks.string("an action label")
                prob = _number(toks.take("number", "a probability")) if kind == "c" else None
                actions.append((label, prob))
            toks.take("brace", "'}' after the actions")
            spec = {"name": set_name, "actions": actions}
            if key in infosets and [a for a, _ in infosets[key]["actions"]] != [a for a, _ in actions]:
                raise FileFormatError(
                    f"information set {number} of player {player} is redeclared with other actions", where=at
                )
            infosets.setdefault(key, spec)
        elif key not in infosets:
            raise FileFormatError(f"information set {number} of player {player} has no actions yet", where=at)
        spec = infosets[key]
        pay = read_outcome()
        children = [read_node(depth + 1) for _ in spec["actions"]]
        branches = [
            model.Branch(label, child, probability=prob)
            for (label, prob), child in zip(spec["actions"], children)
        ]
        node: model.Node
        if kind == "c":
            node = model.Chance(nm, branches)
        else:
            node = model.Decision(nm, branches, player=names[player - 1])
            decision_sets.setdefault(key, []).append(node)
        if pay is not None:
            node._branch_payoff = pay
        return node

    with model.building():
        root = read_node(0)
    if toks.peek() is not None:
        raise FileFormatError("text after the last node", where=toks.at())
    taken = {n._information_set for members in decision_sets.values() for n in members if n._information_set}
    for (player, number), members in decision_sets.items():
        set_name = infosets[(player, number)]["name"]
        if len(members) == 1 and not set_name:
            continue
        label = set_name if set_name and set_name not in taken else f"{names[player - 1]}:{number}"
        taken.add(label)
        for d in members:
            d._information_set = label
    if root._branch_payoff is not None:  # an outcome at the root applies to every play
        extra = root._branch_payoff
        root._branch_payoff = None
        for child in root.children:
            child._branch_payoff = _add(child._branch_payoff, extra)
    metadata: dict[str, Any] = {}
    if names != originals:
        metadata["gambit"] = {"players": dict(zip(names, originals))}
    try:
        return model.DecisionTree(
            root, players=names, name=title, description=comment, metadata=metadata or None
        )
    except ModelError as err:
        raise err.in_file(name) from None


def _add(a: Payoffs | None, b: Payoffs) -> Payoffs:
    if a is None:
        return b
    out = dict(a)
    for k, v in b.items():
        out[k] = _number(str(exact_number(out.get(k, 0)) + exact_number(v)))
    return Payoffs(out)


def _identifiers(originals: list[str]) -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(originals):
        name = re.sub(r"\W+", "_", raw.encode("ascii", "ignore").decode()).strip("_") or f"player{i + 1}"
        if name[0].isdigit():
            name = f"player{name}" if raw.isdigit() else f"p_{name}"
        base, k = name, 2
        while name in out:
            name, k = f"{base}_{k}", k + 1
        out.append(name)
    return out


# ----------------------------------------------------------------------------- writing
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: Any) -> str:
    value = sympy.nsimplify(value) if isinstance(value, float) else value
    if isinstance(value, sympy.Rational) or hasattr(value, "numerator"):
        num, den = (
            (value.p, value.q) if isinstance(value, sympy.Rational) else (value.numerator, value.denominator)
        )
        return str(num) if den == 1 else f"{num}/{den}"
    value = exact_number(value)
    if not value.is_Rational:
        raise ModelError(f"{value} is not a rational number; Gambit files hold rationals")
    return _text(value)


def efg_text(tree: model.DecisionTree, values: Mapping[str, Any] | None = None) -> str:
    """Return a game tree as ``.efg`` text, at the parameter ``values`` (defaults otherwise)."""
    if tree.criteria:
        raise ModelError("a tree with several criteria has no Gambit form (Gambit's payoffs are per player)")
    if not tree.players and tree.objective != "max":
        raise ModelError("Gambit players maximise: a one-player tree with objective 'min' has no Gambit form")
    flat = compile_tree(tree)
    raise_problems(flat)
    arith = arithmetic("exact")
    point = parameter_point(tree, values, method="exact")
    probs = arith.probabilities(flat, point)
    arith.check_probabilities(flat, probs)
    if tree.players:
        players = list(tree.component_names)
        views = [component_view(flat, p) for p in players]
    else:
        players = ["decision maker"]
        views = [flat]
    if tree.players and any(n._player is None for n in tree.decision_nodes):  # pragma: no cover - validated
        raise ModelError("every decision node needs a player")
    original = (
        (tree.metadata.get("gambit") or {}).get("players", {}) if isinstance(tree.metadata, Mapping) else {}
    )
    shown = [original.get(p, p) for p in players]
    own = [arith.quantity(v, v.payoff, point) for v in views]
    along = [arith.quantity(v, v.branch_payoff, point) for v in views]
    index = {p: i + 1 for i, p in enumerate(players)}
    lines = [
        f"EFG 2 R {_quote(tree.name)} {{ {' '.join(_quote(p) for p in shown)} }}",
        _quote(tree.description),
        "",
    ]
    set_numbers: dict[tuple[int, str], int] = {}
    counters: dict[int, int] = {}
    outcome_counter = [0]

    def number_for(player: int, key: str | None) -> int:
        if key is not None and (player, key) in set_numbers:
            return set_numbers[(player, key)]
        counters[player] = counters.get(player, 0) + 1
        if key is not None:
            set_numbers[(player, key)] = counters[player]
        return counters[player]

    def outcome(pays: list[Any], name: str) -> str:
        if all(p == 0 for p in pays):
            return "0"
        outcome_counter[0] += 1
        return f"{outcome_counter[0]} {_quote(name)} {{ {' '.join(_text(p) for p in pays)} }}"

    nodes = flat.nodes
    position = flat.index
    # pre-order walk, iterative
    stack = [nodes[0]]
    while stack:
        node = stack.pop()
        i = position[id(node)]
        name = _quote(node._name or "")
        if isinstance(node, model.Terminal):
            pays = [own[k][i] + along[k][i] for k in range(len(players))]
            lines.append(f"t {name} {outcome(pays, node._name or '')}")
            continue
        pays = [along[k][i] for k in range(len(players))]
        kids = list(node.children)
        if isinstance(node, model.Chance):
            acts = " ".join(f"{_quote(c._label)} {_text(probs[position[id(c)]])}" for c in kids)
            num = number_for(0, None)
            lines.append(f"c {name} {num} {_quote(node._name or '')} {{ {acts} }} {outcome(pays, '')}")
        else:
            player = index[node._player] if tree.players else 1
            key = node._information_set
            first = key is None or (player, key) not in set_numbers
            num = number_for(player, key)
            acts = " ".join(_quote(c._label) for c in kids)
            head = f"p {name} {player} {num}"
            if first:
                head += f" {_quote(key or '')} {{ {acts} }}"
            lines.append(f"{head} {outcome(pays, '')}")
        stack.extend(reversed(kids))
    return "\n".join(lines) + "\n"


def write_efg(
    tree: model.DecisionTree,
    target: str | os.PathLike[str] | IO[str] | None = None,
    *,
    values: Mapping[str, Any] | None = None,
) -> str | None:
    """Write a game tree as a Gambit ``.efg`` file (atomically), or return the text.

    Parameters
    ----------
    tree : DecisionTree
        A game (with ``players``) or a one-player tree (written with one player).
    target : path or file object, optional
        Where to write; when omitted the text is returned.
    values : mapping, optional
        Parameter values (Gambit has no parameters: the file holds the game at these values).
    """
    text = efg_text(tree, values)
    return deliver_text(text, target)
