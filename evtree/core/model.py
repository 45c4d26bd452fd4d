"""The decision-tree model: nodes, branches, parameters and the tree itself.

    Node          base class of the three node kinds, built on :class:`anytree.NodeMixin`
    Decision      a choice among branches, made by the decision maker
    Chance        an uncertain event; each branch has a probability
    Terminal      an end point with a payoff
    Branch        how a child hangs from its parent: label, probability, payoff
    Parameter     a named quantity with a default value, bounds and a description
    DecisionTree  a root node, its parameters, an objective, and optional claims and utility
    REST          the probability of a chance branch that takes "the rest" of its siblings'

A branch's payoff accumulates along the path, as in SilverDecisions and TreeAge:
the outcome at a terminal is the sum of the payoffs of the branches leading to it
plus the terminal's own payoff.  Probabilities and payoffs may be numbers, exact
fractions, expression text over the parameters (parsed by
:func:`evtree.expressions.parse_expression`) or sympy expressions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import keyword
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import anytree
import sympy

from .components import Criterion, Payoffs, Player, check_payoffs, read_components
from .errors import ExpressionError, ModelError, UnknownNameError, ValidationError
from .expressions import FUNCTIONS, as_expr, exact_number, parse_expression
from .objectives import Objective, as_objective
from .presenters import presenter
from .rules import RULES, expected_value_rule

__all__ = [
    "REST",
    "Branch",
    "building",
    "Chance",
    "Decision",
    "DecisionTree",
    "Node",
    "Parameter",
    "Terminal",
    "Use",
    "resolve_formulas",
]

#: Probability of the one chance branch that takes the rest of its siblings' probability.
REST = "rest"

_RESERVED = {REST, "pi", "E", *FUNCTIONS}

# Every structural or field change bumps this counter; compiled forms of trees
# remember the value they were built at and are rebuilt when it has moved.
_VERSION = itertools.count()
_version = [next(_VERSION)]


def _touch() -> None:
    _version[0] = next(_VERSION)


@contextlib.contextmanager
def building() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large tree is built.

    Nodes refer to their parents and children, so every node is a container
    the collector tracks; while millions are created it re-scans all those
    already built many times over, which can more than double build time.
    Inside this block it does not run; it is switched back on afterwards (if
    it was on before).  :func:`evtree.read_tree` uses it for large files.

    Examples
    --------
    >>> with building():
    ...     leaves = [Terminal(i) for i in range(3)]
    >>> import gc; gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_FLOAT_MAX = 1.7976931348623157e308


def _check_quantity(value: Any, field: str, name: str | None, *, allow_rest: bool = False) -> Any:
    """Check a probability or payoff as given, parsing text; return what is stored."""
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # finite: not NaN, not infinite
            return value
    elif value is None:
        return value
    elif kind is int:
        if value.bit_length() > 1024:  # |value| >= 2**1024: beyond every float (docs/format.md, Limits)
            raise ModelError(
                f"the number, about 10**{int(value.bit_length() * 0.30103)}, is too large "
                f"(beyond the float range, about {_FLOAT_MAX:.3g})",
                node=name,
                field=field,
            )
        return value
    elif kind is str:  # the common case in files: checked first, parsed once (parse_expression caches)
        if allow_rest and value.strip() == REST:
            return REST
        try:
            parse_expression(value)
        except ExpressionError as err:
            raise err.located(node=name, field=field) from None
        return value
    if allow_rest and isinstance(value, str) and value.strip() == REST:
        return REST
    if isinstance(value, bool):
        raise ModelError(f"expected a number or an expression, got {value!r}", node=name, field=field)
    if isinstance(value, numbers.Number):
        if isinstance(value, complex) or (isinstance(value, float) and not value == value):
            raise ModelError(f"{value!r} is not a real number", node=name, field=field)
        if isinstance(value, float) and abs(value) == float("inf"):
            raise ModelError(f"{value!r} is not a finite number", node=name, field=field)
        return value
    if isinstance(value, str):
        try:
            parse_expression(value)
        except ExpressionError as err:
            raise err.located(node=name, field=field) from None
        return value
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise ModelError(f"{value!r} is not an expression", node=name, field=field)
        return value
    if isinstance(value, Mapping):  # a payoff per criterion or player (evtree.core.components)
        if field != "payoff" and not field.startswith("terminal"):
            raise ModelError(f"a {field} cannot be given per component", node=name, field=field)
        return check_payoffs(value, field, name, _check_quantity)
    raise ModelError(
        f"expected a number or an expression, got {type(value).__name__}", node=name, field=field
    )


class Node(anytree.NodeMixin):
    """Base class of :class:`Decision`, :class:`Chance` and :class:`Terminal`.

    The branch that leads into a node is described on the node itself: its
    ``label``, its ``probability`` (for children of chance nodes) and its
    ``branch_payoff`` (added to every outcome below it).
    """

    kind: ClassVar[str] = "node"
    separator = "/"
    _NodeMixin__parent: Node | None = None  # anytree's link, read directly by the builders
    _payoff: Any = None  # terminals set their own
    _dup: bool = False  # set by compile on nodes whose name another node of the tree also has
    _use: str | None = None  # set on the top node of a copy of a named subtree (see DecisionTree)

    def __init__(self, name: str | None = None) -> None:
        if name == "":
            name = None  # an empty name is no name
        if name is not None and (type(name) is not str or not name.strip()):
            raise ModelError(f"a node name must be non-empty text, got {name!r}", field="name")
        self._name = name
        self._label: str | None = None
        self._probability: Any = None
        self._branch_payoff: Any = None

    # -- fields ---------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """Name of the node, unique in its tree (optional)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ModelError(f"a node name must be non-empty text, got {value!r}", node=self.path)
        self._name = value
        _touch()

    @property
    def label(self) -> str | None:
        """Label of the branch leading into this node (``None`` at the root)."""
        return self._label

    @label.setter
    def label(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            value = str(value)
        self._label = value
        _touch()

    @property
    def probability(self) -> Any:
        """Probability of the branch into this node, as given (number, text, sympy or REST)."""
        return self._probability

    @probability.setter
    def probability(self, value: Any) -> None:
        self._probability = _check_quantity(value, "probability", self.path, allow_rest=True)
        _touch()

    @property
    def branch_payoff(self) -> Any:
        """Payoff of the branch into this node, as given; ``None`` means 0."""
        return self._branch_payoff

    @branch_payoff.setter
    def branch_payoff(self, value: Any) -> None:
        self._branch_payoff = _check_quantity(value, "payoff", self.path)
        _touch()

    # -- structure ------------------------------------------------------------------------
    @property
    def use(self) -> str | None:
        """The named subtree this node is a copy of (``None`` unless it replaced a :class:`Use`)."""
        return self._use

    @property
    def reference(self) -> str | None:
        """The named subtree this node is a copy of, or ``None``: the same as :attr:`use`.

        Set on the top node of each copy only (its descendants are ordinary
        nodes of the copy); a drawing may show such a node collapsed, as a
        reference to ``tree.subtrees[node.reference]``.
        """
        return self._use

    @property
    def branches(self) -> tuple[Node, ...]:
        """The children of this node, in branch order."""
        return self.children

    @property
    def ancestors(self) -> tuple[Node, ...]:
        """The nodes above this one, from the root down (anytree's meaning)."""
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return tuple(reversed(out))

    anchestors = ancestors

    @property
    def path(self) -> str:
        r"""Where the node is: the root's name, then branch labels, joined by ``/``.

        A ``/`` or ``\`` inside a label (or the root's name) is escaped with a
        backslash (``a\/b``), so every path is unambiguous and
        :meth:`DecisionTree.node` finds the node again from it (see
        ``docs/format.md``, "Paths").  Unlike anytree's ``path`` (a tuple of
        nodes) this is text, used in every message; :attr:`ancestors` gives the
        nodes above.
        """
        parts = []
        node: Node | None = self
        while node is not None:
            if node.parent is None:
                parts.append(escape_label(node._name or "root"))
            else:
                parts.append(escape_label(node._label) if node._label is not None else "?")
            node = node.parent
        return self.separator.join(reversed(parts))

    @property
    def key(self) -> str:
        """The node's name, or its path when it has none or its name is not unique in the tree."""
        return self._name if self._name is not None and not self._dup else self.path

    @property
    def descendants(self) -> tuple[Node, ...]:
        """Every node below this one, in pre-order (iterative: any depth)."""
        out = list(iter_preorder(self))
        return tuple(out[1:])

    @property
    def leaves(self) -> tuple[Node, ...]:
        """The terminal nodes (nodes without branches) below this one, in pre-order; any depth."""
        return tuple(n for n in iter_preorder(self) if not getattr(n, "_NodeMixin__children", None))

    @property
    def height(self) -> int:
        """Number of levels below this node (0 for a terminal); iterative, any depth."""
        return tree_height(self)

    def branch(self, label: str) -> Node:
        """Return the child reached by the branch labelled ``label``.

        Raises
        ------
        UnknownNameError
            If no branch has that label.
        """
        for child in self.children:
            if child._label == label:
                return child
        known = ", ".join(repr(c._label) for c in self.children)
        raise UnknownNameError(f"no branch labelled {label!r} (branches: {known})", node=self.path)

    def _attach_branches(self, branches: Iterable[Branch | Node]) -> None:
        # The common case (fresh nodes on fresh branches, numbers or text as quantities) runs
        # with as few Python operations per branch as possible: trees of millions of nodes are
        # built through here.  Every check of the general case still applies.
        children: list[Node] = []
        append = children.append
        branch_type = Branch
        for item in branches:
            if type(item) is branch_type:
                label, child, probability, payoff = item
                if not isinstance(child, Node):
                    if any(c is child for c in children):
                        raise ModelError("the same node object is used on two branches", node=self._name)
                    raise ModelError(
                        f"branch {label!r} leads to {type(child).__name__}, not a node", node=self._name
                    )
                old = child._label
                if label is not None and type(label) is not str:
                    label = str(label)
                if old is not None and old != label:
                    if any(c is child for c in children):
                        raise ModelError("the same node object is used on two branches", node=self._name)
                    raise ModelError(
                        f"branch {item.label!r}: its node already has a label ({old!r}), so it is "
                        f"used elsewhere; {_REUSE_HINT}",
                        node=self._name,
                    )
                child._label = label
                if probability is not None:
                    if type(probability) is float and probability - probability == 0.0:
                        child._probability = probability
                    else:
                        child._probability = _check_quantity(
                            probability, "probability", f"{self._name}/{item.label}", allow_rest=True
                        )
                if payoff is not None:
                    child._branch_payoff = _check_quantity(payoff, "payoff", f"{self._name}/{item.label}")
            elif isinstance(item, Node):
                child = item
            else:
                raise ModelError(f"expected a Branch or a node, got {type(item).__name__}", node=self._name)
            if child._NodeMixin__parent is not None or child is self:
                if any(c is child for c in children):
                    raise ModelError("the same node object is used on two branches", node=self._name)
                raise ModelError(
                    f"node {child.key!r} already belongs to a tree; build a new node or detach it "
                    f"({_REUSE_HINT})",
                    node=self._name,
                )
            append(child)
        if len(children) > 1 and len(set(map(id, children))) != len(children):
            raise ModelError("the same node object is used on two branches", node=self._name)
        if self._NodeMixin__parent is not None:
            top = self.root
            if any(c is top for c in children):
                raise ModelError("a node cannot hang below itself", node=self.path)
        # Fresh, parentless children under a fresh parent cannot form a loop, so
        # they are linked directly (anytree's per-child attach is the slow part of
        # building large trees).  Later edits go through anytree's checked setters.
        for child in children:
            child._NodeMixin__parent = self
        existing = getattr(self, "_NodeMixin__children", None)
        if type(existing) is list:  # appended in place: add() in a loop stays linear
            existing.extend(children)
        else:
            self._NodeMixin__children = children
        _touch()

    def add(self, label: str, node: Node, *, probability: Any = None, payoff: Any = None) -> Node:
        """Append a branch leading to ``node`` and return ``node``."""
        self._attach_branches([Branch(label, node, probability=probability, payoff=payoff)])
        return node

    def _pre_attach(self, parent: Any) -> None:
        if not isinstance(parent, (Decision, Chance)):
            raise ModelError(
                f"a node can only hang under a decision or chance node, not {type(parent).__name__}",
                node=self.key,
            )

    def _post_attach(self, parent: Any) -> None:
        _touch()

    def _post_detach(self, parent: Any) -> None:
        _touch()

    def _fields_equal(self, other: Node) -> bool:
        return (
            type(self) is type(other)
            and self._name == other._name
            and self._label == other._label
            and _same_quantity(self._probability, other._probability)
            and _same_quantity(self._branch_payoff, other._branch_payoff)
            and self._use == other._use
            and getattr(self, "subtree", None) == getattr(other, "subtree", None)
        )

    def __repr__(self) -> str:
        args = [repr(self._name)] if self._name is not None else []
        if self._label is not None:
            args.append(f"label={self._label!r}")
        if self._probability is not None:
            args.append(f"probability={self._probability!r}")
        if self._branch_payoff is not None:
            args.append(f"payoff={self._branch_payoff!r}")
        return f"{type(self).__name__}({', '.join(args)})"


def escape_label(text: str) -> str:
    r"""Return a label (or root name) as written in a path: ``\`` and ``/`` escaped with ``\``.

    Examples
    --------
    >>> escape_label("a/b"), escape_label("plain")
    ('a\\/b', 'plain')
    """
    if "/" not in text and "\\" not in text:
        return text
    return text.replace("\\", "\\\\").replace("/", "\\/")


def split_path(path: str) -> list[str]:
    r"""Split a path written by :attr:`Node.path` into the root's name and the labels, unescaped.

    Examples
    --------
    >>> split_path("court/a\\/b/yes")
    ['court', 'a/b', 'yes']
    """
    if "\\" not in path:
        return path.split(Node.separator)
    parts: list[str] = []
    current: list[str] = []
    chars = iter(path)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, "\\"))
        elif ch == Node.separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def iter_preorder(top: Node) -> Iterator[Node]:
    """Yield ``top`` and every node below it in pre-order, with an explicit stack (any depth).

    anytree's iterators recurse once per level and fail near Python's recursion
    limit (about 1,000 levels); this one does not.
    """
    stack = [top]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        yield node
        kids = getattr(node, "_NodeMixin__children", None)
        if kids:
            extend(reversed(kids))


def tree_height(top: Node) -> int:
    """Return the number of levels below ``top`` (0 for a node without branches), iteratively."""
    height = 0
    level = [top]
    while True:
        nxt = [k for n in level for k in getattr(n, "_NodeMixin__children", ())]
        if not nxt:
            return height
        height += 1
        level = nxt


_REUSE_HINT = (
    "to use one subtree in several places, define it once in DecisionTree(subtrees={NAME: node}) "
    "and put Use(NAME) on each branch"
)


class Use(Node):
    """A reference to a named subtree, put on a branch in place of a node (TreeAge's clones).

    ``DecisionTree(root, subtrees={"court": court_node})`` replaces every
    ``Use("court")`` by a copy of ``court_node`` (the branch's label,
    probability and payoff stay the branch's); the copies remember the
    reference, so that saving the tree writes ``use: court`` again.

    Examples
    --------
    >>> court = Chance("court", [Branch("win", Terminal(10), probability="1/2"),
    ...                          Branch("lose", Terminal(0), probability="rest")])
    >>> tree = DecisionTree(Decision("d", [Branch("sue", Use("court")), Branch("settle", Terminal(4))]),
    ...                     subtrees={"court": court})
    >>> tree.root.branch("sue").kind, tree.root.branch("sue").use
    ('chance', 'court')
    """

    kind = "use"
    _NodeMixin__children = ()

    def __init__(self, subtree: str) -> None:
        super().__init__(None)
        if type(subtree) is not str or not subtree.strip():
            raise ModelError(f"Use needs a subtree name, got {subtree!r}", field="use")
        self.subtree = subtree
        _USES_PENDING[0] += 1

    def __repr__(self) -> str:
        return f"Use({self.subtree!r})"


#: How many Use nodes were created and not yet replaced by a copy (while none are, a tree
#: without subtrees has no reference to look for, and building it skips the walk).
_USES_PENDING = [0]


class Branch(NamedTuple):
    """A branch: its label, the node it leads to, and its probability and payoff.

    Examples
    --------
    >>> Branch("comply", Terminal(10), probability="p_comply")  # doctest: +ELLIPSIS
    Branch(label='comply', node=Terminal(payoff=10), probability='p_comply', payoff=None)
    """

    label: str
    node: Node
    probability: Any = None
    payoff: Any = None


class Decision(Node):
    """A decision node: the decision maker picks the best branch.

    Parameters
    ----------
    name : str
        The decision's name; policies map it to the chosen branch label.
    branches : sequence of Branch or Node
        The options.

    Examples
    --------
    >>> d = Decision("offer", [Branch("accept", Terminal(2)), Branch("refuse", Terminal(0))])
    >>> [c.label for c in d.branches]
    ['accept', 'refuse']
    """

    kind = "decision"
    #: In a game: the player who moves here, and the information set shared with nodes
    #: this player cannot tell apart (see :mod:`evtree.games`); ``None`` otherwise.
    _player: str | None = None
    _information_set: str | None = None

    def __init__(
        self,
        name: str | None = None,
        branches: Sequence[Branch | Node] = (),
        *,
        player: str | None = None,
        information_set: str | None = None,
    ) -> None:
        super().__init__(name)
        self._attach_branches(branches)
        if player is not None:
            self.player = player
        if information_set is not None:
            self.information_set = information_set

    @property
    def player(self) -> str | None:
        """In a game tree, the name of the player who moves at this node."""
        return self._player

    @player.setter
    def player(self, value: str | None) -> None:
        if value is not None and (type(value) is not str or not value.strip()):
            raise ModelError(f"a player must be a name, got {value!r}", node=self.key, field="player")
        self._player = value
        _touch()

    @property
    def information_set(self) -> str | None:
        """In a game tree, the information set: decision nodes the player cannot tell apart."""
        return self._information_set

    @information_set.setter
    def information_set(self, value: str | None) -> None:
        if value is not None and (type(value) is not str or not value.strip()):
            raise ModelError(
                f"an information set must be a name, got {value!r}", node=self.key, field="information_set"
            )
        self._information_set = value
        _touch()

    def _fields_equal(self, other: Node) -> bool:
        return (
            super()._fields_equal(other)
            and self._player == getattr(other, "_player", None)
            and self._information_set == getattr(other, "_information_set", None)
        )

    def __repr__(self) -> str:
        text = super().__repr__()
        fields = (("player", self._player), ("information_set", self._information_set))
        extra = [f"{k}={v!r}" for k, v in fields if v]
        if not extra:
            return text
        inner = text[len("Decision(") : -1]
        return f"Decision({', '.join([inner, *extra] if inner else extra)})"


class Chance(Node):
    """A chance node: nature picks a branch with the branch's probability.

    Parameters
    ----------
    name : str
        The event's name.
    branches : sequence of Branch or Node
        The outcomes, each with a probability; one may be :data:`REST`.
    event : str, optional
        The uncertainty this node is a copy of.  Chance nodes with the same
        ``event`` are one uncertainty met in several places (the disease in
        every branch of a test-or-treat tree): they must have the same branch
        labels, and value of information, Dirichlet draws and flipping treat
        them as one.  Their probabilities may differ (posteriors).
    """

    kind = "chance"
    _event: str | None = None

    def __init__(
        self, name: str | None = None, branches: Sequence[Branch | Node] = (), *, event: str | None = None
    ) -> None:
        super().__init__(name)
        self._attach_branches(branches)
        if event is not None:
            self.event = event

    @property
    def event(self) -> str | None:
        """Name of the uncertainty this node is a copy of (``None``: its own)."""
        return self._event

    @event.setter
    def event(self, value: str | None) -> None:
        if value is not None and (type(value) is not str or not value.strip()):
            raise ModelError(f"an event name must be non-empty text, got {value!r}", field="event")
        self._event = value
        if value is not None:
            _EVENTS_USED[0] = True
        _touch()

    def _fields_equal(self, other: Node) -> bool:
        return super()._fields_equal(other) and self._event == getattr(other, "_event", None)

    def __repr__(self) -> str:
        text = super().__repr__()
        return text if self._event is None else f"{text[:-1]}, event={self._event!r})"


#: Whether any terminal was ever given a utility (lets evaluation skip looking otherwise).
_TERMINAL_UTILITIES = [False]

#: Whether any chance node was ever given an event (lets compile skip the check otherwise).
_EVENTS_USED = [False]


class Terminal(Node):
    """A terminal node with a payoff.

    Parameters
    ----------
    payoff : number, str or sympy.Expr
        The terminal's own payoff, added to the payoffs of the branches above it.
    name : str, optional
        A name for the outcome.
    """

    kind = "terminal"
    _NodeMixin__children = ()  # terminals never have children; read fast by compile
    _utility: Any = None

    def __init__(self, payoff: Any = None, *, name: str | None = None, utility: Any = None) -> None:
        if name is None:  # the common case of large trees, without a call
            self._name = self._label = self._probability = self._branch_payoff = None
        else:
            super().__init__(name)
        if type(payoff) is float and payoff - payoff == 0.0:
            self._payoff = payoff
        else:
            self._payoff = _check_quantity(payoff, "payoff", name)
        if utility is not None:
            self.utility = utility

    @property
    def utility(self) -> Any:
        """The decision maker's utility for this outcome (Howard's u-value), as given; ``None`` if not given.

        When a tree's terminals carry utilities, decisions maximise expected
        utility over them instead of applying a utility function to payoffs.
        """
        return self._utility

    @utility.setter
    def utility(self, value: Any) -> None:
        self._utility = _check_quantity(value, "utility", self._name)
        if value is not None:
            _TERMINAL_UTILITIES[0] = True
        _touch()

    @property
    def payoff(self) -> Any:
        """The terminal's own payoff, as given."""
        return self._payoff

    @payoff.setter
    def payoff(self, value: Any) -> None:
        self._payoff = _check_quantity(value, "payoff", self.path)
        _touch()

    def _pre_attach_children(self, children: Any) -> None:
        raise ModelError("a terminal node cannot have branches", node=self.path)

    def _fields_equal(self, other: Node) -> bool:
        return (
            super()._fields_equal(other)
            and _same_quantity(self._payoff, other._payoff)
            and _same_quantity(self._utility, getattr(other, "_utility", None))
        )

    def __repr__(self) -> str:
        text = super().__repr__()
        inner = text[len("Terminal(") : -1]
        return f"Terminal(payoff={self._payoff!r}{', ' + inner if inner else ''})"


def _same_quantity(a: Any, b: Any) -> bool:
    if type(a) is Payoffs or type(b) is Payoffs:
        return type(a) is Payoffs and a.same_as(b, _same_quantity)
    if a is None or b is None or a == REST or b == REST:
        return a == b
    if type(a) is type(b) and not isinstance(a, sympy.Basic) and a == b:
        return True
    try:
        return bool(sympy.simplify(as_expr(a) - as_expr(b)) == 0)
    except (TypeError, ValueError):
        return False


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A named quantity of a tree.

    Parameters
    ----------
    name : str
        An identifier; expressions refer to the parameter by it.
    value : number or str
        The default (base-case) value; kept exact, so ``0.1`` means ``1/10``.
    low, high : number or str, optional
        Bounds of the range the parameter may take, used by sensitivity
        analysis and by claims checked over the parameter space.
    description : str
        What the parameter means and where its value comes from.
    distribution : mapping, optional
        A probability distribution for probabilistic sensitivity analysis.

    Examples
    --------
    >>> p = Parameter("p_flout", 0.3, low=0, high=1, description="North flouts talks")
    >>> p.exact, p.bounds
    (3/10, (0, 1))
    """

    name: str
    value: Any
    low: Any = None
    high: Any = None
    description: str = ""
    distribution: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier() or keyword.iskeyword(self.name):
            raise ModelError(f"parameter name {self.name!r} is not an identifier", field="parameters")
        if self.name.startswith("_") or self.name in _RESERVED:
            raise ModelError(f"parameter name {self.name!r} is reserved", field="parameters")
        where = f"parameters.{self.name}"
        formula = _formula_of(self.value, where)
        try:
            exact = formula if formula is not None else exact_number(self.value)
            low = None if self.low is None else exact_number(self.low)
            high = None if self.high is None else exact_number(self.high)
        except (TypeError, ValueError) as err:
            raise ModelError(str(err), field=where) from None
        if formula is None and not exact.is_real:
            raise ModelError(f"value {self.value!r} is not a real number", field=where)
        if low is not None and high is not None and low > high:
            raise ModelError(f"low bound {self.low} is above high bound {self.high}", field=where)
        if formula is None and low is not None and exact < low:
            raise ModelError(f"value {self.value} is below the low bound {self.low}", field=where)
        if formula is None and high is not None and exact > high:
            raise ModelError(f"value {self.value} is above the high bound {self.high}", field=where)
        object.__setattr__(self, "_formula", formula)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_low", low)
        object.__setattr__(self, "_high", high)

    @property
    def exact(self) -> sympy.Expr:
        """The default value as an exact sympy number.

        For a formula parameter, the formula as a sympy expression of the
        parameters it names (its value at the defaults is
        ``DecisionTree.default_values()[name]``).
        """
        return self._exact  # type: ignore[attr-defined]

    @property
    def is_formula(self) -> bool:
        """Whether the value is a formula of other parameters rather than a number."""
        return self._formula is not None  # type: ignore[attr-defined]

    @property
    def formula(self) -> sympy.Expr | None:
        """The formula as a sympy expression of other parameters, or ``None`` for a number."""
        return self._formula  # type: ignore[attr-defined]

    @property
    def depends_on(self) -> frozenset[str]:
        """Names of the parameters the formula uses (empty for a number)."""
        f = self._formula  # type: ignore[attr-defined]
        return frozenset() if f is None else frozenset(s.name for s in f.free_symbols)

    @property
    def bounds(self) -> tuple[sympy.Expr | None, sympy.Expr | None]:
        """The exact ``(low, high)`` bounds; ``None`` where unbounded."""
        return (self._low, self._high)  # type: ignore[attr-defined]

    @property
    def symbol(self) -> sympy.Symbol:
        """The sympy symbol that stands for this parameter in expressions."""
        from .expressions import symbol

        return symbol(self.name)

    def replace(self, **changes: Any) -> Parameter:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _formula_of(value: Any, where: str) -> sympy.Expr | None:
    """Return the formula a parameter value stands for, or ``None`` when it is a constant."""
    if isinstance(value, str):
        try:
            expr = parse_expression(value)
        except ExpressionError as err:
            raise err.located(field=where) from None
    elif isinstance(value, sympy.Basic):
        expr = value
    else:
        return None
    if not isinstance(expr, sympy.Expr):
        raise ModelError(f"value {value!r} is not an expression", field=where)
    return expr if expr.free_symbols else None


def resolve_formulas(parameters: Mapping[str, Parameter]) -> dict[str, sympy.Expr]:
    """Return every formula parameter's formula written in base parameters only.

    A formula may use other formula parameters; they are substituted in turn,
    so the result names base (number-valued) parameters only.  Formulas are
    resolved in dependency order, which is also the order of the returned dict.

    Raises
    ------
    UnknownNameError
        If a formula names a parameter the tree does not have.
    ModelError
        If formulas refer to each other in a cycle; the message gives the chain.

    Examples
    --------
    >>> ps = {p.name: p for p in [Parameter("a", 2), Parameter("b", "a + 1"), Parameter("c", "a*b")]}
    >>> resolve_formulas(ps)
    {'b': a + 1, 'c': a*(a + 1)}
    """
    from .expressions import symbol

    resolved: dict[str, sympy.Expr] = {}
    state: dict[str, int] = {}  # 1 while being resolved, 2 when done

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = chain[chain.index(name) :] + [name]
            raise ModelError(
                f"parameter formulas form a cycle: {' -> '.join(cycle)}", field=f"parameters.{cycle[0]}"
            )
        p = parameters[name]
        if not p.is_formula:
            state[name] = 2
            return
        state[name] = 1
        for dep in sorted(p.depends_on):
            if dep not in parameters:
                known = ", ".join(parameters) or "none"
                raise UnknownNameError(
                    f"formula {expression_text_of(p.value)!r} uses unknown parameter {dep!r} "
                    f"(known: {known})",
                    field=f"parameters.{name}",
                )
            visit(dep, [*chain, name])
        subs = {symbol(d): resolved[d] for d in p.depends_on if d in resolved}
        resolved[name] = p.formula.xreplace(subs) if subs else p.formula
        state[name] = 2

    for name in parameters:
        visit(name, [])
    return resolved


def expression_text_of(value: Any) -> str:
    """Text of a formula as given (for messages)."""
    return value if isinstance(value, str) else str(value)


#: Levels ``str(tree)`` and ``evtree show`` print when no depth is given (each line is
#: indented by its depth, so a deeper tree's whole text would grow with the square of it).
TEXT_DEPTH = 200

_OBJECTIVES = {
    "max": "max",
    "maximize": "max",
    "maximise": "max",
    "min": "min",
    "minimize": "min",
    "minimise": "min",
}


class DecisionTree:
    """A decision tree: a root node, its parameters and an objective.

    Parameters
    ----------
    root : Decision, Chance or Terminal
        The root node.
    parameters : iterable of Parameter, or mapping of name to Parameter
        The named parameters the expressions may use.
    objective : {"max", "min"}, default "max"
        Whether the decision maker maximises or minimises; ``"maximize"`` and
        ``"minimise"`` spellings are accepted.  A decision rule name of
        :mod:`evtree.core.rules` (``"maxi-min"``, ``"mini-max"``, ...) is also
        accepted: it is kept as :attr:`rule`, and ``objective`` is what its
        decisions do (``"max"`` or ``"min"``).  In a tree with ``criteria``, an
        :class:`~evtree.core.objectives.Objective` (or its mapping form, such as
        ``{"net_benefit": {"effect": "qaly", "cost": "cost", "wtp": "wtp"}}``)
        says what decides; it is kept as :attr:`criteria_objective`.
    name, description : str
        Title and description of the model.
    claims : sequence, optional
        Claims stated with the tree (see :mod:`evtree.claims`), kept as given.
    utility : mapping, optional
        The decision maker's utility function (see :mod:`evtree.utility`), as given.
    distributions : sequence, optional
        Joint distributions for probabilistic sensitivity analysis, such as a
        Dirichlet over one chance node's branches (see :mod:`evtree.psa`), as given.
    metadata : mapping, optional
        Anything else to keep with the tree (sources, notes); saved as is.
    criteria : sequence of Criterion, optional
        Named criteria (cost, QALY, ...); payoffs may then be mappings
        criterion -> expression (see :mod:`evtree.core.components`).
    players : sequence of Player or str, optional
        Named players of a game; payoffs may then be mappings player ->
        expression.  A tree declares criteria or players, not both.
    subtrees : mapping of str to node, optional
        Named subtrees defined once: every :class:`Use` of a name in the tree
        (and in other subtrees) is replaced by a copy of its node.

    Examples
    --------
    >>> tree = DecisionTree(
    ...     Decision("offer", [
    ...         Branch("accept", Terminal(2)),
    ...         Branch("counter", Chance("reply", [
    ...             Branch("yes", Terminal(5), probability="p"),
    ...             Branch("no", Terminal(0), probability=REST),
    ...         ])),
    ...     ]),
    ...     parameters=[Parameter("p", 0.5, low=0, high=1)],
    ... )
    >>> tree.validate()
    >>> [n.key for n in tree.decision_nodes]
    ['offer']
    """

    def __init__(
        self,
        root: Node,
        *,
        parameters: Iterable[Parameter] | Mapping[str, Parameter] = (),
        objective: str = "max",
        name: str = "",
        description: str = "",
        claims: Sequence[Any] = (),
        utility: Mapping[str, Any] | None = None,
        distributions: Sequence[Any] = (),
        metadata: Mapping[str, Any] | None = None,
        criteria: Iterable[Criterion] | Mapping[str, Criterion] | None = None,
        players: Iterable[Player | str] | Mapping[str, Player] | None = None,
        subtrees: Mapping[str, Node] | None = None,
    ) -> None:
        self.subtrees: dict[str, Node] = _check_subtrees(subtrees)
        from .table import NodeTable  # (table.py builds on this module)

        self._table: Any = None
        if isinstance(root, NodeTable):  # nodes made when first asked for
            self._root: Node | None = None
            self._table = root
        else:
            if isinstance(root, Use):
                root = _expand_use(root, self.subtrees, ())
                _USES_PENDING[0] -= 1
            if not isinstance(root, Node):
                raise ModelError(f"the root must be a node, got {type(root).__name__}", field="root")
            if root.parent is not None:
                raise ModelError("the root node already hangs under another node", node=root.key)
            self._root = root
            if self.subtrees or _USES_PENDING[0] > 0:
                _check_expanded_size(root, self.subtrees)
                _expand_uses(root, self.subtrees)
        if isinstance(parameters, Mapping):
            parameters = list(parameters.values())
        params: dict[str, Parameter] = {}
        for p in parameters:
            if not isinstance(p, Parameter):
                raise ModelError(f"expected a Parameter, got {type(p).__name__}", field="parameters")
            if p.name in params:
                raise ModelError(f"parameter {p.name!r} is defined twice", field="parameters")
            params[p.name] = p
        self.parameters: dict[str, Parameter] = params
        if any(p.is_formula for p in params.values()):
            resolve_formulas(params)  # refuse unknown names and cycles now
        criteria_objective = None
        if not isinstance(objective, str):  # an objective over criteria, checked once they are known
            criteria_objective, objective = objective, "max"
        if objective not in _OBJECTIVES and objective not in RULES:
            raise ModelError(
                f"objective must be 'max', 'min' or a decision rule ({', '.join(RULES)}), got {objective!r}",
                field="objective",
            )
        #: The decision rule (:mod:`evtree.core.rules`); ``objective`` is what its decisions do.
        self.rule: str = (
            RULES[objective].name if objective in RULES else expected_value_rule(_OBJECTIVES[objective]).name
        )
        self.objective = RULES[self.rule].decision
        self.name = name
        self.description = description
        self.claims = list(claims)
        self.utility = dict(utility) if utility is not None else None
        self.distributions = list(distributions)
        self.metadata = dict(metadata) if metadata is not None else {}
        self.criteria, self.players = read_components(criteria, players, self.parameters)
        #: What decides among the criteria (:mod:`evtree.core.objectives`), or ``None``.
        self.criteria_objective: Objective | None = None
        if criteria_objective is not None:
            self.criteria_objective = as_objective(criteria_objective).resolved(self)
            self.objective = self.criteria_objective.sense
        self._compiled: Any = None

    @property
    def root(self) -> Node:
        """The root node (a tree built from a table makes its nodes now, the first time)."""
        if self._root is None:
            self._materialise()
        return self._root  # type: ignore[return-value]

    @root.setter
    def root(self, node: Node) -> None:
        self._root = node
        self._table = None

    @property
    def table(self) -> Any:
        """The :class:`~evtree.core.table.NodeTable` the nodes are still held in, or ``None``.

        A tree built by :func:`evtree.core.table.tree_from_table` (or read from a
        large file) keeps its nodes as columns until something asks for a node;
        then this is ``None`` and the nodes are the tree.
        """
        return self._table

    @property
    def size(self) -> int:
        """Number of nodes (counted without making the nodes of a table)."""
        if self._table is not None:
            return self._table.size
        return sum(1 for _ in self.nodes())

    def _materialise(self) -> None:
        """Make the nodes of a tree held as a table, once; keep its compiled form valid."""
        table = self._table
        nodes = table.materialise()
        self._root = nodes[0]
        self._table = None
        compiled = self._compiled
        if compiled is not None and compiled.cache.get("source") is table:
            compiled.cache["source"] = nodes[0]
            compiled.nodes.fill(nodes)

    @property
    def _source(self) -> Any:
        """What the nodes are: the root node, or the table they are still held in."""
        return self._root if self._root is not None else self._table

    @property
    def component_names(self) -> tuple[str, ...]:
        """Names of the declared criteria or players (empty for a one-criterion, one-player tree)."""
        return tuple(c.name for c in self.criteria or self.players)

    @property
    def references(self) -> dict[str, list[Node]]:
        """Each named subtree used in the tree, with the top nodes of its copies in pre-order.

        Only the outermost copies are listed (a copy inside another copy is
        part of it).  Every such node has ``node.reference`` (``node.use``) set.
        """
        out: dict[str, list[Node]] = {}
        if self._root is None:  # a table has no references
            return out
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node._use is not None:
                out.setdefault(node._use, []).append(node)
                continue
            kids = getattr(node, "_NodeMixin__children", ())
            if kids:
                stack.extend(reversed(kids))
        return out

    # -- traversal ------------------------------------------------------------------------
    def nodes(self) -> Iterator[Node]:
        """Iterate over every node in pre-order (the order of the file); any depth."""
        return iter_preorder(self.root)

    @property
    def decision_nodes(self) -> list[Decision]:
        """Decision nodes in pre-order."""
        return [n for n in self.nodes() if isinstance(n, Decision)]

    @property
    def chance_nodes(self) -> list[Chance]:
        """Chance nodes in pre-order."""
        return [n for n in self.nodes() if isinstance(n, Chance)]

    @property
    def terminals(self) -> list[Terminal]:
        """Terminal nodes in pre-order."""
        return [n for n in self.nodes() if isinstance(n, Terminal)]

    @property
    def has_terminal_utilities(self) -> bool:
        """Whether terminals carry their own utilities (u-values) instead of a utility function."""
        if not _TERMINAL_UTILITIES[0]:
            return False
        if self._root is None:
            return bool(self._table.extras.get("utility"))
        return any(getattr(t, "_utility", None) is not None for t in self.terminals)

    @property
    def events(self) -> dict[str, list[Chance]]:
        """Declared shared events: event name to its chance nodes (copies), in pre-order."""
        out: dict[str, list[Chance]] = {}
        if not _EVENTS_USED[0] or (self._root is None and not self._table.extras.get("event")):
            return out
        for n in self.nodes():
            ev = getattr(n, "_event", None)
            if ev is not None:
                out.setdefault(ev, []).append(n)
        return out

    def node(self, key: str) -> Node:
        """Return the node with this name, or at this path (``root/label/label``).

        Raises
        ------
        UnknownNameError
            If no node has that name or path.
        """
        if not isinstance(key, str):
            raise TypeError(f"a node is found by its name or path, not {type(key).__name__}")
        found = self._name_index().get(key, ())
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            listed = ", ".join(repr(n.path) for n in found)
            raise UnknownNameError(
                f"the name {key!r} is ambiguous: {len(found)} nodes have it ({listed}); give the node's path"
            )
        node: Node = self.root
        parts = split_path(key)
        if parts[0] in (self.root._name, "root"):
            try:
                for label in parts[1:]:
                    node = node.branch(label)
                return node
            except UnknownNameError:
                pass
        matches = self._unescaped_path_matches(key) if Node.separator in key else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(repr(n.path) for n in matches)
            raise UnknownNameError(
                f"the path {key!r} is ambiguous: labels contain '/' ({listed}); write '/' inside a "
                "label as '\\/'"
            )
        raise UnknownNameError(f"no node is named {key!r}, and no path leads there")

    def _name_index(self) -> dict[str, list[Node]]:
        """Return the nodes of each name, in pre-order (rebuilt only when some tree has changed)."""
        cached = self.__dict__.get("_names_cache")
        if cached is not None and cached[0] == _version[0]:
            return cached[1]
        index: dict[str, list[Node]] = {}
        for n in self.nodes():
            if n._name is not None:
                index.setdefault(n._name, []).append(n)
        self.__dict__["_names_cache"] = (_version[0], index)
        return index

    def _unescaped_path_matches(self, key: str) -> list[Node]:
        """Nodes whose path, written without escaping ``/`` inside labels, is ``key``."""
        sep = Node.separator
        starts = [
            len(prefix) + 1 for prefix in {self.root._name or "root", "root"} if key.startswith(prefix + sep)
        ]
        out: list[Node] = []
        stack = [(self.root, pos) for pos in starts]
        while stack:
            node, pos = stack.pop()
            for child in getattr(node, "_NodeMixin__children", ()):
                label = child._label
                if label is None or not key.startswith(label, pos):
                    continue
                end = pos + len(label)
                if end == len(key):
                    out.append(child)
                elif key[end] == sep:
                    stack.append((child, end + 1))
        return list({id(n): n for n in out}.values())

    # -- parameters -----------------------------------------------------------------------
    def parameter(self, name: str) -> Parameter:
        """Return the parameter called ``name``."""
        try:
            return self.parameters[name]
        except KeyError:
            known = ", ".join(self.parameters) or "none"
            raise UnknownNameError(f"unknown parameter {name!r} (known: {known})") from None

    @property
    def base_parameters(self) -> dict[str, Parameter]:
        """The parameters whose values are numbers (not formulas): the ones analyses vary."""
        return {k: p for k, p in self.parameters.items() if not p.is_formula}

    @property
    def formula_parameters(self) -> dict[str, Parameter]:
        """The parameters defined by formulas of other parameters."""
        return {k: p for k, p in self.parameters.items() if p.is_formula}

    def default_values(self, method: str = "exact") -> dict[str, Any]:
        """Every parameter's value at the defaults, formulas computed (``"exact"`` or ``"float"``)."""
        from .compile import parameter_point

        return parameter_point(self, None, method=method)

    def with_parameters(self, **values: Any) -> DecisionTree:
        """Return a copy of the tree whose parameter defaults are replaced by ``values``."""
        new = self.copy()
        for pname, value in values.items():
            p = self.parameter(pname)
            low, high = p.low, p.high
            if _formula_of(value, f"parameters.{pname}") is not None:
                new.parameters[pname] = p.replace(value=value)
                continue
            exact = exact_number(value)
            if low is not None and exact < exact_number(low):
                low = value
            if high is not None and exact > exact_number(high):
                high = value
            new.parameters[pname] = p.replace(value=value, low=low, high=high)
        if any(p.is_formula for p in new.parameters.values()):
            resolve_formulas(new.parameters)
        return new

    # -- checks ---------------------------------------------------------------------------
    def problems(self) -> list[ModelError]:
        """Return every structural problem of the tree (empty when it is well formed).

        Probabilities are checked when the tree is evaluated, in the arithmetic
        of the evaluation; :meth:`validate` checks them at the default values.
        """
        from .compile import compile_tree

        return list(compile_tree(self).problems)

    def validate(self, *, exact: bool = True) -> None:
        """Check the tree; raise :class:`~evtree.core.errors.ValidationError` listing every problem.

        Checks the structure (empty decision or chance nodes, missing labels,
        probabilities and payoffs, duplicate names and labels, unknown
        parameters, several ``rest`` branches), then that the probabilities of
        every chance node lie in [0, 1] and sum to 1: exactly at the default
        values when ``exact`` (else within :data:`evtree.compile.PROBABILITY_TOLERANCE`),
        and identically in the parameters where that can be decided.
        """
        from .compile import check_probabilities, compile_tree

        flat = compile_tree(self)
        if flat.problems:
            raise ValidationError(list(flat.problems))
        check_probabilities(self, flat, method="exact" if exact else "float")

    # -- copies and equality -------------------------------------------------------------
    def copy(self) -> DecisionTree:
        """Return a deep copy of the tree (nodes are copied, expressions shared); any depth."""
        with building():
            root = self._table if self._root is None else _copy_node(self._root)  # a table is never edited
            subtrees = {k: _copy_node(v) for k, v in self.subtrees.items()}
        return DecisionTree(
            root,
            parameters=list(self.parameters.values()),
            objective=self.criteria_objective if self.criteria_objective is not None else self.rule,
            name=self.name,
            description=self.description,
            claims=list(self.claims),
            utility=self.utility,
            distributions=list(self.distributions),
            metadata=self.metadata,
            criteria=self.criteria,
            players=self.players,
            subtrees=subtrees,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionTree):
            return NotImplemented
        if (
            self.objective != other.objective
            or self.rule != other.rule
            or self.criteria_objective != other.criteria_objective
            or self.name != other.name
            or self.description != other.description
            or self.parameters != other.parameters
            or self.claims != other.claims
            or self.utility != other.utility
            or self.distributions != other.distributions
            or self.metadata != other.metadata
            or self.criteria != other.criteria
            or self.players != other.players
            or set(self.subtrees) != set(getattr(other, "subtrees", {}))
        ):
            return False
        if any(not _same_nodes(v, other.subtrees[k]) for k, v in self.subtrees.items()):
            return False
        return _same_nodes(self.root, other.root)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        n = self.size
        title = f"{self.name!r}, " if self.name else ""
        return (
            f"DecisionTree({title}{n} nodes, {len(self.parameters)} parameters, objective={self.objective!r})"
        )

    def _repr_html_(self) -> str | None:  # pragma: no cover - notebook display
        func = presenter("html", self)
        return None if func is None else func(self)

    def __str__(self) -> str:
        func = presenter("text", self)
        if func is None:
            return repr(self)
        return func(self)  # a tree deeper than TEXT_DEPTH shows its top levels and says so


#: Attributes of a node that are its place in a tree or compile's bookkeeping, not its fields.
_LINKS = ("_NodeMixin__parent", "_NodeMixin__children", "_dup")


def _copy_one(node: Node) -> Node:
    """Return a parentless copy of one node's fields (no children)."""
    if isinstance(node, Use):
        new: Node = Use(node.subtree)
    else:
        new = type(node).__new__(type(node))
    fields = node.__dict__
    new.__dict__.update({k: v for k, v in fields.items() if k not in _LINKS} if "_dup" in fields else fields)
    new.__dict__.pop("_NodeMixin__parent", None)
    if not isinstance(node, (Terminal, Use)):
        new._NodeMixin__children = []
    return new


def _copy_node(top: Node) -> Node:
    """Return a deep copy of the subtree below ``top`` (nodes copied, expressions shared).

    Iterative (an explicit stack), so any depth copies; children lists are
    linked directly, as a fresh tree cannot form a loop.
    """
    new_top = _copy_one(top)
    stack = [(top, new_top)]
    while stack:
        old, new = stack.pop()
        kids = getattr(old, "_NodeMixin__children", None)
        if not kids or isinstance(old, Terminal):
            continue
        copies = [_copy_one(k) for k in kids]
        for c in copies:
            c._NodeMixin__parent = new
        new._NodeMixin__children = copies
        stack.extend(zip(kids, copies))
    return new_top


def _same_nodes(a: Node, b: Node) -> bool:
    """Whether two subtrees have the same shape and fields (iterative, any depth)."""
    left, right = iter_preorder(a), iter_preorder(b)
    for x, y in itertools.zip_longest(left, right):
        if x is None or y is None:
            return False
        if not x._fields_equal(y) or len(getattr(x, "_NodeMixin__children", ())) != len(
            getattr(y, "_NodeMixin__children", ())
        ):
            return False
    return True


def _check_subtrees(subtrees: Mapping[str, Node] | None) -> dict[str, Node]:
    out: dict[str, Node] = {}
    for name, node in (subtrees or {}).items():
        if type(name) is not str or not name.strip():
            raise ModelError(f"a subtree needs a name, got {name!r}", field="subtrees")
        if not isinstance(node, Node) or isinstance(node, Use):
            raise ModelError(f"subtree {name!r} must be a node", field=f"subtrees.{name}")
        if node.parent is not None:
            raise ModelError(f"subtree {name!r} already hangs in a tree", field=f"subtrees.{name}")
        out[name] = node
    return out


MAX_EXPANDED_NODES = 20_000_000
"""Nodes a tree may have once its references to named subtrees are expanded.

Each copy is a real node, so a few subtrees that use each other twice over can
ask for more nodes than any machine holds (forty doublings are 10^12).  Above
this many, the tree is refused before anything is copied.
"""


def _check_expanded_size(root: Node, subtrees: Mapping[str, Node]) -> None:
    """Refuse a tree whose references expand to more than :data:`MAX_EXPANDED_NODES` nodes.

    The size is counted per subtree definition (its own nodes plus, for each
    reference in it, the size of the subtree referenced), so nothing is expanded
    to count it.  Cycles and unknown names are left to the expansion, which names them.
    """
    own: dict[str, tuple[int, list[str]]] = {}
    for name, top in subtrees.items():
        plain, used = 0, []
        for node in iter_preorder(top):
            if isinstance(node, Use):
                used.append(node.subtree)
            else:
                plain += 1
        own[name] = (plain, used)
    size: dict[str, int] = {}
    for start in own:
        stack, on_path = [start], {start}
        while stack:
            name = stack[-1]
            pending = [u for u in own[name][1] if u in own and u not in size and u not in on_path]
            if pending:
                stack.append(pending[0])
                on_path.add(pending[0])
                continue
            plain, used = own[name]
            size[name] = plain + sum(size.get(u, 0) for u in used)
            stack.pop()
            on_path.discard(name)
    total = 0
    for node in iter_preorder(root):
        total += size.get(node.subtree, 0) if isinstance(node, Use) else 1
    if total > MAX_EXPANDED_NODES:
        largest = max(size, key=size.get)
        raise ModelError(
            f"the references to named subtrees expand to {total:.3g} nodes (subtree {largest!r} alone "
            f"is {size[largest]:.3g}); at most {MAX_EXPANDED_NODES:,} are allowed",
            field="subtrees",
        )


def _expand_use(ref: Use, subtrees: Mapping[str, Node], chain: tuple[str, ...]) -> Node:
    """Return a copy of the subtree ``ref`` names, with the references inside it expanded too."""
    name = ref.subtree
    if name in chain:
        cycle = " -> ".join([*chain, name])
        raise ModelError(f"subtrees use each other in a cycle: {cycle}", field="subtrees")
    if name not in subtrees:
        known = ", ".join(subtrees) or "none"
        raise UnknownNameError(f"unknown subtree {name!r} (subtrees: {known})", field="use")
    copy = _copy_node(subtrees[name])
    _expand_uses(copy, subtrees, (*chain, name))
    copy._use = name
    copy._label = ref._label
    copy._probability = ref._probability
    copy._branch_payoff = ref._branch_payoff
    return copy


def _expand_uses(top: Node, subtrees: Mapping[str, Node], chain: tuple[str, ...] = ()) -> None:
    """Replace every :class:`Use` below ``top`` by a copy of its subtree, in place."""
    stack = [top]
    while stack:
        node = stack.pop()
        kids = getattr(node, "_NodeMixin__children", ())
        if not kids:
            continue
        if any(isinstance(k, Use) for k in kids):
            new = []
            for k in kids:
                if isinstance(k, Use):
                    copy = _expand_use(k, subtrees, chain)
                    _USES_PENDING[0] -= 1
                    k._NodeMixin__parent = None
                    copy._NodeMixin__parent = node
                    new.append(copy)
                else:
                    new.append(k)
            node._NodeMixin__children = new
            _touch()
            kids = new
        stack.extend(k for k in kids if not (isinstance(k, Use)) and k._use is None)
