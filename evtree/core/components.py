"""Named payoff components: the criteria of a multi-criteria tree, or the players of a game.

    Criterion    a named criterion (cost, QALY, ...) with a unit and a sense (min or max)
    Player       a named player of a game tree
    Payoffs      an immutable mapping component name -> payoff (number, text or sympy)

A tree may declare ``criteria`` or ``players`` (not both: a game over several
criteria is not supported in 0.x).  In such a tree a terminal's payoff and a
branch's payoff may be a :class:`Payoffs` mapping from component names to
expressions; a missing component counts as 0.  A tree without components is
today's one-criterion, one-player tree, and a mapping payoff there is refused.

The compiled form (:class:`evtree.core.compile.FlatTree`) holds one payoff
:class:`~evtree.core.compile.Quantity` per component, in
``component_payoffs[name]`` (terminals) and ``component_branch_payoffs[name]``
(branches); :func:`component_view` gives a FlatTree whose ``payoff`` and
``branch_payoff`` are one component's, so that any rollback runs unchanged on it.
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import numbers
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .errors import EvaluationError, ExpressionError, ModelError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from .compile import FlatTree
    from .model import DecisionTree

__all__ = ["SENSES", "Criterion", "Payoffs", "Player", "component_view", "evaluation_component"]

#: The senses a criterion may have.
SENSES = ("max", "min")
_SENSE_SPELLINGS = {
    "max": "max",
    "maximize": "max",
    "maximise": "max",
    "min": "min",
    "minimize": "min",
    "minimise": "min",
}


def _check_component_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or keyword.iskeyword(name):
        raise ModelError(f"{what} name {name!r} is not an ASCII identifier", field=f"{what.split()[0]}s")
    return name


@dataclasses.dataclass(frozen=True)
class Criterion:
    """A criterion of a multi-criteria tree.

    Parameters
    ----------
    name : str
        An ASCII identifier; payoff mappings refer to the criterion by it.
    unit : str
        The unit of its payoffs, e.g. ``"$"`` or ``"QALY"``.
    sense : {"max", "min"}, default "max"
        Whether more (``max``) or less (``min``) is better.
    description : str
        What the criterion measures.

    Examples
    --------
    >>> Criterion("cost", unit="$", sense="minimise").sense
    'min'
    """

    name: str
    unit: str = ""
    sense: str = "max"
    description: str = ""

    def __post_init__(self) -> None:
        _check_component_name(self.name, "criterion")
        if self.sense not in _SENSE_SPELLINGS:
            raise ModelError(
                f"criterion {self.name!r}: sense must be 'max' or 'min', got {self.sense!r}",
                field=f"criteria.{self.name}.sense",
            )
        object.__setattr__(self, "sense", _SENSE_SPELLINGS[self.sense])
        for key in ("unit", "description"):
            if not isinstance(getattr(self, key), str):
                raise ModelError(
                    f"criterion {self.name!r}: {key} must be text", field=f"criteria.{self.name}.{key}"
                )


@dataclasses.dataclass(frozen=True)
class Player:
    """A player of a game tree.

    Parameters
    ----------
    name : str
        An ASCII identifier; decision nodes' ``player`` and payoff mappings refer to it.
    description : str
        Who the player is.
    """

    name: str
    description: str = ""

    def __post_init__(self) -> None:
        _check_component_name(self.name, "player")
        if not isinstance(self.description, str):
            raise ModelError(f"player {self.name!r}: description must be text", field=f"players.{self.name}")


class Payoffs(Mapping):
    """An immutable mapping from component names to payoffs (numbers, text or sympy).

    Equal mappings compare equal whatever the order of their keys; the order
    given is kept for writing.  A component not in the mapping counts as 0.

    Examples
    --------
    >>> p = Payoffs({"US": 3, "North": "v - 1"})
    >>> p["North"], len(p), p.get("allies", 0)
    ('v - 1', 2, 0)
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        data = dict(items.items() if isinstance(items, Mapping) else items)
        object.__setattr__(self, "_items", data)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Payoffs is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Payoffs):
            return NotImplemented
        return self._items == other._items

    def __hash__(self) -> int:
        return hash(frozenset((k, str(v)) for k, v in self._items.items()))

    def __repr__(self) -> str:
        return f"Payoffs({self._items!r})"

    def same_as(self, other: Any, same: Any) -> bool:
        """Whether ``other`` is a Payoffs with the same components, by ``same`` on values."""
        if not isinstance(other, Payoffs):
            return False
        keys = set(self) | set(other)
        return all(same(self.get(k, 0), other.get(k, 0)) for k in keys)


def check_payoffs(value: Mapping[str, Any], field: str, node: str | None, check: Any) -> Payoffs:
    """Check a payoff mapping's keys (text) and values (with ``check``); return a :class:`Payoffs`."""
    items = {}
    for key, v in value.items():
        if not isinstance(key, str):
            raise ModelError(f"a payoff component name must be text, got {key!r}", node=node, field=field)
        items[key] = check(v, f"{field}.{key}", node)
    return Payoffs(items)


def read_components(
    criteria: Any, players: Any, parameter_names: Iterable[str]
) -> tuple[tuple[Criterion, ...], tuple[Player, ...]]:
    """Check a tree's ``criteria`` and ``players`` arguments; return them as tuples."""
    crit = _as_components(criteria, Criterion, "criteria")
    play = _as_components(players, Player, "players")
    if crit and play:
        raise ModelError(
            "a tree declares either criteria or players, not both "
            "(a game over several criteria is not supported in evtree 0.x)",
            field="players",
        )
    names = [c.name for c in crit or play]
    field = "criteria" if crit else "players"
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ModelError(f"{field[:-1] if crit else 'player'} {dup!r} is declared twice", field=field)
    clash = sorted(set(names) & set(parameter_names))
    if clash:
        raise ModelError(
            f"{clash[0]!r} is both a parameter and a {'criterion' if crit else 'player'}", field=field
        )
    return crit, play


def _as_components(value: Any, cls: type, field: str) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ModelError(f"'{field}' must be a list of {cls.__name__} objects", field=field)
    out = []
    for item in value:
        if isinstance(item, str) and cls is Player:
            item = Player(item)
        if not isinstance(item, cls):
            raise ModelError(f"expected a {cls.__name__}, got {type(item).__name__}", field=field)
        out.append(item)
    return tuple(out)


def _is_zero(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str):
        from .expressions import parse_expression

        try:
            return parse_expression(value) == 0
        except ExpressionError:
            return False
    try:
        return bool(value == 0)
    except TypeError:  # pragma: no cover
        return False


def split_components(
    raw: list[Any], names: tuple[str, ...]
) -> tuple[list[Any], dict[str, list[Any]], list[tuple[int, Any]]]:
    """Split a node-aligned list of payoffs into the scalar part and one list per component.

    Returns the scalar list (a mapping becomes 0, so it still counts as given),
    the per-component lists (``None`` where absent), and the ``(index, value)``
    pairs of mappings, for the checks.
    """
    found = [(i, r) for i, r in enumerate(raw) if type(r) is Payoffs]
    if not names:
        return raw, {}, found
    scalar = list(raw)
    per: dict[str, list[Any]] = {n: [None] * len(raw) for n in names}
    for i, r in found:
        scalar[i] = 0
        for key, v in r.items():
            if key in per:
                per[key][i] = v
    return scalar, per, found


def component_problems(
    tree: DecisionTree,
    nodes: list[Any],
    field: str,
    raw: list[Any],
    found: list[tuple[int, Any]],
) -> list[ModelError]:
    """Return the problems of one payoff field in a tree with (or without) components."""
    names = tree.component_names
    problems: list[ModelError] = []
    if not names:
        for i, _ in found:
            problems.append(
                ModelError(
                    "a payoff per component (a mapping at a terminal or branch) needs the tree to declare "
                    "criteria or players",
                    node=nodes[i].path,
                    field=field,
                )
            )
        return problems
    kind = "criterion" if tree.criteria else "player"
    known = set(names)
    for i, r in found:
        for key in r:
            if key not in known:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (declared: {', '.join(names)})"
                problems.append(
                    UnknownNameError(
                        f"unknown {kind} {key!r}{hint}", node=nodes[i].path, field=f"{field}.{key}"
                    )
                )
    mapped = {i for i, _ in found}
    for i, r in enumerate(raw):
        if r is not None and i not in mapped and not _is_zero(r):
            problems.append(
                ModelError(
                    f"the tree declares {'criteria' if tree.criteria else 'players'}: give the payoff "
                    f"per {kind}, e.g. {{{names[0]}: {r!r}}}",
                    node=nodes[i].path,
                    field=field,
                )
            )
    return problems


def component_view(flat: FlatTree, name: str) -> FlatTree:
    """Return a FlatTree whose payoffs are the component ``name``'s (cached on ``flat``).

    The view shares the nodes, structure and probabilities of ``flat``; its
    own cache keeps lambdified expressions apart from the other components'.
    """
    key = ("component_view", name)
    view = flat.cache.get(key)
    if view is None:
        try:
            payoff = flat.component_payoffs[name]
            branch = flat.component_branch_payoffs[name]
        except KeyError:
            known = ", ".join(flat.component_payoffs) or "none"
            raise UnknownNameError(f"unknown payoff component {name!r} (declared: {known})") from None
        view = dataclasses.replace(flat, payoff=payoff, branch_payoff=branch, cache={})
        view.cache["parameter_names"] = flat.cache.get("parameter_names")
        flat.cache[key] = view
    return view


def evaluation_component(tree: DecisionTree, flat: FlatTree, criterion: str | None) -> tuple[FlatTree, str]:
    """Return the FlatTree and objective to roll back: the hook :func:`evtree.evaluate` calls.

    A tree without components evaluates as always (``criterion`` must be
    ``None``).  A tree with criteria or players has no single objective yet:
    :func:`~evtree.evaluate` rolls back the one component named by
    ``criterion`` (in its own sense for a criterion; maximised for a player),
    and refuses without one.  Objectives over several criteria will extend
    this function.
    """
    names = tree.component_names
    if not names:
        if criterion is not None:
            raise EvaluationError(
                f"criterion={criterion!r} was given, but the tree declares no criteria or players"
            )
        return flat, tree.objective
    if criterion is None:
        kind = "criteria" if tree.criteria else "players"
        raise EvaluationError(
            f"the tree declares {kind} ({', '.join(names)}): choose the one to evaluate with "
            f"criterion=NAME" + ("" if tree.criteria else ", or solve the game with evtree.games")
        )
    if criterion not in names:
        close = difflib.get_close_matches(criterion, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownNameError(
            f"unknown criterion or player {criterion!r} (declared: {', '.join(names)}){hint}"
        )
    sense = next((c.sense for c in tree.criteria if c.name == criterion), "max")
    return component_view(flat, criterion), sense


def game_problems(tree: DecisionTree, nodes: list[Any], decision_indices: Any) -> list[ModelError]:
    """Return the problems of a game's players and information sets.

    In a tree that declares players, every decision node names a declared
    ``player``; the nodes of one ``information_set`` belong to one player and
    have the same branch labels in the same order, and none lies below another
    (a player remembers their own moves).  A tree without players has neither field.
    """
    decisions = [nodes[i] for i in decision_indices]
    players = [d._player for d in decisions]
    sets = [d._information_set for d in decisions]
    problems: list[ModelError] = []
    if not tree.players:
        if any(players) or any(sets):
            for d in decisions:
                for field in ("player", "information_set"):
                    if getattr(d, f"_{field}") is not None:
                        problems.append(
                            ModelError(
                                f"a {field} needs the tree to declare players", node=d.path, field=field
                            )
                        )
        return problems
    names = tree.component_names
    for d, p in zip(decisions, players):
        if p is None:
            problems.append(
                ModelError(
                    f"in a game every decision node needs a player (one of {', '.join(names)})",
                    node=d.path,
                    field="player",
                )
            )
        elif p not in names:
            close = difflib.get_close_matches(p, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (declared: {', '.join(names)})"
            problems.append(UnknownNameError(f"unknown player {p!r}{hint}", node=d.path, field="player"))
    members: dict[str, list[Any]] = {}
    for d, s in zip(decisions, sets):
        if s is not None:
            members.setdefault(s, []).append(d)
    for s, group in members.items():
        first = group[0]
        first_labels = [c._label for c in first.children]
        for d in group[1:]:
            if d._player != first._player:
                problems.append(
                    ModelError(
                        f"information set {s!r}: {d.key} belongs to {d._player!r} but "
                        f"{first.key} to {first._player!r}; one information set has one player",
                        node=d.path,
                        field="information_set",
                    )
                )
            labels = [c._label for c in d.children]
            if labels != first_labels:
                problems.append(
                    ModelError(
                        f"information set {s!r}: {d.key} has branches {labels} but {first.key} "
                        f"has {first_labels}; the nodes of an information set have the same branch labels",
                        node=d.path,
                        field="information_set",
                    )
                )
        ids = {id(d) for d in group}
        for d in group:
            above = d.parent
            while above is not None:
                if id(above) in ids:
                    problems.append(
                        ModelError(
                            f"information set {s!r}: {d.key} lies below {above.key}, another node of "
                            "the same information set (the player would forget their own move)",
                            node=d.path,
                            field="information_set",
                        )
                    )
                    break
                above = above.parent
    return problems
