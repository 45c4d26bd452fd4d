"""Value of information and of control, by rearranging the tree (Howard's clairvoyance).

    informed_tree     the tree in which the outcome of chance nodes (or a signal about it) is
                      known before the first decision it could inform
    controlled_tree   the tree in which the decision maker chooses the outcome of chance nodes
    evpi              expected value of perfect information on one or more chance nodes -> VOIResult
    value_of_control  the value of choosing a chance node's outcome (DPL's value of control) -> VOIResult
    VOIResult         the frozen result record

*Clairvoyance* on an uncertainty reveals its outcome before the first decision
that precedes it: for every chance node named, the topmost decision node above
it (the *revelation point*).  evtree builds the rearranged tree itself: at each
revelation point a chance node over the outcomes comes first, and below each
outcome a copy of the original subtree, conditioned on it.  Chance nodes
between the revelation point and the revealed node whose outcome is informative
about it are revised by Bayes' rule, with the probabilities kept as expressions;
where they are not informative, they keep their probabilities.

Several chance nodes can be named.  Nodes given together as a tuple (on the
command line, joined by commas) are one uncertainty appearing at several places
of the tree, such as a court ruling that may be reached along two paths: their
branches must carry the same labels, and the outcome revealed is the same for
all of them.  An uncertainty that does not occur under some branch is taken to
be independent of that branch.

The value of information is the difference between the value of the informed
tree and that of the original: expected values for a risk-neutral decision
maker, certainty equivalents under a utility.  Under a utility the result also
gives the *buying price*, the amount that leaves the decision maker indifferent
between buying the information and not; for linear and exponential utilities it
equals the certainty-equivalent difference (the delta property), otherwise it is
found numerically.

Examples
--------
>>> from evtree.library import korea_talks
>>> result = evpi(korea_talks(), "north_response", method="exact")
>>> result.value
8
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from .core import model
from .core.compile import PROBABILITY_TOLERANCE
from .core.errors import EvaluationError, ModelError, UnknownNameError
from .core.evaluate import Evaluation, evaluate
from .core.expressions import as_expr, symbol
from .core.utility import Utility, resolve_utility

__all__ = [
    "VOIResult",
    "controlled_tree",
    "evpi",
    "informed_tree",
    "simplify_in_bounds",
    "value_of_control",
]

_ONE = sympy.Integer(1)
_ZERO = sympy.Integer(0)


# ----------------------------------------------------------------------------- events
@dataclasses.dataclass(frozen=True)
class _Event:
    """One uncertainty: chance nodes that are the same event, and what is observed of it.

    ``likelihood`` maps (state label, signal label) to ``P(signal | state)``;
    ``None`` means the state itself is observed (perfect information).
    """

    name: str
    nodes: tuple[model.Chance, ...]
    states: tuple[str, ...]
    signals: tuple[str, ...]
    likelihood: Mapping[tuple[str, str], sympy.Expr] | None = None

    def chance(self, state: str, signal: str) -> sympy.Expr:
        if self.likelihood is None:
            return _ONE if state == signal else _ZERO
        return self.likelihood[(state, signal)]


def _as_node(tree: model.DecisionTree, key: Any) -> model.Node:
    if isinstance(key, model.Node):
        for n in tree.nodes():
            if n is key:
                return n
        raise UnknownNameError("the node is not in this tree", node=key.key)
    return tree.node(key)


def resolve_events(tree: model.DecisionTree, nodes: Any) -> list[_Event]:
    """Turn ``nodes`` (a name, a node, or a sequence of them; tuples group one event) into events."""
    if isinstance(nodes, (str, model.Node)):
        nodes = [nodes]
    if isinstance(nodes, tuple) and all(isinstance(n, (str, model.Node)) for n in nodes) and len(nodes) > 1:
        nodes = list(nodes)  # a bare tuple of names means several events, as a list does
    items = list(nodes)
    if not items:
        raise ModelError("name at least one chance node", field="nodes")
    events: list[_Event] = []
    seen: dict[int, str] = {}
    declared = tree.events
    for item in items:
        group = list(item) if isinstance(item, (tuple, list)) else [item]
        event_name = _event_key(tree, group[0], declared) if len(group) == 1 else None
        if event_name is not None:
            group = list(declared[event_name])
        resolved = []
        for key in group:
            node = _as_node(tree, key)
            if not isinstance(node, model.Chance):
                raise ModelError(
                    f"a {node.kind} node has no outcome to learn; name a chance node", node=node.path
                )
            if id(node) in seen:
                raise ModelError(
                    f"the node is named twice (also in event {seen[id(node)]!r})", node=node.path
                )
            resolved.append(node)
        name = event_name if event_name is not None else " = ".join(n.key for n in resolved)
        _warn_partial_events(resolved, declared)
        for n in resolved:
            seen[id(n)] = name
        states = tuple(c.label for c in resolved[0].children)
        for n in resolved[1:]:
            if sorted(c.label for c in n.children) != sorted(states):
                raise ModelError(
                    f"nodes given as one event must have the same branch labels; {resolved[0].key!r} has "
                    f"{list(states)}, this one {[c.label for c in n.children]}",
                    node=n.path,
                )
        events.append(_Event(name, tuple(resolved), states, states))
    _check_not_nested(events)
    return events


#: How a shared event is named where a node is expected: ``event:NAME``.
EVENT_PREFIX = "event:"


def _event_key(tree: model.DecisionTree, key: Any, declared: Mapping[str, list[model.Chance]]) -> str | None:
    """Return the shared event ``key`` names (``event:NAME``, or a bare NAME no node has), else ``None``."""
    if not isinstance(key, str):
        return None
    if key.startswith(EVENT_PREFIX):
        name = key[len(EVENT_PREFIX) :].strip()
        if name not in declared:
            known = ", ".join(declared) or "none declared"
            raise UnknownNameError(f"no chance node declares event {name!r} (events: {known})")
        return name
    if key in declared:
        try:
            tree.node(key)
        except UnknownNameError:
            return key
    return None


def _warn_partial_events(nodes: Sequence[model.Node], declared: Mapping[str, list[model.Chance]]) -> None:
    """Warn when some but not all copies of a shared event are asked for as one event."""
    import warnings

    from .core.errors import ModelWarning

    ids = {id(n) for n in nodes}
    for n in nodes:
        ev = getattr(n, "_event", None)
        if ev is None:
            continue
        copies = declared.get(ev, [])
        missing = [c for c in copies if id(c) not in ids]
        if missing:
            warnings.warn(
                f"node '{n.key}' is one of {len(copies)} copies of event {ev!r}; the other copies "
                f"({', '.join(c.key for c in missing)}) stay uncertain, so this is the value of "
                f"learning this copy alone. To learn the event, ask for '{EVENT_PREFIX}{ev}' "
                f"(evtree voi --node {EVENT_PREFIX}{ev})",
                ModelWarning,
                stacklevel=3,
            )
            return


def _check_not_nested(events: Sequence[_Event]) -> None:
    for ev in events:
        ids = {id(n) for n in ev.nodes}
        for n in ev.nodes:
            for a in _ancestors(n):
                if id(a) in ids:
                    raise ModelError(
                        f"two nodes of event {ev.name!r} lie on one path; an event happens once on a path",
                        node=n.path,
                    )


def _ancestors(node: model.Node) -> list[model.Node]:
    """Return the nodes above ``node``, root first.

    anytree's ``ancestors`` is built on ``path``, which evtree redefines as text.
    """
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out[::-1]


def _probabilities(node: model.Node) -> list[sympy.Expr]:
    """Return the branch probabilities of a chance node as expressions, ``rest`` resolved."""
    raw = [c.probability for c in node.children]
    given = [None if r == model.REST else as_expr(r) for r in raw]
    known = sympy.Add(*(g for g in given if g is not None))
    return [g if g is not None else 1 - known for g in given]


def _same(a: sympy.Expr, b: sympy.Expr, tolerance: float = 0.0) -> bool:
    """Whether two probabilities are equal: exactly, or within ``tolerance`` when both are numbers."""
    if a == b:
        return True
    diff = a - b
    if diff.is_number:
        if tolerance and abs(float(diff)) <= tolerance:
            return True
        return bool(diff == 0) or bool(sympy.nsimplify(diff) == 0)
    return bool(sympy.expand(diff) == 0) or bool(sympy.simplify(diff) == 0)


def _add_payoffs(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return as_expr(a) + as_expr(b)


def _named(name: str | None, tag: str | None) -> str | None:
    if name is None or tag is None:
        return name
    return f"{name} | {tag}"


def _copy(node: model.Node, tag: str | None, *, probability: bool = True) -> model.Node:
    """Copy a subtree, suffixing names with ``tag``; the caller sets label and probability."""
    new: model.Node
    if isinstance(node, model.Terminal):
        new = model.Terminal(node.payoff, name=_named(node.name, tag))
        if node._utility is not None:  # Howard's u-values travel with their terminal
            new._utility = node._utility
    else:
        kids = [_copy(c, tag) for c in node.children]
        for k, c in zip(kids, node.children):
            k._label = c.label
            k._probability = c.probability if isinstance(node, model.Chance) else None
        new = type(node)(_named(node.name, tag), kids)
        if getattr(node, "_event", None) is not None:
            new._event = node._event
    new._branch_payoff = node.branch_payoff
    return new


def _assemble(
    cls: type, name: str | None, kids: list[model.Node], labels: list[str], probs: list[Any]
) -> Any:
    for k, label, p in zip(kids, labels, probs):
        k._label = label
        k._probability = p
    return cls(name, kids)


# ----------------------------------------------------------------------------- rearrangement
class _Rearrangement:
    """Likelihoods of observations below each node, and conditioned copies of subtrees."""

    def __init__(
        self,
        tree: model.DecisionTree,
        events: Sequence[_Event],
        point: Mapping[str, Any] | None,
        tolerance: float = 0.0,
    ) -> None:
        self.tree = tree
        #: Numbers closer than this count as equal (float arithmetic never compares exactly).
        self.tolerance = tolerance
        self.events = list(events)
        self.event_of = {id(n): j for j, ev in enumerate(self.events) for n in ev.nodes}
        self.point = None if point is None else {symbol(k): v for k, v in point.items()}
        self._groups: dict[int, tuple[int, ...]] = {}
        self._memo: dict[int, Any] = {}

    # -- which events lie below a node -----------------------------------------------------
    def groups(self, n: model.Node) -> tuple[int, ...]:
        key = id(n)
        if key not in self._groups:
            found = set()
            if key in self.event_of:
                found.add(self.event_of[key])
            for c in n.children:
                found.update(self.groups(c))
            self._groups[key] = tuple(sorted(found))
        return self._groups[key]

    def outcomes(self, groups: tuple[int, ...]) -> list[tuple[str, ...]]:
        return list(itertools.product(*(self.events[g].signals for g in groups)))

    # -- likelihood of each joint observation, given that the node is reached --------------
    def likelihood(self, n: model.Node) -> tuple[tuple[int, ...], dict, list]:
        """Return (groups, table, extended child tables) for node ``n``."""
        key = id(n)
        if key in self._memo:
            return self._memo[key]
        groups = self.groups(n)
        if not groups:
            out: Any = ((), {(): _ONE}, [])
            self._memo[key] = out
            return out
        kids = list(n.children)
        tabs = [self.likelihood(c) for c in kids]
        table: dict[tuple[str, ...], sympy.Expr] = {}
        if key in self.event_of:
            j = self.event_of[key]
            ev = self.events[j]
            rest = tuple(g for g in groups if g != j)
            ext = self._extend(n, kids, tabs, rest)
            probs = _probabilities(n)
            for y in self.outcomes(groups):
                yj = y[groups.index(j)]
                yr = tuple(y[groups.index(g)] for g in rest)
                table[y] = sympy.Add(
                    *(p * ev.chance(c.label, yj) * e[yr] for p, c, e in zip(probs, kids, ext))
                )
        elif isinstance(n, model.Chance):
            ext = self._extend(n, kids, tabs, groups)
            probs = _probabilities(n)
            for y in self.outcomes(groups):
                table[y] = sympy.Add(*(p * e[y] for p, e in zip(probs, ext)))
        else:
            ext = self._extend(n, kids, tabs, groups)
            for c, e in zip(kids[1:], ext[1:]):
                for y in ext[0]:
                    if not _same(e[y], ext[0][y], self.tolerance):
                        names = ", ".join(self.events[g].name for g in groups)
                        diff = e[y] - ext[0][y]
                        hint = ""
                        if diff.is_number and abs(float(diff)) < 1e-6:
                            hint = (
                                f" (they differ by only {float(diff):.3g}: if the probabilities are "
                                "rounded decimals, use float arithmetic or write them as fractions)"
                            )
                        raise ModelError(
                            f"the choice here changes the probabilities of {names} "
                            f"(branch {c.label!r} against {kids[0].label!r}); information about an "
                            f"event a decision influences is not defined{hint}",
                            node=n.path,
                        )
            table = dict(ext[0])
        out = (groups, table, ext)
        self._memo[key] = out
        return out

    def _extend(self, n: model.Node, kids: list, tabs: list, target: tuple[int, ...]) -> list[dict]:
        """Extend each child's table to the events in ``target``.

        An event missing under a child is taken to be independent of that child,
        with the distribution it has under the siblings where it occurs.
        """
        out = []
        for c, (g, tab, _ext) in zip(kids, tabs):
            if g == target:
                out.append(tab)
                continue
            missing = tuple(x for x in target if x not in g)
            marginal = self._marginal(n, kids, tabs, missing, c)
            ext = {}
            for y in self.outcomes(target):
                yg = tuple(y[target.index(x)] for x in g)
                ym = tuple(y[target.index(x)] for x in missing)
                ext[y] = tab[yg] * marginal[ym]
            out.append(ext)
        return out

    def _marginal(self, n: model.Node, kids: list, tabs: list, missing: tuple[int, ...], child: Any) -> dict:
        holders = [(c, g, tab) for c, (g, tab, _e) in zip(kids, tabs) if set(missing) <= set(g)]
        if holders:
            found: dict | None = None
            for _c, g, tab in holders:
                m: dict[tuple[str, ...], sympy.Expr] = {}
                for y, v in tab.items():
                    ym = tuple(y[g.index(x)] for x in missing)
                    m[ym] = m.get(ym, _ZERO) + v
                if found is None:
                    found = m
                elif not all(_same(found[k], m[k], self.tolerance) for k in found):
                    names = ", ".join(self.events[x].name for x in missing)
                    raise ModelError(
                        f"{names} does not occur under branch {child.label!r}, and its probabilities "
                        f"differ between the branches where it does; information about it is not defined",
                        node=n.path,
                    )
            assert found is not None
            return found
        # no sibling holds all of them: one event at a time
        result: dict[tuple[str, ...], sympy.Expr] = {(): _ONE}
        for x in missing:
            single = self._marginal(n, kids, tabs, (x,), child)
            result = {k + (s,): v * single[(s,)] for k, v in result.items() for s in self.events[x].signals}
        return result

    # -- conditioned copies ------------------------------------------------------------------
    def _at_point(self, expr: sympy.Expr) -> sympy.Expr | None:
        if self.point is None:
            return None
        return expr.xreplace(self.point)

    def conditioned(self, n: model.Node, y: Mapping[int, str], tag: str) -> model.Node:
        """Return a copy of the subtree at ``n`` given the joint observation ``y``."""
        groups, table, ext = self.likelihood(n)
        if not groups:
            return _copy(n, tag)
        key = id(n)
        kids = list(n.children)
        yg = tuple(y[g] for g in groups)
        total = table[yg]
        total_here = self._at_point(total)
        if key in self.event_of:
            j = self.event_of[key]
            ev = self.events[j]
            if ev.likelihood is None:  # perfect: the branch observed replaces the node
                child = n.branch(y[j])
                new = self.conditioned(child, y, tag)  # carries the child's own branch payoff
                new._branch_payoff = _add_payoffs(n.branch_payoff, new.branch_payoff)
                return new
            rest = tuple(g for g in groups if g != j)
            yr = tuple(y[g] for g in rest)
            probs = _probabilities(n)
            if total_here is not None and total_here == 0:
                weights = [c.probability for c in kids]
            else:
                weights = [p * ev.chance(c.label, y[j]) * e[yr] / total for p, c, e in zip(probs, kids, ext)]
            new_kids = [self.conditioned(c, y, tag) for c in kids]
            new = _assemble(model.Chance, _named(n.name, tag), new_kids, [c.label for c in kids], weights)
        elif isinstance(n, model.Chance):
            vals = [e[yg] for e in ext]
            if all(_same(v, vals[0], self.tolerance) for v in vals[1:]) or (
                total_here is not None and total_here == 0
            ):
                weights = [c.probability for c in kids]
            else:
                weights = [p * v / total for p, v in zip(_probabilities(n), vals)]
            new_kids = [self.conditioned(c, y, tag) for c in kids]
            new = _assemble(model.Chance, _named(n.name, tag), new_kids, [c.label for c in kids], weights)
        else:
            new_kids = [self.conditioned(c, y, tag) for c in kids]
            new = _assemble(
                model.Decision, _named(n.name, tag), new_kids, [c.label for c in kids], [None] * len(kids)
            )
        new._branch_payoff = n.branch_payoff
        return new

    def revealed(self, n: model.Node, name: str) -> model.Node:
        """Return the chance node over observations at revelation point ``n``, conditioned copies below."""
        groups, table, _ext = self.likelihood(n)
        kids, labels, probs = [], [], []
        for y in self.outcomes(groups):
            p = table[y]
            here = self._at_point(p)
            if here is not None and here == 0:
                continue
            label = " & ".join(y)
            kids.append(self.conditioned(n, dict(zip(groups, y)), label))
            kids[-1]._branch_payoff = None
            labels.append(label)
            probs.append(sympy.factor_terms(p) if not p.is_number else p)
        if len(kids) == 1:
            probs = [_ONE]
        new = _assemble(model.Chance, name, kids, labels, probs)
        new._branch_payoff = n.branch_payoff
        return new


def _revelation_points(tree: model.DecisionTree, events: Sequence[_Event]) -> list[model.Decision]:
    """Return the topmost decision node above each event node (in pre-order, without repeats)."""
    found: dict[int, model.Decision] = {}
    for ev in events:
        for n in ev.nodes:
            top = None
            for a in _ancestors(n):  # root first
                if isinstance(a, model.Decision):
                    top = a
                    break
            if top is not None:
                found.setdefault(id(top), top)
    order = {id(n): i for i, n in enumerate(tree.nodes())}
    return sorted(found.values(), key=lambda d: order[id(d)])


def _rebuild(tree: model.DecisionTree, replace: Mapping[int, Any]) -> model.Node:
    """Copy the tree, building the nodes in ``replace`` (id -> function of the node) anew."""
    below: dict[int, bool] = {}

    def has(n: model.Node) -> bool:
        if id(n) not in below:
            below[id(n)] = id(n) in replace or any(has(c) for c in n.children)
        return below[id(n)]

    def walk(n: model.Node) -> model.Node:
        if id(n) in replace:
            return replace[id(n)](n)
        if not has(n):
            return _copy(n, None)
        kids = [walk(c) for c in n.children]
        is_chance = isinstance(n, model.Chance)
        new = _assemble(
            type(n),
            n.name,
            kids,
            [c.label for c in n.children],
            [c.probability if is_chance else None for c in n.children],
        )
        new._branch_payoff = n.branch_payoff
        return new

    return walk(tree.root)


def _derived_tree(tree: model.DecisionTree, root: model.Node, suffix: str) -> model.DecisionTree:
    return model.DecisionTree(
        root,
        parameters=list(tree.parameters.values()),
        objective=tree.objective,
        name=f"{tree.name or 'tree'} ({suffix})",
        description=tree.description,
        utility=tree.utility,
        metadata=dict(tree.metadata),
    )


def _informed(
    tree: model.DecisionTree,
    events: Sequence[_Event],
    point: Mapping[str, Any] | None,
    label: str,
    *,
    tolerance: float = 0.0,
) -> model.DecisionTree:
    points = _revelation_points(tree, events)
    work = _Rearrangement(tree, events, point, tolerance)
    several = len(points) > 1
    replace = {}
    for d in points:
        present = ", ".join(work.events[g].name for g in work.groups(d))
        name = f"learn {present}" + (f" | {d.key}" if several else "")
        replace[id(d)] = lambda n, name=name: work.revealed(n, name)
    return _derived_tree(tree, _rebuild(tree, replace), f"{label} {', '.join(e.name for e in events)}")


def informed_tree(
    tree: model.DecisionTree, nodes: Any, *, values: Mapping[str, Any] | None = None
) -> model.DecisionTree:
    """Return the tree in which the outcome of ``nodes`` is known before the first decision it could inform.

    Parameters
    ----------
    tree : DecisionTree
        The original tree; it is not changed.
    nodes : str, Node, or sequence of them
        The chance nodes whose outcome is revealed.  A tuple inside the sequence
        groups nodes that are one event (same branch labels).
    values : mapping, optional
        A parameter point (exact values).  When given, observations impossible
        at that point are left out, and Bayes revisions that would divide by a
        zero probability keep the prior probabilities (those parts of the tree
        are then never reached).  Without it, probabilities stay expressions in
        every parameter.

    Returns
    -------
    DecisionTree
        A new tree with the same parameters and utility.  At each revelation
        point (the topmost decision above a named node) a chance node named
        ``learn <event>`` comes first; below each of its outcomes is a copy of
        the original subtree, conditioned on it, whose node names carry the
        outcome after ``" | "``.

    Raises
    ------
    ModelError
        If a node is not a chance node, grouped nodes differ in their labels or
        lie on one path, or a decision influences the probabilities of the event.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> informed = informed_tree(korea_talks(), "north_response")
    >>> informed.root.name, [c.label for c in informed.root.children]
    ('learn north_response', ['complies', 'flouts', 'allies defect'])
    >>> informed.node("us_choice | flouts").branch("talks").name
    'after_flouts | flouts'
    """
    events = resolve_events(tree, nodes)
    return _informed(
        tree, events, _exact_point(tree, values) if values is not None else None, "clairvoyance on"
    )


def controlled_tree(tree: model.DecisionTree, nodes: Any) -> model.DecisionTree:
    """Return the tree in which the decision maker chooses the outcome of each of ``nodes``.

    Every named chance node becomes a decision node with the same branches and
    payoffs (and no probabilities), in place.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> controlled_tree(texaco_pennzoil(), "texaco").node("texaco").kind
    'decision'
    """
    events = resolve_events(tree, nodes)

    def control(n: model.Node) -> model.Node:
        kids = [_copy(c, None) for c in n.children]
        new = _assemble(model.Decision, n.name, kids, [c.label for c in n.children], [None] * len(kids))
        new._branch_payoff = n.branch_payoff
        return new

    replace = {id(n): control for ev in events for n in ev.nodes}
    return _derived_tree(tree, _rebuild(tree, replace), f"control of {', '.join(e.name for e in events)}")


# ----------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, eq=False)
class VOIResult:
    """The value of information (or of control) on some chance nodes.

    Attributes
    ----------
    measure : {"evpi", "evsi", "control"}
        What was computed: perfect information, sample information, or control.
    nodes : tuple of str
        The events, as node names (grouped nodes joined by ``" = "``).
    method : {"float", "exact", "symbolic"}
        The arithmetic.
    value : number or sympy.Expr
        The value: the difference of expected values, or of certainty
        equivalents under a utility.  In symbolic arithmetic an expression in
        the parameters (with ``Max``/``Min``, i.e. piecewise).
    value_without, value_with : number or sympy.Expr
        Value of the original tree, and of the tree with the information (or
        control), before any cost.
    buying_price : number or None
        The most the decision maker would pay: equal to ``value`` when risk
        neutral or under an exponential utility; found numerically (a float)
        under other utilities; ``None`` in symbolic arithmetic for those.
    utility : Utility or None
        The utility used (``None``: risk neutral).
    tree : DecisionTree
        The rearranged tree.
    with_info, without_info : Evaluation
        Evaluations of the rearranged and the original tree.
    cost : number or None
        For a test, its cost.
    """

    measure: str
    nodes: tuple[str, ...]
    method: str
    value: Any
    value_without: Any
    value_with: Any
    buying_price: Any
    utility: Utility | None
    tree: model.DecisionTree = dataclasses.field(repr=False)
    with_info: Evaluation = dataclasses.field(repr=False)
    without_info: Evaluation = dataclasses.field(repr=False)
    cost: Any = None
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def exact(self) -> bool:
        """Whether the arithmetic was exact (exact or symbolic)."""
        return self.method != "float"

    @property
    def at_defaults(self) -> Any:
        """The value at the parameters' defaults (exact in exact and symbolic arithmetic)."""
        if self.method != "symbolic":
            return self.value
        return self.details["at_defaults"]

    @property
    def net_value(self) -> Any:
        """For a test: its value less its cost (``None`` without a cost)."""
        if self.cost is None:
            return None
        return self.buying_price - self.cost if self.buying_price is not None else None

    @property
    def piecewise(self) -> sympy.Expr:
        """The symbolic value with ``Max``/``Min`` written as a ``Piecewise`` expression."""
        if self.method != "symbolic":
            raise EvaluationError("a piecewise formula needs symbolic arithmetic (method='symbolic')")
        return sympy.piecewise_fold(self.value.rewrite(sympy.Piecewise))

    @property
    def formula_in_bounds(self) -> sympy.Expr:
        """The symbolic value, simplified where parameter bounds decide a ``Max``/``Min``.

        Valid for parameter values within their bounds; see :func:`simplify_in_bounds`.
        """
        if self.method != "symbolic":
            raise EvaluationError("a formula needs symbolic arithmetic (method='symbolic')")
        return self.details["formula_in_bounds"]

    @property
    def informed_policy(self) -> Any:
        """The choices made with the information: one row per observation and decision reached.

        At the parameter point evaluated (at the defaults in symbolic arithmetic).
        """
        import pandas as pd

        rows = []
        ev = self.with_info._base or self.with_info
        pol = ev.policy
        for node in self.tree.decision_nodes:
            if " | " not in (node.name or "") or node.key not in pol:
                continue
            base, _, obs = node.name.partition(" | ")
            if ev.shape == () and ev.reach_probability(node) == 0:
                continue
            rows.append({"observation": obs, "decision": base, "choice": pol[node.key]})
        return pd.DataFrame(rows, columns=["observation", "decision", "choice"])

    def to_frame(self) -> Any:
        """One row per quantity: value without and with information, the value, buying price."""
        import pandas as pd

        label = {"evpi": "EVPI", "evsi": "EVSI", "control": "value of control"}[self.measure]
        kind = "certainty equivalent" if self.utility is not None else "expected value"
        rows = [
            (f"{kind} without", self.value_without),
            (f"{kind} with {'control' if self.measure == 'control' else 'information'}", self.value_with),
            (label, self.value),
        ]
        if self.utility is not None or self.cost is not None:
            rows.append(("buying price", self.buying_price))
        if self.cost is not None:
            rows.append(("cost", self.cost))
            rows.append(("net value", self.net_value))
        frame = pd.DataFrame(rows, columns=["quantity", "value"]).set_index("quantity")
        frame.attrs["method"] = self.method
        return frame

    def summary(self) -> str:
        """Return a few lines for the terminal."""
        label = {"evpi": "EVPI", "evsi": "EVSI", "control": "value of control"}[self.measure]
        lines = [f"{label} on {', '.join(self.nodes)} ({self.method} arithmetic)"]
        for q, v in self.to_frame()["value"].items():
            approx = ""
            if self.method == "exact" and isinstance(v, sympy.Basic) and v.is_number and not v.is_Rational:
                approx = f"  (≈ {float(v):.10g})"
            lines.append(f"  {q}: {v}{approx}")
        if self.method == "symbolic":
            lines.append(f"  at the defaults: {self.at_defaults}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<VOIResult {self.measure} {self.method}: value={self.value!r}, nodes={self.nodes!r}>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p><b>{self.measure.upper()}</b> ({self.method})</p>" + self.to_frame().to_html()


# ----------------------------------------------------------------------------- computation
def _exact_point(tree: model.DecisionTree, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the parameter point as exact numbers; ``None`` if a value is an array or a symbol."""
    from .core.compile import parameter_point

    if values is not None:
        for v in values.values():
            if np.ndim(v) != 0 or (isinstance(v, sympy.Basic) and not v.is_number):
                return None
    return parameter_point(tree, values, method="exact")


def _sign(tree: model.DecisionTree) -> int:
    return 1 if tree.objective == "max" else -1


def _difference(a: Any, b: Any, method: str) -> Any:
    d = a - b
    if method == "symbolic":
        return d
    if method == "exact":
        return sympy.nsimplify(d) if isinstance(d, sympy.Float) else d
    return d


class _Shifted(Utility):
    """``u(x - b)``, with outcomes pushed out of the utility's domain counted as ruinous."""

    def forward(self, outcomes: Any, method: str, point: Mapping[str, Any]) -> Any:
        out = super().forward(outcomes, method, point)
        out[~np.isfinite(out)] = -1e300
        return out


def buying_price(
    with_info: model.DecisionTree,
    without: Evaluation,
    values: Mapping[str, Any] | None,
    utility: Utility,
    *,
    sign: int = 1,
) -> float:
    """Return the price ``b`` at which ``E[u(x - b)]`` with the information equals the EU without.

    Found by bracketing and Brent's method, in float arithmetic.
    """
    from scipy.optimize import brentq

    target = float(without.expected_utility)
    x = symbol("x")

    def gap(b: float) -> float:
        shifted = _Shifted(utility.expr.xreplace({x: x - b}), None, {"expression": "shifted"})
        r = evaluate(with_info, values, method="float", utility=shifted)
        return float(r.expected_utility) - target

    g0 = gap(0.0)
    if not g0 > 0:
        return 0.0
    # Paying max(outcome with the information) - min(outcome reached without it) leaves at most
    # u(min reached) <= the expected utility without: the price lies below.
    informed = evaluate(with_info, values, method="float", utility=None).to_frame()
    top = float(informed.loc[informed["kind"] == "terminal", "value"].max())
    bottom = float(without.risk_profile["outcome"].astype(float).min())
    hi = max(top - bottom, 1e-9)

    def safe(b: float) -> float:
        g = gap(b)
        return g if g == g else -1.0

    if safe(hi) > 0:  # pragma: no cover - guarded by the bound above
        raise EvaluationError("could not bracket the buying price of the information")
    return float(brentq(safe, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _delta(utility: Utility | None) -> bool:
    """Whether certainty equivalents shift with sure amounts (linear or exponential utility)."""
    return utility is None or utility.has_delta_property


def compare(
    measure: str,
    names: tuple[str, ...],
    tree: model.DecisionTree,
    changed: model.DecisionTree,
    values: Mapping[str, Any] | None,
    *,
    method: str,
    utility: Any,
    cost: Any = None,
) -> VOIResult:
    """Evaluate ``tree`` and ``changed`` and return the :class:`VOIResult` of the difference."""
    if method not in ("float", "exact", "symbolic"):
        raise ValueError(f"method must be 'float', 'exact' or 'symbolic', got {method!r}")
    util = resolve_utility(tree.utility if utility == "tree" else utility, tree.parameters)
    if util is not None and util.is_linear:
        util = None
    # Terminals carrying their own utilities (u-values) are used when the tree's utility is asked for.
    u_values = utility == "tree" and tree.has_terminal_utilities
    base = evaluate(tree, values, method=method, utility="tree" if u_values else util)
    informed = evaluate(changed, values, method=method, utility="tree" if u_values else util)
    if u_values:
        util = base.utility
    sign = _sign(tree)
    value = _difference(informed.value, base.value, method)
    if sign < 0:
        value = -value
    details: dict[str, Any] = {}
    if method == "symbolic":
        exact_values = {
            k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number
        }
        at = (
            evaluate(changed, exact_values, method="exact", utility=util).value
            - evaluate(tree, exact_values, method="exact", utility=util).value
        )
        details["at_defaults"] = sign * at
        details["formula_in_bounds"] = simplify_in_bounds(value, tree)
    if _delta(util):
        price = value
    elif method == "symbolic" or u_values:  # u-values do not move with a price paid
        price = None
    else:
        price = buying_price(changed, base, values, util, sign=sign)
    if cost is not None and method != "float":
        cost = as_expr(cost).xreplace(
            {symbol(k): v for k, v in base.parameters.items()} if method == "exact" else {}
        )
    elif cost is not None:
        cost = float(
            as_expr(cost).xreplace({symbol(k): sympy.Float(float(v)) for k, v in base.parameters.items()})
        )
    return VOIResult(
        measure=measure,
        nodes=names,
        method=method,
        value=value,
        value_without=base.value,
        value_with=informed.value,
        buying_price=price,
        utility=util,
        tree=changed,
        with_info=informed,
        without_info=base,
        cost=cost,
        details=details,
    )


def evpi(
    tree: model.DecisionTree,
    nodes: Any,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    utility: Any = "tree",
) -> VOIResult:
    """Return the expected value of perfect information (clairvoyance) on chance nodes.

    Parameters
    ----------
    tree : DecisionTree
        The tree.
    nodes : str, Node, or sequence of them
        The chance nodes whose outcome is learnt before the first decision it
        could inform.  A tuple inside the sequence groups nodes that are one event.
    values : mapping, optional
        Parameter values overriding the defaults (arrays broadcast in float arithmetic).
    method : {"float", "exact", "symbolic"}, default "float"
        The arithmetic.  Symbolic gives the EVPI as an expression in the
        parameters, with ``Max``/``Min`` (see :attr:`VOIResult.piecewise`).
    utility : "tree", None, mapping or Utility, default "tree"
        The utility; under a non-linear one the value is the difference of
        certainty equivalents, and ``buying_price`` the indifference price.

    Returns
    -------
    VOIResult

    Raises
    ------
    ModelError
        If the nodes cannot be rearranged (see :func:`informed_tree`).

    Examples
    --------
    Learning the North's response before deciding to talk is worth 8 points:

    >>> from evtree.library import korea_talks
    >>> evpi(korea_talks(), "north_response").value
    8.0

    Learning how Texaco reacts changes nothing (Clemen's problem 12.12a):

    >>> from evtree.library import texaco_pennzoil
    >>> evpi(texaco_pennzoil(), "texaco", method="exact").value
    0
    """
    events = resolve_events(tree, nodes)
    point = _exact_point(tree, values) if method != "symbolic" else None
    tolerance = PROBABILITY_TOLERANCE if method == "float" else 0.0
    changed = _informed(tree, events, point, "clairvoyance on", tolerance=tolerance)
    return compare(
        "evpi", tuple(e.name for e in events), tree, changed, values, method=method, utility=utility
    )


def value_of_control(
    tree: model.DecisionTree,
    nodes: Any,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    utility: Any = "tree",
) -> VOIResult:
    """Return the value of choosing the outcome of chance nodes (DPL's value of control).

    Each named chance node becomes a decision at its place in the tree.

    Examples
    --------
    If Pennzoil could make Texaco accept its $5B counteroffer (Clemen's
    "wizard"), it would gain 5 − 4.6348:

    >>> from evtree.library import texaco_pennzoil
    >>> value_of_control(texaco_pennzoil(), "texaco", method="exact").value
    913/2500
    """
    events = resolve_events(tree, nodes)
    changed = controlled_tree(tree, nodes)
    return compare(
        "control", tuple(e.name for e in events), tree, changed, values, method=method, utility=utility
    )


# ----------------------------------------------------------------------------- formulas
def simplify_in_bounds(expr: Any, tree: model.DecisionTree, *, max_vertices: int = 4096) -> Any:
    """Drop the arguments of ``Max``/``Min`` that the parameter bounds rule out.

    An argument of ``Max`` is dropped when another argument is at least as
    large for every parameter value within the bounds.  This is decided exactly
    where the difference of the two is multilinear in the bounded parameters
    (a multilinear function takes its extremes at the corners of a box), and
    left alone otherwise.  The result equals ``expr`` wherever the parameters
    lie within their bounds.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> from evtree.expressions import parse_expression
    >>> simplify_in_bounds(parse_expression("max(0, v_deal) + max(g_flout, v_demands)"), korea_talks())
    g_flout + v_deal
    """
    if not isinstance(expr, sympy.Basic) or expr.is_number:
        return expr
    from .core.budget import MAX_TERMS

    if not expr.has(sympy.Max, sympy.Min):
        return expr
    for count, _node in enumerate(sympy.preorder_traversal(expr)):
        if count > MAX_TERMS:  # too large to simplify within evtree.core.budget: left as it is
            return expr
    bounds = {}
    for p in tree.parameters.values():
        low, high = p.bounds
        if low is not None and high is not None:
            bounds[p.symbol] = (low, high)

    def dominates(a: sympy.Expr, b: sympy.Expr) -> bool:
        """Return whether a >= b everywhere in the box."""
        diff = sympy.expand(a - b)
        if diff.is_number:
            return bool(diff >= 0)
        syms = diff.free_symbols
        if not syms <= set(bounds) or len(syms) > math.log2(max_vertices):
            return False
        try:
            poly = sympy.Poly(diff, *sorted(syms, key=str))
        except sympy.PolynomialError:
            return False
        if any(d > 1 for monom in poly.monoms() for d in monom):
            return False
        names = sorted(syms, key=str)
        for corner in itertools.product(*(bounds[s] for s in names)):
            if diff.xreplace(dict(zip(names, corner))) < 0:
                return False
        return True

    memo: dict[sympy.Basic, sympy.Basic] = {}

    def walk(e: sympy.Basic) -> sympy.Basic:
        if not e.args or not e.has(sympy.Max, sympy.Min):
            return e
        if e in memo:
            return memo[e]
        memo[e] = out = _walked(e)
        return out

    def _walked(e: sympy.Basic) -> sympy.Basic:
        args = [walk(a) for a in e.args]
        if isinstance(e, (sympy.Max, sympy.Min)):
            keep: list[sympy.Expr] = []
            for i, a in enumerate(args):
                beaten = False
                for k, b in enumerate(args):
                    if k == i:
                        continue
                    better = dominates(b, a) if isinstance(e, sympy.Max) else dominates(a, b)
                    # of two equal arguments keep the first
                    if better and (
                        k < i or not (dominates(a, b) if isinstance(e, sympy.Max) else dominates(b, a))
                    ):
                        beaten = True
                        break
                if not beaten:
                    keep.append(a)
            return type(e)(*keep) if len(keep) > 1 else keep[0]
        return e.func(*args)

    return walk(expr)


def _event_names(events: Iterable[_Event]) -> tuple[str, ...]:
    return tuple(e.name for e in events)
