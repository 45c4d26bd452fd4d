"""Compile a tree into flat arrays, check it, and evaluate its expressions.

A :class:`FlatTree` lists the nodes breadth first, so that every level of the
tree, and the children of every node, are contiguous ranges.  The rollback in
:mod:`evtree.rollback` works on these arrays in any arithmetic.  Compiling is
cached on the tree and redone when any node changes.

Each quantity of a node (branch probability, branch payoff, terminal payoff) is
split into a float constant and, where it depends on parameters, an index into a
table of unique sympy expressions, so that a large tree with numeric payoffs
compiles without creating a sympy object per node.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import cached_property
from itertools import chain, repeat, zip_longest
from operator import attrgetter, eq, is_not
from typing import Any

import numpy as np
import sympy

from . import components, model
from .errors import EvaluationError, ModelError, ProbabilityError, UnknownNameError, ValidationError
from .expressions import as_expr, exact_number, symbol
from .table import CHANCE, DECISION, TERMINAL, FloatColumn, NodeTable

__all__ = [
    "CHANCE",
    "DECISION",
    "Block",
    "PROBABILITY_TOLERANCE",
    "TERMINAL",
    "FlatTree",
    "Level",
    "Quantity",
    "SharedPlan",
    "SharedRollback",
    "check_probabilities",
    "compile_tree",
    "formula_view",
    "iter_strategies",
    "parameter_point",
    "reached_decisions",
    "shared_plan",
    "shared_rollback",
    "sharing_allowed",
    "strategy_count",
]

_KIND_CODE = {model.Terminal: TERMINAL, model.Chance: CHANCE, model.Decision: DECISION}
_KIND_NAMES = {TERMINAL: "terminal", CHANCE: "chance", DECISION: "decision"}

#: Tolerance for probabilities in float arithmetic: each must lie in
#: [-tol, 1 + tol] and each chance node's must sum to 1 within tol.
PROBABILITY_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class Quantity:
    """One quantity of every node, split into constants and expressions.

    Attributes
    ----------
    const : ndarray of float
        The value where it is a constant, 0 where missing, NaN where symbolic.
    expr_index : ndarray of int
        Index into ``exprs`` where the quantity depends on parameters, else -1.
    exprs : tuple of sympy.Expr
        The unique non-constant expressions.
    raw : list
        The quantities as given on the nodes (for exact arithmetic).
    """

    const: np.ndarray
    expr_index: np.ndarray
    exprs: tuple[sympy.Expr, ...]
    raw: list[Any]

    @property
    def is_constant(self) -> bool:
        return not self.exprs

    @property
    def symbols(self) -> set[str]:
        return {s.name for e in self.exprs for s in e.free_symbols}


@dataclasses.dataclass(frozen=True)
class Level:
    """The internal nodes of one depth and their children (the next depth).

    Attributes
    ----------
    parents : ndarray of int or slice
        Internal nodes at this depth, in order.
    children : slice
        Their children, contiguous and in the same order.
    starts : ndarray of int
        Offset of each parent's first child within ``children``.
    counts : ndarray of int
        Number of children of each parent.
    uniform : int
        The common number of children when every parent has the same, else 0.
    kinds : ndarray of int8
        Kind of each parent.
    all_kind : int
        The common kind of the parents, or -1 when mixed.
    """

    parents: Any
    children: slice
    starts: np.ndarray
    counts: np.ndarray
    uniform: int
    kinds: np.ndarray
    all_kind: int


class LazyNodes(Sequence):
    """The node objects of a tree held as a table (:mod:`evtree.core.table`), made when first read.

    Evaluating such a tree never reads them; an error message naming a node,
    a policy keyed by path, or a drawing does, and then the tree makes its
    nodes once (:attr:`evtree.core.model.DecisionTree.root`).
    """

    __slots__ = ("_nodes", "_tree")

    def __init__(self, tree: model.DecisionTree) -> None:
        self._tree: model.DecisionTree | None = tree
        self._nodes: list[model.Node] | None = None

    @property
    def made(self) -> bool:
        """Whether the node objects exist."""
        return self._nodes is not None

    def fill(self, nodes: list[model.Node]) -> None:
        self._nodes = nodes
        self._tree = None

    def _list(self) -> list[model.Node]:
        if self._nodes is None:
            tree = self._tree
            assert tree is not None
            tree.root  # noqa: B018 - makes the nodes and fills this list (DecisionTree._materialise)
            if self._nodes is None:  # the tree was compiled again meanwhile: walk it
                self.fill(_breadth_first_nodes(tree.root))
        return self._nodes  # type: ignore[return-value]

    def __getitem__(self, i: Any) -> Any:
        return self._list()[i]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self) -> Any:
        return iter(self._list())


def _breadth_first_nodes(root: model.Node) -> list[model.Node]:
    nodes = [root]
    start = 0
    while start < len(nodes):
        stop = len(nodes)
        for node in nodes[start:stop]:
            nodes.extend(getattr(node, "_NodeMixin__children", ()))
        start = stop
    return nodes


@dataclasses.dataclass(frozen=True)
class FlatTree:
    """A tree's nodes in breadth-first order, as arrays."""

    nodes: list[model.Node]
    kind: np.ndarray
    parent: np.ndarray
    first_child: np.ndarray
    n_children: np.ndarray
    levels: tuple[Level, ...]
    probability: Quantity
    branch_payoff: Quantity
    payoff: Quantity
    rest: np.ndarray
    problems: tuple[ModelError, ...]
    version: int
    #: Work reused across evaluations (lambdified expressions, constant probabilities).
    cache: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    #: Terminal payoffs of each declared criterion or player (:mod:`evtree.core.components`).
    component_payoffs: Mapping[str, Quantity] = dataclasses.field(default_factory=dict, repr=False)
    #: Branch payoffs of each declared criterion or player.
    component_branch_payoffs: Mapping[str, Quantity] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.kind)

    @cached_property
    def index(self) -> dict[int, int]:
        """Map ``id(node)`` to its position."""
        return {id(n): i for i, n in enumerate(self.nodes)}

    @cached_property
    def decision_indices(self) -> np.ndarray:
        return np.flatnonzero(self.kind == DECISION)

    @cached_property
    def chance_indices(self) -> np.ndarray:
        return np.flatnonzero(self.kind == CHANCE)

    @cached_property
    def terminal_indices(self) -> np.ndarray:
        return np.flatnonzero(self.kind == TERMINAL)

    @cached_property
    def under_chance(self) -> np.ndarray:
        """Mask of nodes whose parent is a chance node."""
        mask = np.zeros(self.size, dtype=bool)
        mask[1:] = self.kind[self.parent[1:]] == CHANCE
        return mask

    @cached_property
    def keys(self) -> list[str]:
        return [n.key for n in self.nodes]

    def key_of(self, i: int) -> str:
        """Return the key of node ``i`` (its name, or its path), without making a table's nodes."""
        table = self.cache.get("table")
        if table is not None and not self.nodes.made:  # a plain table: names are unique
            name = table.name[i]
            return name if name is not None else table.path(i)
        return self.nodes[i].key

    def label_of(self, i: int) -> str | None:
        """Return the label of the branch into node ``i``, without making a table's nodes."""
        table = self.cache.get("table")
        if table is not None and not self.nodes.made:
            return table.label[i]
        return self.nodes[i].label

    def position(self, node: model.Node | str, tree: model.DecisionTree | None = None) -> int:
        """Return the flat position of a node given as object, name or path."""
        if isinstance(node, str):
            if tree is None:
                raise TypeError("a tree is needed to look a node up by name")
            node = tree.node(node)
        try:
            return self.index[id(node)]
        except KeyError:
            raise UnknownNameError("the node is not in this tree", node=node.key) from None

    @property
    def symbols(self) -> set[str]:
        return self.probability.symbols | self.branch_payoff.symbols | self.payoff.symbols

    @property
    def all_symbols(self) -> set[str]:
        """Parameters used anywhere, payoff components included."""
        out = self.symbols
        for q in (*self.component_payoffs.values(), *self.component_branch_payoffs.values()):
            out = out | q.symbols
        return out


def compile_tree(tree: model.DecisionTree) -> FlatTree:
    """Return the tree's :class:`FlatTree`, compiling it if it changed since last time."""
    cached = tree._compiled
    names = tuple(tree.parameters)
    formulas = _formula_key(tree)
    if (
        cached is not None
        and cached.version == model._version[0]
        and cached.cache.get("source") is tree._source
        and cached.cache.get("parameter_names") == names
        and cached.cache.get("formulas") == formulas
    ):
        return cached
    with model.building():
        flat = _compile(tree)
    if formulas:
        flat = _substitute_formulas(tree, flat)
    flat.cache["parameter_names"] = names
    flat.cache["formulas"] = formulas
    flat.cache["source"] = tree._source
    tree._compiled = flat
    return flat


def _formula_key(tree: model.DecisionTree) -> tuple[Any, ...]:
    """Return what the compiled form depends on among the formulas (empty without formulas)."""
    return tuple((k, p.formula) for k, p in tree.parameters.items() if p.formula is not None)


def _substitute_formulas(tree: model.DecisionTree, flat: FlatTree) -> FlatTree:
    """Write every expression of the compiled tree in base parameters: formulas substituted."""
    subs = {symbol(k): v for k, v in model.resolve_formulas(tree.parameters).items()}

    def rewrite(q: Quantity) -> Quantity:
        if q.is_constant or not any(e.free_symbols & subs.keys() for e in q.exprs):
            return q
        const = q.const.copy()
        index = np.full(len(const), -1, dtype=np.int64)
        table: dict[sympy.Expr, int] = {}
        new_exprs = [e.xreplace(subs) for e in q.exprs]
        for i in np.flatnonzero(q.expr_index >= 0):
            e = new_exprs[int(q.expr_index[i])]
            if e.free_symbols:
                index[i] = table.setdefault(e, len(table))
            else:
                const[i] = float(e)
        return Quantity(const, index, tuple(table), q.raw)

    return dataclasses.replace(
        flat,
        probability=rewrite(flat.probability),
        branch_payoff=rewrite(flat.branch_payoff),
        payoff=rewrite(flat.payoff),
    )


def terminal_utility_quantity(tree: model.DecisionTree, flat: FlatTree) -> Quantity:
    """Return the terminals' own utilities (u-values) as a :class:`Quantity`, formulas substituted."""
    q = flat.cache.get("terminal_utilities")
    if q is None:
        q = _quantity([getattr(n, "_utility", None) for n in flat.nodes])
        if any(p.is_formula for p in tree.parameters.values()) and not q.is_constant:
            subs = {symbol(k): v for k, v in model.resolve_formulas(tree.parameters).items()}
            exprs = tuple(e.xreplace(subs) for e in q.exprs)
            q = Quantity(q.const, q.expr_index, exprs, q.raw)
        flat.cache["terminal_utilities"] = q
    return q


def formula_view(tree: model.DecisionTree, overridden: Any) -> model.DecisionTree:
    """Return the tree in which the formula parameters named in ``overridden`` are base parameters.

    Giving a value to a formula parameter overrides its formula: :func:`evaluate`
    and every analysis built on it compile this view, which shares the tree's
    nodes (so nodes are found in it as in the tree) and whose other formulas
    still follow.  The tree itself is returned when no formula is overridden.
    """
    if isinstance(overridden, Mapping):
        overridden = [k for k, v in overridden.items() if not _is_own_formula(tree, k, v)]
    names = frozenset(n for n in overridden if n in tree.parameters and tree.parameters[n].is_formula)
    if not names:
        return tree
    views = tree.__dict__.setdefault("_formula_views", {})
    key = (names, _formula_key(tree), tuple(tree.parameters))
    view = views.get(key)
    if view is None or view.root is not tree.root:
        defaults = parameter_point(tree, None, method="exact")
        params = [_as_base(p, defaults[k]) if k in names else p for k, p in tree.parameters.items()]
        view = model.DecisionTree.__new__(model.DecisionTree)
        view.__dict__.update({k: v for k, v in tree.__dict__.items() if k != "_formula_views"})
        view.parameters = {p.name: p for p in params}
        view._compiled = None
        views.clear()
        views[key] = view
    return view


def _as_base(p: model.Parameter, default: Any) -> model.Parameter:
    """Return formula parameter ``p`` as a base parameter at its default, keeping its bounds if it can."""
    if not (isinstance(default, sympy.Expr) and default.is_real and default.is_finite):
        default = 0  # no finite default (0/0): any number will do, the caller gives the value
    try:
        return p.replace(value=default)
    except ModelError:
        return p.replace(value=default, low=None, high=None)


def _is_own_formula(tree: model.DecisionTree, name: str, value: Any) -> bool:
    """Whether ``value`` given for ``name`` is that parameter's own formula (so no override)."""
    p = tree.parameters.get(name)
    if p is None or p.formula is None:
        return False
    if isinstance(value, str):
        return value == p.value
    return isinstance(value, sympy.Basic) and value == p.formula


def _children(node: model.Node) -> list[model.Node]:
    return getattr(node, "_NodeMixin__children", ())


def _compile(tree: model.DecisionTree, top: model.Node | None = None, cut: Any = None) -> FlatTree:
    """Compile the nodes below ``top`` (the root); nodes whose id is in ``cut`` count as leaves.

    With ``top`` or ``cut`` (the blocks of :func:`shared_plan`) the structure is
    not checked: the whole tree's compiled form checks it.
    """
    table = tree._table if top is None and not cut else None
    if table is not None and (not table.plain or tree.component_names):
        tree.root  # noqa: B018 - extra fields, repeated names and components are checked on nodes
        table = None
    if table is not None:
        return _compile_table(tree, table)
    version = model._version[0]
    nodes: list[model.Node] = [tree.root if top is None else top]
    level_bounds = [(0, 1)]
    counts_per_level: list[list[int]] = []
    get_children = attrgetter("_NodeMixin__children")
    start = 0
    while True:
        stop = len(nodes)
        try:
            kids = list(map(get_children, nodes[start:stop]))
        except AttributeError:
            kids = [_children(x) for x in nodes[start:stop]]
        if cut:
            kids = [() if id(x) in cut else k for x, k in zip(nodes[start:stop], kids)]
        counts_per_level.append(list(map(len, kids)))
        nxt = list(chain.from_iterable(kids))
        if not nxt:
            break
        nodes.extend(nxt)
        level_bounds.append((stop, len(nodes)))
        start = stop
    n = len(nodes)
    kind_of = _KIND_CODE
    types = list(map(type, nodes))
    try:
        kind = np.array([kind_of[t] for t in types], dtype=np.int8)
    except KeyError:
        kind = np.array([_kind_slow(x) for x in nodes], dtype=np.int8)
    if cut:  # a leaf of a plan: rolled back as a terminal whose value the plan supplies
        kind[[i for i, x in enumerate(nodes) if id(x) in cut]] = TERMINAL
    n_children = np.fromiter(chain.from_iterable(counts_per_level), dtype=np.int64, count=n)
    first_child = np.empty(n, dtype=np.int64)
    first_child[0] = 0
    np.cumsum(n_children[:-1], out=first_child[1:])
    first_child += 1
    parent = np.empty(n, dtype=np.int64)
    parent[0] = -1
    parent[1:] = np.repeat(np.arange(n), n_children)

    levels = _levels(level_bounds, kind, n_children)
    raw_probability = list(map(attrgetter("_probability"), nodes))
    probability = _quantity(raw_probability, rest_ok=True)
    raw_branch = list(map(attrgetter("_branch_payoff"), nodes))
    raw_payoff = list(map(attrgetter("_payoff"), nodes))
    branch_payoff, payoff, per_component = _payoff_quantities(tree, nodes, raw_branch, raw_payoff)
    flat = FlatTree(
        nodes,
        kind,
        parent,
        first_child,
        n_children,
        levels,
        probability,
        branch_payoff,
        payoff,
        _rest_mask(probability, raw_probability),
        (),
        version,
    )
    if top is not None or cut:
        return flat
    names = list(map(attrgetter("_name"), nodes))
    labels = list(map(attrgetter("_label"), nodes))
    problems = _structure_problems(tree, flat, names, labels)
    if per_component is not None:
        flat = dataclasses.replace(
            flat, component_payoffs=per_component[0], component_branch_payoffs=per_component[1]
        )
        problems += per_component[2]
    problems += components.game_problems(tree, nodes, flat.decision_indices)
    return dataclasses.replace(flat, problems=tuple(problems))


def _compile_table(tree: model.DecisionTree, table: NodeTable) -> FlatTree:
    """Compile a tree still held as a table (:mod:`evtree.core.table`): no node object is made."""
    version = model._version[0]
    nodes = LazyNodes(tree)
    levels = _levels(table.level_bounds, table.kind, table.n_children)
    probability = _quantity(table.probability, rest_ok=True)
    branch_payoff, payoff, per_component = _payoff_quantities(tree, nodes, table.branch_payoff, table.payoff)
    flat = FlatTree(
        nodes,
        table.kind,
        table.parent,
        table.first_child,
        table.n_children,
        levels,
        probability,
        branch_payoff,
        payoff,
        _rest_mask(probability, table.probability),
        (),
        version,
    )
    flat.cache["table"] = table
    problems = _structure_problems(tree, flat, table.name, table.label)
    if per_component is not None:  # a payoff per criterion in a tree without criteria
        problems += per_component[2]
    return dataclasses.replace(flat, problems=tuple(problems))


def _levels(
    level_bounds: list[tuple[int, int]], kind: np.ndarray, n_children: np.ndarray
) -> tuple[Level, ...]:
    """Return the :class:`Level` of every depth that has children."""
    levels = []
    for (a, b), (c, d) in zip(level_bounds[:-1], level_bounds[1:]):
        counts_all = n_children[a:b]
        internal = np.flatnonzero(counts_all > 0)
        counts = counts_all[internal]
        parents: Any = slice(a, b) if len(internal) == b - a else internal + a
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        kinds = kind[a:b][internal]
        all_kind = int(kinds[0]) if (kinds == kinds[0]).all() else -1
        uniform = int(counts[0]) if (counts == counts[0]).all() else 0
        levels.append(Level(parents, slice(c, d), starts, counts, uniform, kinds, all_kind))
    return tuple(levels)


def _rest_mask(probability: Quantity, raw: list[Any]) -> np.ndarray:
    """Mask of the branches whose probability is ``rest``."""
    rest = np.zeros(len(raw), dtype=bool)
    if not probability.is_constant or np.isnan(probability.const).any():
        rest[[i for i, r in enumerate(raw) if type(r) is str and r == model.REST]] = True
    return rest


def _payoff_quantities(
    tree: model.DecisionTree, nodes: Sequence[model.Node], raw_branch: list[Any], raw_payoff: list[Any]
) -> tuple[Quantity, Quantity, Any]:
    """Return the branch and terminal payoff quantities, and the per-component ones.

    The third item is ``(component_payoffs, component_branch_payoffs, problems)``
    when the tree declares components or a payoff is a mapping, else ``None``.
    """
    names = tree.component_names
    if not names:
        branch_payoff, payoff = _quantity(raw_branch), _quantity(raw_payoff)
        # A mapping payoff leaves NaN without an expression (see _quantity): refuse it.
        found = {
            field: [(int(i), q.raw[i]) for i in np.flatnonzero(np.isnan(q.const) & (q.expr_index < 0))]
            for field, q in (("payoff", branch_payoff), ("terminal", payoff))
        }
        if not found["payoff"] and not found["terminal"]:
            return branch_payoff, payoff, None
        problems = [
            p
            for field, pairs in found.items()
            for p in components.component_problems(tree, nodes, "payoff", [], pairs)
        ]
        return branch_payoff, payoff, ({}, {}, problems)
    problems: list[ModelError] = []
    per: list[dict[str, Quantity]] = [{}, {}]
    scalars = []
    for slot, raw in ((1, raw_branch), (0, raw_payoff)):
        scalar, lists, found = components.split_components(raw, names)
        problems += components.component_problems(tree, nodes, "payoff", raw, found)
        scalars.append(_quantity(scalar))
        for name in names:
            per[slot][name] = _quantity(lists[name])
    known = set(tree.parameters)
    for slot in (1, 0):
        for name, q in per[slot].items():
            for i in np.flatnonzero(q.expr_index >= 0):
                expr = q.exprs[int(q.expr_index[i])]
                unknown = sorted(s.name for s in expr.free_symbols if s.name not in known)
                if unknown:
                    problems.append(
                        UnknownNameError(
                            f"unknown parameter{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(repr(u) for u in unknown)} in {q.raw[i]!r}",
                            node=nodes[i].path,
                            field=f"payoff.{name}",
                        )
                    )
    return scalars[0], scalars[1], (per[0], per[1], problems)


def _kind_slow(node: Any) -> int:
    for cls, code in _KIND_CODE.items():
        if isinstance(node, cls):
            return code
    raise ModelError(f"{type(node).__name__} is not a Decision, Chance or Terminal node")


def _quantity(raw: list[Any], *, rest_ok: bool = False) -> Quantity:
    n = len(raw)
    if isinstance(raw, FloatColumn):  # a table's numbers (evtree.core.table): NaN where missing
        values = raw.values
        const = np.broadcast_to(0.0, (n,)) if values.strides == (0,) else np.nan_to_num(values, nan=0.0)
        return Quantity(const, np.broadcast_to(np.int64(-1), (n,)), (), raw)
    try:
        const = np.array(raw, dtype=float)  # None becomes NaN (no NaN is ever stored: checked on input)
        if const.shape != (n,):
            raise ValueError
        np.nan_to_num(const, copy=False, nan=0.0)
        # Every entry constant: one shared, read-only -1 for the expression indices.
        return Quantity(const, np.broadcast_to(np.int64(-1), (n,)), (), raw)
    except (TypeError, ValueError, OverflowError):
        pass
    const = np.zeros(n, dtype=float)
    index = np.full(n, -1, dtype=np.int64)
    table: dict[sympy.Expr, int] = {}
    for i, r in enumerate(raw):
        if r is None:
            continue
        if isinstance(r, str) and r == model.REST:
            const[i] = np.nan
            continue
        if type(r) is components.Payoffs:  # refused by the structure checks
            const[i] = np.nan
            continue
        if isinstance(r, numbers.Number) and not isinstance(r, sympy.Basic):
            const[i] = float(r)
            continue
        expr = as_expr(r)
        if not expr.free_symbols:
            const[i] = float(expr)
            continue
        const[i] = np.nan
        index[i] = table.setdefault(expr, len(table))
    return Quantity(const, index, tuple(table), raw)


def _given(raw: Any) -> np.ndarray:
    """Mask of the entries that are not ``None``."""
    if isinstance(raw, FloatColumn):
        return raw.given()
    return np.fromiter(map(is_not, raw, repeat(None)), dtype=bool, count=len(raw))


def _structure_problems(
    tree: model.DecisionTree, flat: FlatTree, names: list[Any], labels: list[Any]
) -> list[ModelError]:
    problems: list[ModelError] = []
    known = set(tree.parameters)
    nodes = flat.nodes
    # Checks run on arrays and whole lists first; paths are only built for nodes with problems.
    for i in np.flatnonzero((flat.kind != TERMINAL) & (flat.n_children == 0)):
        problems.append(
            ModelError(f"{_KIND_NAMES[int(flat.kind[i])]} node has no branches", node=nodes[i].path)
        )
    terminal = flat.kind == TERMINAL
    payoff_given = _given(flat.payoff.raw)
    for i in np.flatnonzero(terminal & ~payoff_given):
        problems.append(ModelError("terminal has no payoff", node=nodes[i].path, field="payoff"))
    # Names may repeat (two "Final court decision" nodes); such nodes are keyed by their
    # path, and looking one up by the shared name is refused listing the candidates.
    # (A table compiles without nodes only when its names are unique: NodeTable.plain.)
    previous = tree._compiled
    for n in previous.cache.get("duplicate_named", ()) if previous is not None else ():
        n._dup = False
    named = [] if isinstance(nodes, LazyNodes) else [x for x in names if x is not None]
    if len(named) != len(set(named)):
        from collections import Counter

        counts = Counter(named)
        duplicated = [nodes[i] for i, x in enumerate(names) if x is not None and counts[x] > 1]
        for n in duplicated:
            n._dup = True
        flat.cache["duplicate_named"] = duplicated
    under_chance = flat.under_chance
    prob_given = _given(flat.probability.raw)
    for i in np.flatnonzero(under_chance & ~prob_given):
        problems.append(
            ModelError("chance branch has no probability", node=nodes[i].path, field="probability")
        )
    not_chance = ~under_chance
    not_chance[0] = True
    for i in np.flatnonzero(not_chance & prob_given):
        where = "the root" if i == 0 else "a decision branch"
        problems.append(
            ModelError(f"{where} cannot have a probability", node=nodes[i].path, field="probability")
        )
    if flat.rest.any():
        uniq, counts = np.unique(flat.parent[flat.rest], return_counts=True)
        for p in uniq[counts > 1]:
            problems.append(
                ModelError("more than one branch takes the 'rest' probability", node=nodes[p].path)
            )
    if flat.branch_payoff.raw[0] is not None:
        problems.append(
            ModelError("the root cannot have a branch payoff", node=nodes[0].path, field="payoff")
        )
    if None in labels[1:]:
        for i in range(1, len(nodes)):
            if labels[i] is None:
                problems.append(ModelError("branch has no label", node=nodes[i].path, field="label"))
    if _has_duplicate_siblings(flat, labels):
        for i in np.flatnonzero(flat.n_children > 1):
            sibling_labels = [c._label for c in _children(nodes[i])]
            dupes = sorted({x for x in sibling_labels if x is not None and sibling_labels.count(x) > 1})
            for x in dupes:
                problems.append(
                    ModelError(f"two branches are labelled {x!r}", node=nodes[i].path, field="label")
                )
    for field, q in (
        ("probability", flat.probability),
        ("payoff", flat.branch_payoff),
        ("payoff", flat.payoff),
    ):
        if q.is_constant:
            continue
        bad_exprs = {
            j: sorted(s.name for s in e.free_symbols if s.name not in known) for j, e in enumerate(q.exprs)
        }
        for i in np.flatnonzero(q.expr_index >= 0):
            unknown = bad_exprs[int(q.expr_index[i])]
            if unknown:
                listed = ", ".join(repr(u) for u in unknown)
                problems.append(
                    UnknownNameError(
                        f"unknown parameter{'s' if len(unknown) > 1 else ''} {listed} in {q.raw[i]!r}",
                        node=nodes[i].path,
                        field=field,
                    )
                )
    if tree.utility is not None and tree.objective != "max":
        problems.append(ModelError("a utility function needs objective 'max'", field="utility"))
    if model._EVENTS_USED[0] and not isinstance(nodes, LazyNodes):  # a plain table has no events
        problems.extend(_event_problems(flat))
    return problems


def _event_problems(flat: FlatTree) -> list[ModelError]:
    """Return the problems of shared events: copies of one event must have the same branches."""
    problems: list[ModelError] = []
    first: dict[str, model.Node] = {}
    for i in flat.chance_indices:
        node = flat.nodes[i]
        ev = getattr(node, "_event", None)
        if ev is None:
            continue
        if ev not in first:
            first[ev] = node
            continue
        mine = sorted(str(c._label) for c in _children(node))
        theirs = sorted(str(c._label) for c in _children(first[ev]))
        if mine != theirs:
            problems.append(
                ModelError(
                    f"copies of event {ev!r} must have the same branches: {mine} here, "
                    f"{theirs} at {first[ev].path}",
                    node=node.path,
                    field="event",
                )
            )
    return problems


def _has_duplicate_siblings(flat: FlatTree, labels: list[Any]) -> bool:
    """Whether two children of one node may share a label (exact checks follow a ``True``).

    Level by level: where every parent of a level has the same few children,
    the i-th and j-th children of all parents are compared as whole lists;
    elsewhere (parent, label) pairs are counted.
    """
    for level in flat.levels:
        c, d = level.children.start, level.children.stop
        block = labels[c:d]
        k = level.uniform
        if 1 < k <= 8:
            columns = [block[j::k] for j in range(k)]
            for a in range(k):
                for b in range(a + 1, k):
                    if any(map(eq, columns[a], columns[b])):
                        return True
        elif k != 1 and len(set(zip(flat.parent[c:d].tolist(), block))) != d - c:
            return True
    return False


def parameter_point(
    tree: model.DecisionTree, values: Mapping[str, Any] | None = None, *, method: str = "float"
) -> dict[str, Any]:
    """Return the value of every parameter: its default, overridden by ``values``.

    In ``"float"`` arithmetic values may be arrays, which broadcast together.
    In ``"exact"`` arithmetic every value is converted to an exact number.
    In ``"symbolic"`` arithmetic parameters not in ``values`` stay symbols.
    """
    values = dict(values or {})
    for name in values:
        tree.parameter(name)  # raises UnknownNameError
    if values and any(p.is_formula for p in tree.parameters.values()):
        values = {k: v for k, v in values.items() if not _is_own_formula(tree, k, v)}
    point: dict[str, Any] = {}
    for name, p in tree.parameters.items():
        if p.is_formula and name not in values:
            point[name] = None  # computed below, once every base value is known
            continue
        if method == "symbolic":
            point[name] = as_expr(values[name]) if name in values else symbol(name)
        elif method == "exact":
            v = values.get(name, p.exact)
            try:
                point[name] = exact_number(v)
            except (TypeError, ValueError) as err:
                raise ModelError(f"cannot use {v!r} in exact arithmetic: {err}", field=name) from None
        elif method == "float":
            v = values.get(name, p.exact)
            if isinstance(v, sympy.Basic):
                v = float(v)
            elif isinstance(v, Fraction):
                v = float(v)
            point[name] = np.asarray(v, dtype=float)
        else:
            raise ValueError(f"unknown arithmetic {method!r}")
    if any(p.is_formula for p in tree.parameters.values()):
        _formula_values(tree, point, values, method)
    return point


def _formula_values(
    tree: model.DecisionTree, point: dict[str, Any], given: Mapping[str, Any], method: str
) -> None:
    """Replace each formula parameter's entry of ``point`` by the formula's value there.

    Formulas are computed in dependency order from the values in ``point``, so a
    formula follows the base parameters and any formula parameter given a value
    in ``given`` (which overrides its formula).
    """
    for name in model.resolve_formulas(tree.parameters):  # dependency order
        if name in given:
            continue
        formula = tree.parameters[name].formula
        args = sorted(s.name for s in formula.free_symbols)
        if method == "float":
            cache = _FORMULA_FUNCTIONS
            fn = cache.get((formula, tuple(args)))
            if fn is None:
                fn = sympy.lambdify([symbol(a) for a in args], formula, "numpy")
                cache[(formula, tuple(args))] = fn
            # A formula without a finite value here (0/0) is kept as NaN: the tree's own
            # expressions, where they use it, report the node and field.
            with np.errstate(all="ignore"):
                point[name] = np.asarray(fn(*(point[a] for a in args)), dtype=float)
        else:
            point[name] = formula.xreplace({symbol(a): point[a] for a in args})


_FORMULA_FUNCTIONS: dict[Any, Any] = {}


def check_probabilities(
    tree: model.DecisionTree,
    flat: FlatTree,
    *,
    method: str = "exact",
    values: Mapping[str, Any] | None = None,
) -> None:
    """Check every chance node's probabilities at a parameter point.

    Each must lie in [0, 1] and each node's must sum to 1: exactly in exact
    arithmetic, within :data:`PROBABILITY_TOLERANCE` in float arithmetic, and in
    symbolic arithmetic identically in the parameters (then also exactly at the
    default values).

    Raises
    ------
    ProbabilityError
        Naming the chance node and its branch.
    """
    from .rollback import arithmetic

    if method == "symbolic":
        arith = arithmetic("symbolic")
        probs = arith.probabilities(flat, parameter_point(tree, values, method="symbolic"))
        for p in flat.chance_indices:
            a = int(flat.first_child[p])
            b = a + int(flat.n_children[p])
            total = sympy.expand(sum(probs[a:b]))
            if total != 1 and sympy.simplify(total - 1) != 0:
                raise ProbabilityError(
                    f"probabilities sum to {total}, which is not identically 1 "
                    "(give one branch the probability 'rest')",
                    node=flat.nodes[p].path,
                )
        method = "exact"
        values = {k: v for k, v in (values or {}).items() if not isinstance(v, sympy.Basic) or v.is_number}
    arith = arithmetic(method)
    probs = arith.probabilities(flat, parameter_point(tree, values, method=method))
    arith.check_probabilities(flat, probs)


def raise_problems(flat: FlatTree) -> None:
    """Raise :class:`ValidationError` if the tree has structural problems."""
    if flat.problems:
        raise ValidationError(list(flat.problems))


# ----------------------------------------------------------------------------- strategies
def strategy_count(tree: model.DecisionTree) -> int:
    """Return the number of complete strategies, without listing them (exact, however large).

    A terminal has one strategy, a decision the sum of its branches' counts and
    a chance node the product of its branches' counts (a choice below every
    branch), computed level by level from the deepest, so any depth and width
    count in time linear in the size of the tree.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> strategy_count(texaco_pennzoil())
    3
    """
    import math

    flat = compile_tree(tree)
    counts = np.ones(flat.size, dtype=object)
    for level in reversed(flat.levels):
        kids = counts[level.children]
        out = []
        for kind, s, c in zip(level.kinds, level.starts, level.counts):
            seg = kids[s : s + c]
            out.append(sum(seg) if kind == DECISION else math.prod(seg))
        parents = level.parents
        if isinstance(parents, slice):
            counts[parents] = out
        else:
            for p, v in zip(parents, out):
                counts[p] = v
    return int(counts[0])


def iter_strategies(tree: model.DecisionTree, fixed: Mapping[str, str] | None = None) -> Any:
    """Yield every complete strategy: a choice at each decision node it reaches.

    With ``fixed`` (decision key to label), only the strategies that make
    those choices where they reach the decision.

    Each strategy is a dict from decision key (name, or path) to branch label,
    in pre-order; strategies come in the order where the choice met last in
    pre-order changes fastest.  Built by backtracking with explicit stacks (the
    nodes still to visit are a linked list shared between choice points), so
    neither depth nor the number of branches of a chance node is limited by
    Python's recursion limit, and no product of the branches' lists is built.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> [list(s.values()) for s in iter_strategies(texaco_pennzoil())]  # doctest: +NORMALIZE_WHITESPACE
    [['accept 2'], ['counteroffer 5', 'accept 3'], ['counteroffer 5', 'refuse 3']]
    """
    compile_tree(tree)  # marks repeated names, on which keys depend
    return _backtrack(tree.root, dict(fixed or {}))


def _backtrack(root: model.Node, fixed: Mapping[str, str]) -> Any:
    keys: dict[int, str] = {}

    def key_of(node: model.Node) -> str:
        k = keys.get(id(node))
        if k is None:
            k = keys[id(node)] = node.key
        return k

    work: Any = (root, None)  # nodes to visit: (node, rest) cons cells
    policy: list[tuple[str, str]] = []
    choices: list[list[Any]] = []  # [decision, next branch, work after it, policy length]
    while True:
        while work is not None:
            node, work = work
            kids = getattr(node, "_NodeMixin__children", ())
            if not kids:
                continue
            if isinstance(node, model.Decision):
                key = key_of(node)
                if key in fixed:
                    child = node.branch(fixed[key])
                    policy.append((key, fixed[key]))
                    work = (child, work)
                    continue
                choices.append([node, 1, work, len(policy)])
                policy.append((key, kids[0]._label))
                work = (kids[0], work)
            else:
                for child in reversed(kids):
                    work = (child, work)
        yield dict(policy)
        while choices:
            top = choices[-1]
            node, i, rest, length = top
            kids = node._NodeMixin__children
            if i < len(kids):
                top[1] = i + 1
                del policy[length:]
                policy.append((key_of(node), kids[i]._label))
                work = (kids[i], rest)
                break
            choices.pop()
        else:
            return


def reached_decisions(tree: model.DecisionTree, policy: Mapping[str, str]) -> list[str]:
    """Return the keys of the decisions that ``policy`` reaches, in pre-order (iterative).

    A decision in ``policy`` leads only to the branch it names; one not in it
    leads to all its branches.
    """
    compile_tree(tree)
    out: list[str] = []
    stack = [tree.root]
    while stack:
        node = stack.pop()
        kids = getattr(node, "_NodeMixin__children", ())
        if not kids:
            continue
        if isinstance(node, model.Decision):
            key = node.key
            if key in policy:
                out.append(key)
                stack.append(node.branch(policy[key]))
                continue
        stack.extend(reversed(kids))
    return out


# ----------------------------------------------------------------------------- shared subtrees
@dataclasses.dataclass(frozen=True)
class Block:
    """One named subtree compiled once, for all its identical copies in a tree.

    Attributes
    ----------
    name : str
        The subtree's name (``node.use`` of its copies).
    flat : FlatTree
        The subtree compiled from its first copy, with the branch into it left
        out (no probability, no payoff): its values are *local*, without the
        payoffs accumulated above, so they hold at every copy.
    copies : tuple of int
        Positions, in the plan's main :class:`FlatTree`, of the copies' top nodes.
    """

    name: str
    flat: FlatTree
    copies: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class SharedPlan:
    """A tree compiled with its repeated named subtrees as blocks rolled back once.

    Attributes
    ----------
    main : FlatTree
        The tree with the top node of every shared copy as a leaf.
    blocks : tuple of Block
        One per named subtree used more than once (identical copies only).
    expanded : FlatTree or None
        The whole tree's compiled form (every copy expanded), which
        :attr:`positions` places the main tree's and the blocks' nodes in.
    """

    main: FlatTree
    blocks: tuple[Block, ...]
    expanded: FlatTree | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        """Nodes compiled: the main tree's and each block's once."""
        return self.main.size + sum(b.flat.size - 1 for b in self.blocks)

    @cached_property
    def positions(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Where the plan's nodes are in the expanded tree (:attr:`expanded`).

        Returns ``(main, blocks)``: ``main[i]`` is the expanded position of the
        main tree's node ``i``; ``blocks[b][c, k]`` that of block ``b``'s node
        ``k`` in its copy ``c`` (column 0: the copies' tops).  Copies are
        identical, so each copy's nodes in breadth-first order are the block's;
        found level by level on the expanded tree's arrays, without a lookup
        per node.
        """
        full = self.expanded if self.expanded is not None else self.main
        index = full.index
        main = np.fromiter((index[id(n)] for n in self.main.nodes), dtype=np.int64, count=self.main.size)
        out = []
        for block in self.blocks:
            current = main[list(block.copies)]
            columns = [current[:, None]]
            copies = len(block.copies)
            while True:
                counts = full.n_children[current.reshape(-1)]
                if not counts.any():
                    break
                current = _segment_index(full.first_child[current.reshape(-1)], counts).reshape(copies, -1)
                columns.append(current)
            where = np.concatenate(columns, axis=1)
            if where.shape[1] != block.flat.size:  # pragma: no cover - copies are checked identical
                raise AssertionError(f"a copy of {block.name!r} does not have the block's shape")
            out.append(where)
        return main, tuple(out)


def _segment_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + c)`` for every start and count, vectorised."""
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + (np.arange(int(counts.sum())) - offsets)


def sharing_allowed(tree: model.DecisionTree, utility: Any = None) -> bool:
    """Whether a subtree's local value may be computed once and reused at every copy.

    The rule: the value at a copy's top must be the payoffs accumulated above it
    plus a value that depends on the subtree alone.  Every decision rule of
    :mod:`evtree.core.rules` has that property with additive payoffs (the
    expected value, the worst and the best outcome all move by a constant added
    to every outcome, and the choices do not change), so sharing is allowed
    with one payoff per outcome and no utility function.  A utility function
    (``tree.utility`` or ``utility``) is nonlinear in general (log, power), so
    the wealth above a copy changes its value and possibly its choices: no
    sharing.  (The exponential utility is shift-invariant and could share; it is
    not special-cased.)  Criteria, players and per-terminal utilities are not
    shared either.  :func:`evtree.evaluate` applies the same rule to the utility
    it resolves (``utility=None`` on a tree with a utility is risk neutral, and
    shares), in exact arithmetic and, where the expressions stay the same, in
    symbolic arithmetic.
    """
    return (
        utility is None
        and tree.utility is None
        and not tree.component_names
        and not tree.has_terminal_utilities
    )


def shared_plan(tree: model.DecisionTree, *, whole: Any = ()) -> SharedPlan:
    """Compile ``tree`` with every named subtree used more than once as one shared :class:`Block`.

    Copies of one subtree (``node.use``) are shared when they are identical
    (same shape and fields: a copy edited after the tree was built is compiled
    on its own) and have branches (a terminal gains nothing).  Only the
    outermost copies are blocks; references inside a subtree stay inside its
    block.  A copy holding one of the nodes in ``whole`` (say, a decision a
    fixed policy chooses at) is compiled with the main tree, expanded.  Cached
    on the tree's compiled form.
    """
    flat = compile_tree(tree)
    plans = flat.cache.setdefault("shared_plans", {})
    plan = plans.get(frozenset())
    if plan is None:
        plan = plans[frozenset()] = _plan(tree, flat, frozenset())
    if not whole or not plan.blocks:  # nothing shared: nothing to keep expanded either
        return plan
    inside = _outermost_copies(tree, whole)  # the copies kept expanded
    plan = plans.get(inside)
    if plan is None:
        if len(plans) > _PLANS_KEPT:  # plans for fixed policies (a strategy table's): a few
            del plans[next(k for k in plans if k)]
        plan = plans[inside] = _plan(tree, flat, inside)
    return plan


#: How many plans with expanded copies (for fixed policies) a compiled tree keeps, besides its own.
_PLANS_KEPT = 8


def _plan(tree: model.DecisionTree, flat: FlatTree, inside: frozenset[int]) -> SharedPlan:
    """Return the plan of :func:`shared_plan`, the copies whose ids are in ``inside`` expanded."""
    if not tree.subtrees or tree._root is None:  # no named subtree (a table has none): nothing to share
        return SharedPlan(flat, ())
    groups: dict[str, list[model.Node]] = {}
    stack = [tree.root]
    while stack:  # outermost copies, in pre-order
        node = stack.pop()
        name = node._use
        kids = getattr(node, "_NodeMixin__children", ())
        if name is not None and node is not tree.root and kids and id(node) not in inside:
            groups.setdefault(name, []).append(node)
            continue
        if kids:
            stack.extend(reversed(kids))
    shared: dict[str, list[model.Node]] = {}
    for name, copies in groups.items():
        same = [c for c in copies if c is copies[0] or _same_subtree(copies[0], c)]
        if len(same) > 1:
            shared[name] = same
    cut = {id(c) for copies in shared.values() for c in copies}
    with model.building():
        main = _compile(tree, cut=cut) if cut else flat
        if cut and _formula_key(tree):
            main = _substitute_formulas(tree, main)
        blocks = []
        for name, copies in shared.items():
            block = _compile(tree, top=copies[0])
            block = dataclasses.replace(
                block,
                probability=_without_top(block.probability),
                branch_payoff=_without_top(block.branch_payoff),
                rest=np.concatenate([[False], block.rest[1:]]),
            )
            if _formula_key(tree):
                block = _substitute_formulas(tree, block)
            index = main.index
            blocks.append(Block(name, block, tuple(index[id(c)] for c in copies)))
    return SharedPlan(main, tuple(blocks), flat)


def _outermost_copies(tree: model.DecisionTree, nodes: Any) -> frozenset[int]:
    """Return the ids of the copies (nodes with ``use``) that hold any of ``nodes``, at any depth."""
    out = set()
    seen: set[int] = set()  # each ancestor climbed once: linear in the tree's size
    for node in nodes:
        current = node
        while current is not None and current is not tree.root and id(current) not in seen:
            seen.add(id(current))
            if current._use is not None:
                out.add(id(current))
            current = current.parent
    return frozenset(out)


def _same_subtree(a: model.Node, b: model.Node) -> bool:
    """Whether two copies have the same shape and fields below their tops (the tops' branches may differ)."""
    left, right = model.iter_preorder(a), model.iter_preorder(b)
    next(left), next(right)
    if type(a) is not type(b) or len(a.children) != len(b.children):
        return False
    if {k: v for k, v in a.__dict__.items() if k not in _BRANCH_FIELDS} != {
        k: v for k, v in b.__dict__.items() if k not in _BRANCH_FIELDS
    }:
        return False
    return all(
        x is not None and y is not None and x._fields_equal(y) and len(x.children) == len(y.children)
        for x, y in zip_longest(left, right)
    )


#: A copy's top node's attributes that belong to the branch into it or to its place in the tree.
_BRANCH_FIELDS = frozenset(
    {"_label", "_probability", "_branch_payoff", "_dup", "_NodeMixin__parent", "_NodeMixin__children"}
)


def _without_top(q: Quantity) -> Quantity:
    """Return the quantity with the block top's entry (the branch into the copy) removed."""
    const, index, raw = q.const.copy(), q.expr_index.copy(), list(q.raw)
    const[0], index[0], raw[0] = 0.0, -1, None
    return Quantity(const, index, q.exprs, raw)


@dataclasses.dataclass(frozen=True)
class SharedRollback:
    """The result of :func:`shared_rollback`.

    Attributes
    ----------
    value : Any
        The root's value (as :func:`evtree.evaluate` gives it).
    local_values : dict
        Each shared subtree's local value (without the payoffs above its copies).
    rollbacks : int
        How many blocks were rolled back: the main tree plus one per shared subtree,
        however many copies each has.
    plan : SharedPlan
    """

    value: Any
    local_values: dict[str, Any]
    rollbacks: int
    plan: SharedPlan
    tree: Any = dataclasses.field(default=None, repr=False)
    method: str = "float"
    _main: Any = dataclasses.field(default=None, repr=False)
    _above: dict[int, Any] = dataclasses.field(default_factory=dict, repr=False)
    _blocks: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def value_of(self, node: model.Node | str) -> Any:
        """Value at any node (path convention: payoffs above included), inside a copy too.

        A node inside a copy of a shared subtree takes the payoffs accumulated
        above the copy plus the block's local value at the same place.
        """
        if self._main is None:
            raise EvaluationError("value_of needs a rollback made by shared_rollback with sharing")
        if isinstance(node, str):
            node = self.tree.node(node)
        out = _float_value if self.method == "float" else _plain_value
        main = self.plan.main
        i = main.index.get(id(node))
        if i is not None:
            return out(self._main[i])
        tops = {id(main.nodes[j]): (block, j) for block in self.plan.blocks for j in block.copies}
        labels, current = [], node
        while current is not None and id(current) not in tops:
            labels.append(current._label)
            current = current.parent
        if current is None:
            raise UnknownNameError("the node is not in this tree", node=node.key)
        block, j = tops[id(current)]
        target = block.flat.nodes[0]
        for label in reversed(labels):
            target = target.branch(label)
        return out(self._above[j] + self._blocks[block.name][block.flat.index[id(target)]])


def shared_rollback(
    tree: model.DecisionTree,
    values: Mapping[str, Any] | None = None,
    *,
    method: str = "float",
    rule: str | None = None,
    share: bool = True,
) -> SharedRollback:
    """Roll the tree back with each repeated named subtree rolled back once (see :func:`shared_plan`).

    Each block's local values are computed once; at every copy the value is
    the payoffs accumulated above it plus the block's local value, which is
    then rolled back with the rest of the tree.  Allowed under the rule of
    :func:`sharing_allowed`; otherwise, or with ``share=False`` (the expanded
    tree, for comparison), the tree is rolled back whole (``rollbacks`` is then 1).
    Probabilities are checked as :func:`evtree.evaluate` checks them.

    Examples
    --------
    >>> from evtree import Branch, Chance, Decision, DecisionTree, Terminal, Use
    >>> court = Chance("court", [Branch("win", Terminal(10), probability="1/2"),
    ...                          Branch("lose", Terminal(0), probability="rest")])
    >>> tree = DecisionTree(Decision("d", [Branch("sue", Use("court"), payoff=-1),
    ...                                    Branch("appeal", Use("court"), payoff=-2)]),
    ...                     subtrees={"court": court})
    >>> r = shared_rollback(tree, method="exact")
    >>> str(r.value), str(r.local_values["court"]), r.rollbacks  # 5 - 1: sue; the court once
    ('4', '5', 2)
    """
    from .rollback import arithmetic, outcomes, rollback

    if not sharing_allowed(tree) or tree.criteria_objective is not None:
        from .evaluate import evaluate  # a utility or criteria: evaluate's own rollback, nothing shared

        whole = evaluate(tree, values, method=method, rule=rule)
        return SharedRollback(whole.value, {}, 1, SharedPlan(compile_tree(tree), ()), tree, method)
    rule = rule or tree.rule
    arith = arithmetic(method)
    point = parameter_point(tree, values, method=method)
    plan = shared_plan(tree) if share else SharedPlan(compile_tree(tree), ())
    raise_problems(compile_tree(tree))
    if method == "symbolic":  # identically in the parameters: on the whole tree
        check_probabilities(tree, compile_tree(tree), method="symbolic", values=values)
    check = (lambda flat, probs: None) if method == "symbolic" else arith.check_probabilities
    main = plan.main
    leaf = outcomes(main, arith, point)
    local: dict[str, Any] = {}
    above: dict[int, Any] = {}
    block_values: dict[str, Any] = {}
    for block in plan.blocks:
        probs = arith.probabilities(block.flat, point)
        check(block.flat, probs)
        rolled = rollback(block.flat, arith, outcomes(block.flat, arith, point), probs, rule)
        local[block.name] = rolled[0]
        block_values[block.name] = rolled
        for i in block.copies:
            above[i] = leaf[i].copy() if isinstance(leaf[i], np.ndarray) else leaf[i]
            leaf[i] = leaf[i] + rolled[0]
    probs = arith.probabilities(main, point)
    check(main, probs)
    rolled = rollback(main, arith, leaf, probs, rule)
    out = _plain_value if method != "float" else _float_value
    return SharedRollback(
        out(rolled[0]),
        {k: out(v) for k, v in local.items()},
        1 + len(plan.blocks),
        plan,
        tree,
        method,
        rolled,
        above,
        block_values,
    )


def _plain_value(value: Any) -> Any:
    return value


def _float_value(value: Any) -> Any:
    return float(np.asarray(value).reshape(-1)[0])
