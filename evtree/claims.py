"""Claims about a tree, proved, refuted or left undecided over the whole parameter space.

    Claim            a statement about values: dominance, optimality, a bound, any inequality
    ParameterSpace   the parameters' bounds, the probability simplex, and assumptions
    ClaimResult      a verdict with its method and a certificate, counterexample or evidence
    ClaimReport      the results of every claim stated with a tree
    Region           where a claim holds, exactly, in one or two parameters
    OptionValue      a tree's value against the same tree with decisions fixed, proved >= 0
    check            check one claim over the parameter space
    check_claims     check every claim stated with a tree (``tree.claims``)
    parameter_space  the space a claim is checked over
    holds_where      the exact region where a claim holds, in one or two parameters
    option_value     the value of keeping options open

A claim compares two value expressions, ``lhs >= rhs`` (or ``<=``, ``>``, ``<``).
It is checked on the *difference* ``D = lhs - rhs`` (``rhs - lhs`` for ``<=``),
computed symbolically by :func:`evtree.evaluate` (decision values are ``Max``),
over every parameter point allowed: each parameter within its bounds, each
chance node's probabilities in [0, 1] (they sum to 1 identically), and the
claim's assumptions.  The verdict is

proven
    with a certificate a reader can check, from one of these methods:

    * ``constant``: the difference simplifies to a number;
    * ``certificate``: an exact identity ``D = c0 + sum_k y_k g_k`` with
      rational ``y_k >= 0`` and ``c0 >= 0``, where each ``g_k`` is a constraint
      of the space (``g >= 0``), a product of two constraints, or a fact
      ``Max(a, b, ...) - a >= 0`` (Handelman-style, found by linear programming
      and then solved and verified in exact arithmetic);
    * ``vertices``: on a region where ``D`` has no ``Max`` and is affine in each
      block of coupled parameters (multilinear in independent ones), its
      minimum is at a vertex, and every vertex is checked exactly;
    * ``case split``: each ``Max`` is replaced by each of its arguments on the
      region where that argument is the largest, and each region is proven
      by one of the methods above;

refuted
    with a counterexample point (exact rationals) where the claim fails,
    re-checked by evaluating the tree there in exact arithmetic;

undecided
    with the worst case found by global optimisation
    (:func:`scipy.optimize.differential_evolution`) and where.  A proof is
    never reported from sampling alone.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from .core import model
from .core.errors import EvaluationError, ExpressionError, ModelError, UnknownNameError
from .core.expressions import exact_number, parse_expression, symbol
from .core.presenters import Presentable

__all__ = [
    "Claim",
    "ClaimReport",
    "ClaimResult",
    "Constraint",
    "OptionValue",
    "ParameterSpace",
    "Region",
    "ValueOf",
    "check",
    "check_claims",
    "holds_where",
    "option_value",
    "parameter_space",
]

#: The comparison senses a claim may use.
SENSES = (">=", "<=", ">", "<")
#: Verdicts.
PROVEN, REFUTED, UNDECIDED = "proven", "refuted", "undecided"
#: At most this many regions are examined in a case split.
MAX_REGIONS = 256
#: Vertex enumeration gives up above this many vertex combinations.
MAX_VERTEX_POINTS = 50_000
#: Box corners tried exactly when looking for a counterexample.
MAX_CORNERS = 1024

_KINDS = ("dominance", "optimal", "bound", "inequality")
_SPEC_KEYS = {
    "name",
    "kind",
    "claim",
    "a",
    "b",
    "at",
    "strategy",
    "node",
    "sense",
    "bound",
    "assuming",
    "fix",
    "vary",
    "region",
    "description",
}


# ===================================================================== claims as objects
@dataclasses.dataclass(frozen=True)
class ValueOf:
    """The value of a node, with some decisions fixed (the others optimal).

    Parameters
    ----------
    node : str or None
        A node name, a path (``us_choice/talks``, or ``after_flouts/say no``
        from a named node), or a branch label used once in the tree (the node
        it leads to).  ``None`` is the root.
    policy : tuple of (decision, label) pairs
        Decisions fixed to a branch; the others are chosen optimally.
    """

    node: str | None = None
    policy: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        pol = ", ".join(f"{d}={label}" for d, label in self.policy)
        if self.node is None:
            return f"EV({pol})"
        return f"EV({self.node} | {pol})" if pol else f"EV({self.node})"


def _policy_tuple(policy: Mapping[str, str] | None, where: str = "") -> tuple[tuple[str, str], ...]:
    if policy is None:
        return ()
    if not isinstance(policy, Mapping):
        raise ModelError(f"a strategy is a mapping of decision to label, got {policy!r}", field=where or None)
    return tuple((str(k), str(v)) for k, v in policy.items())


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claim about a tree's values, checked over the whole parameter space.

    Build one with :meth:`dominance`, :meth:`optimal`, :meth:`bound`,
    :meth:`inequality` or :meth:`from_spec` (the tree-file form).

    Attributes
    ----------
    lhs, rhs : ValueOf, str or sympy.Expr
        The two sides.  Text may refer to values as ``EV(ref)`` or
        ``value(ref)`` (see :class:`ValueOf` for ``ref``; ``EV(d=label, ...)`` is
        the tree's value with those decisions fixed) and to parameters.
    sense : {">=", "<=", ">", "<"}
    name : str
        A short name.
    kind : {"dominance", "optimal", "bound", "inequality"}
    assuming : tuple of str
        Extra constraints, as text inequalities (``"g_flout >= c_talk"``),
        which may refer to values too; ``==`` fixes both ways.
    fix : tuple of (name, value) pairs
        Parameters fixed to exact values.
    vary : tuple of str or None
        When given, only these parameters vary; the others stay at their
        defaults (unless fixed).
    region : tuple of str
        One or two parameters for which :func:`check_claims` also reports the
        exact region where the claim holds (others at their defaults).
    """

    lhs: Any
    sense: str
    rhs: Any
    name: str = ""
    kind: str = "inequality"
    assuming: tuple[str, ...] = ()
    fix: tuple[tuple[str, Any], ...] = ()
    vary: tuple[str, ...] | None = None
    region: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sense not in SENSES:
            raise ModelError(f"a claim's sense must be one of {', '.join(SENSES)}, got {self.sense!r}")
        if self.kind not in _KINDS:
            raise ModelError(f"unknown claim kind {self.kind!r} (kinds: {', '.join(_KINDS)})")
        for side in (self.lhs, self.rhs):
            if isinstance(side, str):
                _parse_side(side)  # syntax only; names are checked against a tree later
            elif not isinstance(side, (ValueOf, sympy.Expr, int, Fraction)):
                raise ModelError(f"a claim's side must be text, a value or an expression, got {side!r}")
        for text in self.assuming:
            _split_relation(text)
        if len(self.region) > 2:
            raise ModelError("a claim's region is shown for one or two parameters")

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def dominance(
        cls,
        a: Mapping[str, str],
        b: Mapping[str, str],
        *,
        at: str | None = None,
        name: str = "",
        **options: Any,
    ) -> Claim:
        """Strategy (or option) ``a`` is worth at least ``b``.

        ``a`` and ``b`` fix decisions (``{}`` leaves every decision optimal);
        both are valued at node ``at`` (the root by default).

        Examples
        --------
        >>> str(Claim.dominance({"us_choice": "talks"}, {"us_choice": "no talks"}))
        'EV(us_choice=talks) >= EV(us_choice=no talks)'
        """
        lhs = ValueOf(at, _policy_tuple(a))
        rhs = ValueOf(at, _policy_tuple(b))
        return cls(lhs, ">=", rhs, name=name, kind="dominance", **_options(options))

    @classmethod
    def optimal(cls, strategy: Mapping[str, str], *, at: str | None = None, name: str = "", **options: Any):
        """Claim that the strategy is optimal: worth at least every other (at node ``at``)."""
        lhs = ValueOf(at, _policy_tuple(strategy))
        return cls(lhs, ">=", ValueOf(at), name=name, kind="optimal", **_options(options))

    @classmethod
    def bound(cls, node: str | None, sense: str, bound: Any, *, name: str = "", **options: Any) -> Claim:
        """Claim that a node's value is at least (``">="``) or at most (``"<="``) a bound."""
        if isinstance(bound, (int, float, Fraction)) and not isinstance(bound, bool):
            bound = exact_number(bound)
        return cls(ValueOf(node), sense, bound, name=name, kind="bound", **_options(options))

    @classmethod
    def inequality(cls, lhs: Any, sense: str | None = None, rhs: Any = None, *, name: str = "", **options):
        """Any inequality between two value expressions.

        Either one text ``"EV(talks) >= EV(no talks)"``, or ``lhs, sense, rhs``
        where each side is text, a :class:`ValueOf` or a sympy expression.

        Examples
        --------
        >>> c = Claim.inequality("EV(after_flouts) >= g_flout - c_talk")
        >>> c.sense, c.rhs
        ('>=', 'g_flout - c_talk')
        """
        if sense is None:
            if not isinstance(lhs, str):
                raise ModelError("give the claim as one text 'A >= B', or as lhs, sense, rhs")
            left, op, right = _split_relation(lhs)
            if op not in SENSES:
                raise ModelError(f"a claim compares with {', '.join(SENSES)}, not {op!r}")
            return cls(left, op, right, name=name, kind="inequality", **_options(options))
        return cls(lhs, sense, rhs, name=name, kind="inequality", **_options(options))

    @classmethod
    def from_spec(cls, spec: Any, *, where: str = "claims") -> Claim:
        """Build a claim from its tree-file form (see ``docs/claims.md``).

        Examples
        --------
        >>> c = Claim.from_spec({"name": "n", "kind": "dominance",
        ...                      "a": {"us_choice": "talks"}, "b": {"us_choice": "no talks"}})
        >>> c.kind, str(c)
        ('dominance', 'EV(us_choice=talks) >= EV(us_choice=no talks)')
        """
        try:
            return _from_spec(cls, spec)
        except ModelError as err:
            raise err.located(field=where) from None

    # -- display --------------------------------------------------------------------------
    def __str__(self) -> str:
        return f"{_side_text(self.lhs)} {self.sense} {_side_text(self.rhs)}"

    @property
    def title(self) -> str:
        """The claim's name, or its text."""
        return self.name or str(self)

    def to_spec(self) -> dict[str, Any]:
        """Return the claim in its tree-file form (text sides)."""
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        out["claim"] = str(self)
        if self.assuming:
            out["assuming"] = list(self.assuming)
        if self.fix:
            out["fix"] = {k: _plain_number(v) for k, v in self.fix}
        if self.vary is not None:
            out["vary"] = list(self.vary)
        if self.region:
            out["region"] = list(self.region)
        return out


def _plain_number(v: Any) -> Any:
    v = exact_number(v)
    return int(v) if v.is_Integer else str(v)


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(options) - {"assuming", "fix", "vary", "region"}
    if unknown:
        raise TypeError(f"unexpected option {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {}
    assuming = options.get("assuming") or ()
    if isinstance(assuming, str):
        assuming = (assuming,)
    out["assuming"] = tuple(str(a) for a in assuming)
    fix = options.get("fix") or {}
    if not isinstance(fix, Mapping):
        raise ModelError(f"'fix' must map parameter names to values, got {fix!r}")
    out["fix"] = tuple((str(k), v) for k, v in fix.items())
    vary = options.get("vary")
    if isinstance(vary, str):
        vary = (vary,)
    out["vary"] = None if vary is None else tuple(str(v) for v in vary)
    region = options.get("region") or ()
    if isinstance(region, str):
        region = (region,)
    out["region"] = tuple(str(r) for r in region)
    return out


def _from_spec(cls: type[Claim], spec: Any) -> Claim:
    if isinstance(spec, str):
        return cls.inequality(spec)
    if not isinstance(spec, Mapping):
        raise ModelError(f"a claim is text or a mapping, got {type(spec).__name__}")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise ModelError(
            f"unknown key {sorted(map(str, unknown))[0]!r} (allowed: {', '.join(sorted(_SPEC_KEYS))})"
        )
    name = str(spec.get("name") or "")
    opts = {k: spec[k] for k in ("assuming", "fix", "vary", "region") if k in spec}
    kind = spec.get("kind")
    if kind is None:
        kind = (
            "inequality"
            if "claim" in spec
            else "dominance"
            if "a" in spec
            else "bound"
            if "bound" in spec
            else None
        )
        if kind is None:
            raise ModelError("a claim needs 'claim' text, or a 'kind' with its fields")
    if kind == "inequality":
        if "claim" not in spec:
            raise ModelError("an inequality claim needs 'claim', e.g. 'EV(talks) >= EV(no talks)'")
        return cls.inequality(str(spec["claim"]), name=name, **opts)
    if kind == "dominance":
        for key in ("a", "b"):
            if key not in spec:
                raise ModelError(f"a dominance claim needs '{key}' (a strategy: decision -> label)")
        return cls.dominance(spec["a"] or {}, spec["b"] or {}, at=spec.get("at"), name=name, **opts)
    if kind == "optimal":
        if "strategy" not in spec:
            raise ModelError("an optimal claim needs 'strategy' (decision -> label)")
        return cls.optimal(spec["strategy"], at=spec.get("at"), name=name, **opts)
    if kind == "bound":
        if "bound" not in spec:
            raise ModelError("a bound claim needs 'bound' (a number or expression)")
        sense = str(spec.get("sense", ">="))
        bound = spec["bound"]
        bound = str(bound) if not isinstance(bound, (int, float)) or isinstance(bound, bool) else bound
        return cls.bound(spec.get("node"), sense, bound, name=name, **opts)
    raise ModelError(f"unknown claim kind {kind!r} (kinds: {', '.join(_KINDS)})")


def _side_text(side: Any) -> str:
    return str(side)


# --------------------------------------------------------------------- text with EV(...)
_REF = re.compile(r"\b(EV|value)\s*\(")
_OPS = (">=", "<=", "==", ">", "<", "=")


def _split_relation(text: str) -> tuple[str, str, str]:
    """Split ``A op B`` at its one comparison outside parentheses."""
    if not isinstance(text, str):
        raise ModelError(f"expected an inequality as text, got {text!r}")
    depth = 0
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            for op in _OPS:
                if text.startswith(op, i):
                    found.append((i, op))
                    i += len(op) - 1
                    break
        i += 1
    if len(found) != 1:
        what = "no comparison" if not found else "more than one comparison"
        raise ExpressionError(f"{what}; write one of {', '.join(SENSES)} or ==", expression=text)
    i, op = found[0]
    left, right = text[:i].strip(), text[i + len(op) :].strip()
    if not left or not right:
        raise ExpressionError("a side of the comparison is empty", expression=text, position=i + 1)
    return left, "==" if op == "=" else op, right


def _parse_side(text: str) -> tuple[sympy.Expr, dict[sympy.Symbol, ValueOf]]:
    """Parse a side: replace ``EV(...)`` by placeholder symbols, then the whitelist parser."""
    refs: dict[sympy.Symbol, ValueOf] = {}
    out = []
    pos = 0
    for m in list(_REF.finditer(text)):
        if m.start() < pos:
            continue
        close = text.find(")", m.end())
        if close < 0:
            raise ExpressionError("unclosed EV(", expression=text, position=m.start() + 1)
        inner = text[m.end() : close]
        if "(" in inner:
            raise ExpressionError("EV(...) cannot be nested", expression=text, position=m.start() + 1)
        name = f"evref{len(refs)}zq"
        refs[symbol(name)] = _parse_ref(inner, text)
        out.append(text[pos : m.start()])
        out.append(name)
        pos = close + 1
    out.append(text[pos:])
    expr = parse_expression("".join(out))
    return expr, refs


def _parse_ref(inner: str, text: str) -> ValueOf:
    node: str | None
    if "|" in inner:
        node_text, _, pol_text = inner.partition("|")
        node = node_text.strip() or None
    elif "=" in inner:
        node, pol_text = None, inner
    else:
        node, pol_text = (inner.strip() or None), ""
    policy = []
    for part in pol_text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ExpressionError(
                f"expected decision=label in EV(...), got {part.strip()!r}", expression=text
            )
        d, _, label = part.partition("=")
        policy.append((d.strip(), label.strip()))
    return ValueOf(node, tuple(policy))


# ===================================================================== parameter space
@dataclasses.dataclass(frozen=True)
class Constraint:
    """One constraint of a parameter space: ``expr >= 0`` (``> 0`` when strict).

    Attributes
    ----------
    expr : sympy.Expr
    strict : bool
    origin : str
        Where it comes from: a parameter's bounds, a probability, an assumption.
    """

    expr: sympy.Expr
    strict: bool = False
    origin: str = ""

    def __str__(self) -> str:
        return f"{self.expr} {'>' if self.strict else '>='} 0"

    def holds(self, point: Mapping[sympy.Symbol, Any]) -> bool:
        """Whether it holds at an exact point (symbols to exact numbers)."""
        v = _exact_value(self.expr, point)
        return bool(v > 0) if self.strict else bool(v >= 0)


@dataclasses.dataclass(frozen=True, eq=False)
class ParameterSpace:
    """The parameter points a claim is checked over.

    Attributes
    ----------
    tree : DecisionTree
    bounds : dict
        Free parameter name to exact ``(low, high)``; ``None`` where unbounded.
    fixed : dict
        Parameters held at exact values (fixed, or not varied).
    constraints : tuple of Constraint
        The probability simplex (every non-constant chance probability in
        [0, 1]) and the assumptions, with the fixed values substituted.
    """

    tree: model.DecisionTree
    bounds: Mapping[str, tuple[Any, Any]]
    fixed: Mapping[str, Any]
    constraints: tuple[Constraint, ...]

    @property
    def free(self) -> tuple[str, ...]:
        """Names of the parameters that vary."""
        return tuple(self.bounds)

    def all_constraints(self) -> list[Constraint]:
        """Bounds as constraints, then the other constraints."""
        out = []
        for name, (lo, hi) in self.bounds.items():
            x = symbol(name)
            if lo is not None:
                out.append(Constraint(sympy.expand(x - lo), False, f"bounds of {name}"))
            if hi is not None:
                out.append(Constraint(sympy.expand(hi - x), False, f"bounds of {name}"))
        return out + list(self.constraints)

    def contains(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point lies in the space (parameters not given at their defaults)."""
        pt = {symbol(k): v for k, v in self.full_point(point).items()}
        return all(c.holds(pt) for c in self.all_constraints())

    def full_point(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's exact value: ``point``, then fixed values, then defaults."""
        out = {name: p.exact for name, p in self.tree.parameters.items()}
        out.update(self.fixed)
        out.update({k: exact_number(v) for k, v in point.items()})
        return out

    def to_frame(self) -> Any:
        """One row per constraint: the constraint and where it comes from."""
        import pandas as pd

        rows = [{"constraint": str(c), "origin": c.origin} for c in self.all_constraints()]
        rows += [{"constraint": f"{k} = {v}", "origin": "fixed"} for k, v in self.fixed.items()]
        return pd.DataFrame(rows, columns=["constraint", "origin"])

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<p><b>Parameter space</b></p>" + self.to_frame().to_html(index=False)


def parameter_space(
    tree: model.DecisionTree,
    *,
    assuming: Iterable[str] = (),
    fix: Mapping[str, Any] | None = None,
    vary: Iterable[str] | None = None,
) -> ParameterSpace:
    """Return the space claims are checked over.

    Parameters
    ----------
    tree : DecisionTree
    assuming : iterable of str
        Extra constraints as text (``"g_flout >= c_talk"``); they may refer to
        values as ``EV(...)``.  ``==`` constrains both ways.
    fix : mapping, optional
        Parameters held at exact values.
    vary : iterable of str, optional
        Only these vary; the others (not fixed) stay at their defaults.

    Raises
    ------
    UnknownNameError
        If a parameter is not known.
    ModelError
        If a fixed value is outside its parameter's bounds, or the fixed
        values contradict a probability or an assumption.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> space = parameter_space(korea_talks(), vary=["p_defect"])
    >>> space.bounds
    {'p_defect': (0, 1)}
    >>> [str(c) for c in space.constraints]
    ['1/2 - p_defect >= 0', 'p_defect + 1/2 >= 0', 'p_defect >= 0', '1 - p_defect >= 0']
    """
    return _space(_Context(tree), tuple(assuming), dict(fix or {}), None if vary is None else tuple(vary))


def _space(
    ctx: _Context, assuming: tuple[str, ...], fix: Mapping[str, Any], vary: tuple[str, ...] | None
) -> ParameterSpace:
    tree = ctx.tree
    fixed: dict[str, Any] = {}
    for name, value in fix.items():
        p = tree.parameter(name)
        try:
            v = exact_number(value)
        except (TypeError, ValueError) as err:
            raise ModelError(f"cannot fix {name} to {value!r}: {err}", field=f"fix.{name}") from None
        lo, hi = p.bounds
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ModelError(f"{name} = {v} is outside its bounds [{lo}, {hi}]", field=f"fix.{name}")
        fixed[name] = v
    if vary is not None:
        for name in vary:
            tree.parameter(name)
        for name, p in tree.parameters.items():
            if name not in vary and name not in fixed:
                fixed[name] = p.exact
    subs = {symbol(k): v for k, v in fixed.items()}
    bounds = {name: p.bounds for name, p in tree.parameters.items() if name not in fixed}
    constraints: list[Constraint] = []
    for path, q in ctx.probabilities():
        q = sympy.expand(q.xreplace(subs))
        if q.is_number:
            if not 0 <= q <= 1:
                raise ModelError(f"the fixed values give probability {q}, outside [0, 1]", node=path)
            continue
        origin = f"probability of {path} in [0, 1]"
        constraints.append(Constraint(q, False, origin))
        constraints.append(Constraint(sympy.expand(1 - q), False, origin))
    for text in assuming:
        left, op, right = _split_relation(text)
        lhs = ctx.side_expr(left).xreplace(subs)
        rhs = ctx.side_expr(right).xreplace(subs)
        pieces = {
            ">=": [(lhs - rhs, False)],
            ">": [(lhs - rhs, True)],
            "<=": [(rhs - lhs, False)],
            "<": [(rhs - lhs, True)],
            "==": [(lhs - rhs, False), (rhs - lhs, False)],
        }[op]
        for expr, strict in pieces:
            expr = sympy.expand(expr)
            if expr.is_number:
                if (expr <= 0) if strict else (expr < 0):
                    raise ModelError(f"assumption {text!r} is false at the fixed values", field="assuming")
                continue
            constraints.append(Constraint(expr, strict, f"assumption {text}"))
    return ParameterSpace(tree=tree, bounds=bounds, fixed=fixed, constraints=tuple(constraints))


# ===================================================================== evaluation context
class _Context:
    """A tree with cached symbolic and exact evaluations."""

    def __init__(self, tree: model.DecisionTree) -> None:
        self.tree = tree
        self._symbolic: dict[Any, Any] = {}
        self._params = set(tree.parameters)

    def probabilities(self) -> list[tuple[str, sympy.Expr]]:
        from .core.compile import compile_tree, parameter_point
        from .core.rollback import arithmetic

        flat = compile_tree(self.tree)
        probs = arithmetic("symbolic").probabilities(
            flat, parameter_point(self.tree, None, method="symbolic")
        )
        return [
            (flat.nodes[i].path, sympy.sympify(probs[i]))
            for i in range(flat.size)
            if flat.under_chance[i] and not sympy.sympify(probs[i]).is_number
        ]

    def node_key(self, ref: str | None) -> str | None:
        """Resolve a node reference to something :meth:`Evaluation.value_of` accepts."""
        if ref is None:
            return None
        tree = self.tree
        try:
            return tree.node(ref).path
        except UnknownNameError:
            pass
        if "/" in ref:
            first, *labels = ref.split("/")
            try:
                node = tree.node(first)
                for label in labels:
                    node = node.branch(label)
                return node.path
            except UnknownNameError:
                pass
        hits = [n for n in tree.nodes() if n.parent is not None and n.label == ref]
        if len(hits) == 1:
            return hits[0].path
        if hits:
            paths = ", ".join(repr(h.path) for h in hits)
            raise UnknownNameError(f"branch label {ref!r} is used {len(hits)} times ({paths}); give a path")
        raise UnknownNameError(f"no node is named {ref!r}, no path leads there, and no branch has that label")

    def _evaluation(self, policy: tuple[tuple[str, str], ...]) -> Any:
        from .core.evaluate import evaluate

        if policy not in self._symbolic:
            self._symbolic[policy] = evaluate(self.tree, method="symbolic", policy=dict(policy))
        return self._symbolic[policy]

    def value(self, ref: ValueOf) -> sympy.Expr:
        r = self._evaluation(ref.policy)
        node = self.node_key(ref.node)
        return sympy.sympify(r.value if node is None else r.value_of(node))

    def exact_value(self, ref: ValueOf, point: Mapping[str, Any]) -> Any:
        from .core.evaluate import evaluate

        r = evaluate(self.tree, dict(point), method="exact", policy=dict(ref.policy))
        node = self.node_key(ref.node)
        return r.value if node is None else r.value_of(node)

    def side_expr(self, side: Any) -> sympy.Expr:
        if isinstance(side, ValueOf):
            return self.value(side)
        if isinstance(side, str):
            expr, refs = _parse_side(side)
            self._check_names(expr, set(refs), side)
            return expr.xreplace({s: self.value(v) for s, v in refs.items()})
        expr = sympy.sympify(exact_number(side) if isinstance(side, (int, Fraction)) else side)
        self._check_names(expr, set(), str(side))
        return expr

    def side_exact(self, side: Any, point: Mapping[str, Any]) -> Any:
        """Return a side's exact value at a full point, from exact evaluations of the tree."""
        subs = {symbol(k): v for k, v in point.items()}
        if isinstance(side, ValueOf):
            return self.exact_value(side, point)
        if isinstance(side, str):
            expr, refs = _parse_side(side)
            for s, v in refs.items():
                subs[s] = self.exact_value(v, point)
            return _exact_value(expr, subs)
        return _exact_value(sympy.sympify(side), subs)

    def _check_names(self, expr: sympy.Expr, refs: set, text: str) -> None:
        unknown = sorted(s.name for s in expr.free_symbols if s not in refs and s.name not in self._params)
        if unknown:
            raise UnknownNameError(f"unknown parameter {unknown[0]!r} in claim {text!r}")


# ===================================================================== exact helpers
class _Unsupported(Exception):
    pass


def _exact_value(expr: sympy.Expr, subs: Mapping[sympy.Symbol, Any]) -> Any:
    v = sympy.sympify(expr).xreplace({k: exact_number(x) for k, x in subs.items()})
    if v.free_symbols:
        raise EvaluationError(f"{expr} still has free parameters {sorted(map(str, v.free_symbols))}")
    return v


def _fraction(v: Any) -> Fraction:
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    v = sympy.sympify(v)
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    raise _Unsupported(str(v))


def _compile_exact(expr: sympy.Expr) -> Any:
    """Compile ``expr`` to a function of a dict name -> Fraction, in exact arithmetic."""

    def build(e: sympy.Expr) -> Any:
        if e.is_Symbol:
            name = e.name
            return lambda p: p[name]
        if e.is_Rational:
            v = _fraction(e)
            return lambda p: v
        if isinstance(e, sympy.Add):
            fs = [build(a) for a in e.args]
            return lambda p: sum((f(p) for f in fs), Fraction(0))
        if isinstance(e, sympy.Mul):
            fs = [build(a) for a in e.args]

            def mul(p: Any) -> Any:
                out = Fraction(1)
                for f in fs:
                    out *= f(p)
                return out

            return mul
        if isinstance(e, sympy.Pow) and e.exp.is_Integer:
            b, n = build(e.base), int(e.exp)
            return lambda p: b(p) ** n
        if isinstance(e, (sympy.Max, sympy.Min)):
            fs = [build(a) for a in e.args]
            pick = max if isinstance(e, sympy.Max) else min
            return lambda p: pick(f(p) for f in fs)
        if isinstance(e, sympy.Abs):
            f = build(e.args[0])
            return lambda p: abs(f(p))
        raise _Unsupported(type(e).__name__)

    try:
        fn = build(sympy.sympify(expr))
    except _Unsupported:
        fn = None

    def call(point: Mapping[str, Any]) -> Any:
        if fn is not None:
            try:
                return fn(point)
            except ZeroDivisionError:
                pass
        return _exact_value(expr, {symbol(k): v for k, v in point.items()})

    return call


def _top_atoms(expr: sympy.Expr) -> set[sympy.Expr]:
    """Sub-expressions that are not polynomial operations (Max, Min, exp, 1/x, ...)."""
    if expr.is_Number or expr.is_Symbol:
        return set()
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        out: set[sympy.Expr] = set()
        for a in expr.args:
            out |= _top_atoms(a)
        return out
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp >= 0:
        return _top_atoms(expr.base)
    return {expr}


def _is_maxmin(e: Any) -> bool:
    return isinstance(e, (sympy.Max, sympy.Min))


def _prepare(expr: sympy.Expr) -> sympy.Expr:
    expr = sympy.sympify(expr)
    if expr.has(sympy.Abs):
        expr = expr.replace(sympy.Abs, lambda a: sympy.Max(a, -a))
    return expr


# ===================================================================== certificates
@dataclasses.dataclass(frozen=True)
class _Cert:
    c0: Any
    terms: tuple[tuple[Any, tuple[int, ...]], ...]  # (multiplier, constraint indices)
    labels: tuple[str, ...]
    exprs: tuple[sympy.Expr, ...] = ()

    def identity(self) -> tuple[Any, tuple[tuple[Any, tuple[sympy.Expr, ...]], ...]]:
        return self.c0, tuple((y, tuple(self.exprs[i] for i in idx)) for y, idx in self.terms)

    def lines(self, difference: str = "D") -> list[str]:
        parts = [f"{difference} = {self.c0}"]
        for y, idx in self.terms:
            factors = " * ".join(f"[{self.labels[i]}]" for i in idx)
            parts.append(f"  + {y} * {factors}")
        return parts


def _handelman(
    D: sympy.Expr, cons: Sequence[Constraint], strict: bool, *, degree: int = 2
) -> tuple[_Cert, Any] | None:
    """Find ``D = c0 + sum y_k g_k`` with y >= 0, c0 >= 0 exactly, or return None.

    ``g_k`` are the constraints, the facts ``Max(..) - arg >= 0`` for every Max
    appearing, and (for degree 2) products of two of them.  Returns the
    certificate and ``c0``, the certified lower bound on ``D``.
    """
    import numpy as np
    from scipy.optimize import linprog

    gs: list[tuple[sympy.Expr, str]] = [(c.expr, _con_label(c)) for c in cons]
    seen_atoms: set = set()
    frontier = set(_top_atoms(D))
    for c in cons:
        frontier |= _top_atoms(c.expr)
    queue = sorted(frontier, key=sympy.default_sort_key)
    while queue and len(gs) < 120:  # facts about every Max/Min, nested ones too
        atom = queue.pop(0)
        if not _is_maxmin(atom) or atom in seen_atoms:
            continue
        seen_atoms.add(atom)
        for a in atom.args:
            g = atom - a if isinstance(atom, sympy.Max) else a - atom
            gs.append((g, f"{atom} >= {a}" if isinstance(atom, sympy.Max) else f"{a} >= {atom}"))
            queue.extend(sorted(_top_atoms(a), key=sympy.default_sort_key))
    if not gs:
        return None
    syms = set(D.free_symbols)
    atoms = set(_top_atoms(D))
    for g, _ in gs:
        syms |= g.free_symbols
        atoms |= _top_atoms(g)
    gens = sorted(syms, key=str) + sorted(atoms, key=sympy.default_sort_key)
    try:
        pd_ = sympy.Poly(D, *gens, domain="QQ")
        polys = [sympy.Poly(g, *gens, domain="QQ") for g, _ in gs]
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return None
    cands: list[tuple[sympy.Poly, tuple[int, ...]]] = [(p, (i,)) for i, p in enumerate(polys)]
    if degree >= 2 and pd_.total_degree() >= 2 and len(polys) <= 60:
        for i, j in itertools.combinations_with_replacement(range(len(polys)), 2):
            cands.append((polys[i] * polys[j], (i, j)))
    zero = (0,) * len(gens)
    monos = set(pd_.as_dict())
    cols = []
    for p, _ in cands:
        d = p.as_dict()
        monos |= set(d)
        cols.append(d)
    monos.discard(zero)
    rows = sorted(monos)
    target = pd_.as_dict()
    n = len(cands)
    # variables: y_1..y_n >= 0, c0; equalities on every non-constant monomial and on the constant
    a_eq = np.zeros((len(rows) + 1, n + 1))
    b_eq = np.zeros(len(rows) + 1)
    for r, m in enumerate(rows):
        for k, d in enumerate(cols):
            if m in d:
                a_eq[r, k] = float(d[m])
        b_eq[r] = float(target.get(m, 0))
    for k, d in enumerate(cols):
        a_eq[-1, k] = float(d.get(zero, 0))
    a_eq[-1, n] = 1.0
    b_eq[-1] = float(target.get(zero, 0))
    # maximise c0; among equal c0 prefer few, simple terms (products cost more than constraints)
    cost = np.empty(n + 1)
    for k, (_, idx) in enumerate(cands):
        cost[k] = 1e-7 * len(idx) * (1.0 + sum(abs(float(v)) for v in cols[k].values()))
    cost[n] = -1.0
    bounds = [(0, None)] * n + [(0, 1e9)]
    try:
        res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    except ValueError:  # pragma: no cover - malformed LP
        return None
    if res.status != 0:
        return None
    y = res.x[:n]
    support = [k for k in range(n) if y[k] > 1e-10]
    labels = tuple(label for _, label in gs)
    for attempt in ("solve", 10**6, 10**9, 10**12):
        coeffs = _exact_multipliers(attempt, support, y, cols, rows, target)
        if coeffs is None:
            continue
        total = sympy.Poly(0, *gens, domain="QQ")
        for k, yk in coeffs.items():
            total += cands[k][0] * sympy.Rational(yk.numerator, yk.denominator)
        rest = pd_ - total
        if rest.total_degree() > 0 and not rest.is_zero:
            continue
        c0 = sympy.Rational(rest.as_dict().get(zero, 0)) if not rest.is_zero else sympy.Integer(0)
        if c0 < 0 or (strict and c0 <= 0):
            continue
        terms = tuple(
            (sympy.Rational(v.numerator, v.denominator), cands[k][1]) for k, v in sorted(coeffs.items()) if v
        )
        return _Cert(c0, terms, labels, tuple(g for g, _ in gs)), c0
    return None


def _exact_multipliers(attempt: Any, support: list[int], y: Any, cols: list, rows: list, target: dict) -> Any:
    if attempt == "solve":
        if not support:
            return {}
        mat = sympy.Matrix([[sympy.Rational(cols[k].get(m, 0)) for k in support] for m in rows])
        rhs = sympy.Matrix([sympy.Rational(target.get(m, 0)) for m in rows])
        try:
            sol, params = mat.gauss_jordan_solve(rhs)
        except ValueError:
            return None
        if params.shape[0]:
            sol = sol.xreplace({t: 0 for t in params})
        out = {}
        for k, v in zip(support, sol):
            if not v.is_Rational or v < 0:
                return None
            out[k] = Fraction(int(v.p), int(v.q))
        return out
    return {k: Fraction(float(y[k])).limit_denominator(attempt) for k in support}


def _con_label(c: Constraint) -> str:
    return f"{c.expr} {'>' if c.strict else '>='} 0 ({c.origin})" if c.origin else str(c)


# ===================================================================== vertex enumeration
def _linear_form(expr: sympy.Expr, names: list[str]) -> tuple[dict[str, Fraction], Fraction] | None:
    try:
        p = sympy.Poly(expr, *[symbol(n) for n in names], domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return None
    if p.total_degree() > 1:
        return None
    coef: dict[str, Fraction] = {}
    const = Fraction(0)
    for mono, c in p.as_dict().items():
        c = _fraction(c)
        if not any(mono):
            const = c
        else:
            coef[names[mono.index(1)]] = c
    return coef, const


def _solve_exact(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    n = len(b)
    m = [row[:] + [rhs] for row, rhs in zip(a, b)]
    for col in range(n):
        piv = next((r for r in range(col, n) if m[r][col] != 0), None)
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        pv = m[col][col]
        m[col] = [v / pv for v in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [v - f * w for v, w in zip(m[r], m[col])]
    return [m[r][n] for r in range(n)]


@dataclasses.dataclass
class _VertexOutcome:
    minimum: Any  # None when the region is empty
    point: dict[str, Fraction] | None
    count: int
    blocks: list[list[str]]


def _vertices(D: sympy.Expr, cons: Sequence[Constraint], names: list[str]) -> _VertexOutcome | None:
    """Exact minimum of D over the region, when D is affine in each block of coupled parameters."""
    if _top_atoms(D) or any(_top_atoms(c.expr) for c in cons):
        return None
    lows: dict[str, Fraction | None] = dict.fromkeys(names)
    highs: dict[str, Fraction | None] = dict.fromkeys(names)
    multi: list[tuple[dict[str, Fraction], Fraction]] = []
    for c in cons:
        form = _linear_form(c.expr, names)
        if form is None:
            return None
        coef, const = form
        coef = {k: v for k, v in coef.items() if v != 0}
        if not coef:
            if const < 0 or (c.strict and const <= 0):
                return _VertexOutcome(None, None, 0, [])
            continue
        if len(coef) == 1:
            ((k, a),) = coef.items()
            bound = -const / a
            if a > 0:
                lows[k] = bound if lows[k] is None else max(lows[k], bound)
            else:
                highs[k] = bound if highs[k] is None else min(highs[k], bound)
        else:
            multi.append((coef, const))
    if any(lows[n] is None or highs[n] is None for n in names):
        return None
    if any(lows[n] > highs[n] for n in names):
        return _VertexOutcome(None, None, 0, [])
    # blocks: parameters coupled by a constraint
    parent = {n: n for n in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for coef, _ in multi:
        ks = list(coef)
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(find(n), []).append(n)
    blocks = list(groups.values())
    syms = {n: symbol(n) for n in names}
    for block in blocks:
        try:
            if sympy.Poly(D, *[syms[n] for n in block]).total_degree() > 1:
                return None
        except sympy.PolynomialError:
            return None
    block_vertices: list[list[dict[str, Fraction]]] = []
    for block in blocks:
        rows = [
            ({k: v for k, v in coef.items()}, const)
            for coef, const in multi
            if find(next(iter(coef))) == find(block[0])
        ]
        for k in block:
            rows.append(({k: Fraction(1)}, -lows[k]))
            rows.append(({k: Fraction(-1)}, highs[k]))
        verts = _block_vertices(block, rows)
        if verts is None:
            return None
        if not verts:
            return _VertexOutcome(None, None, 0, blocks)
        block_vertices.append(verts)
    total = math.prod(len(v) for v in block_vertices)
    if total > MAX_VERTEX_POINTS:
        return None
    fn = _compile_exact(D)
    best, best_pt = None, None
    for combo in itertools.product(*block_vertices):
        pt: dict[str, Fraction] = {}
        for part in combo:
            pt.update(part)
        v = fn(pt)
        if best is None or v < best:
            best, best_pt = v, pt
    return _VertexOutcome(best, best_pt, total, blocks)


def _lp_vertex(
    D: sympy.Expr, cons: Sequence[Constraint], names: list[str]
) -> tuple[dict[str, Fraction], Fraction] | None:
    """Minimise a linear D over linear constraints; return the optimal vertex, exactly, and D there.

    The vertex is found in floating point (HiGHS dual simplex), then recomputed
    exactly from its active constraints and checked exactly against every
    constraint; None when any step fails.
    """
    import numpy as np
    from scipy.optimize import linprog

    form = _linear_form(D, names)
    rows = [_linear_form(c.expr, names) for c in cons]
    if form is None or any(r is None for r in rows) or not names:
        return None
    coef, _ = form
    c = np.array([float(coef.get(n, 0)) for n in names])
    a_ub = np.array([[-float(r[0].get(n, 0)) for n in names] for r in rows]) if rows else None
    b_ub = np.array([float(r[1]) for r in rows]) if rows else None
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * len(names), method="highs-ds")
    if res.status != 0:
        return None
    x = res.x
    exact_rows = [([r[0].get(n, Fraction(0)) for n in names], r[1]) for r in rows]
    active = [
        (row, const)
        for row, const in exact_rows
        if abs(sum(float(v) * xi for v, xi in zip(row, x)) + float(const)) <= 1e-7 * (1 + abs(float(const)))
    ]
    chosen: list[tuple[list[Fraction], Fraction]] = []
    for row, const in active:  # greedily keep linearly independent active rows
        trial = [r for r, _ in chosen] + [row]
        if _rank(trial) == len(trial):
            chosen.append((row, const))
        if len(chosen) == len(names):
            break
    if len(chosen) < len(names):
        return None
    sol = _solve_exact([r for r, _ in chosen], [-k for _, k in chosen])
    if sol is None:
        return None
    point = dict(zip(names, sol))
    for row, const in exact_rows:
        if sum(v * point[n] for v, n in zip(row, names)) + const < 0:
            return None
    return point, _compile_exact(D)(point)


def _rank(rows: list[list[Fraction]]) -> int:
    m = [r[:] for r in rows]
    rank = 0
    ncols = len(m[0]) if m else 0
    for col in range(ncols):
        piv = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank])]
        rank += 1
    return rank


def _block_vertices(block: list[str], rows: list[tuple[dict[str, Fraction], Fraction]]) -> Any:
    d = len(block)
    if math.comb(len(rows), d) > 20_000:
        return None
    mats = [([coef.get(k, Fraction(0)) for k in block], const) for coef, const in rows]
    found: dict[tuple, dict[str, Fraction]] = {}
    for combo in itertools.combinations(range(len(mats)), d):
        a = [mats[i][0] for i in combo]
        b = [-mats[i][1] for i in combo]
        x = _solve_exact(a, b)
        if x is None:
            continue
        if all(sum(c * v for c, v in zip(row, x)) + const >= 0 for row, const in mats):
            found[tuple(x)] = dict(zip(block, x))
    return list(found.values())


# ===================================================================== the decision procedure
@dataclasses.dataclass
class _Outcome:
    verdict: str
    method: str
    certificate: list[str] = dataclasses.field(default_factory=list)
    lower_bound: Any = None
    point: dict[str, Any] | None = None  # free parameter -> exact value
    value: Any = None  # D at the point
    worst: float | None = None
    worst_point: dict[str, float] | None = None
    regions: int = 1
    identity: Any = None


@dataclasses.dataclass
class _Leaf:
    status: str  # proven / counter / open
    method: str
    lines: list[str]
    bound: Any = None
    point: dict[str, Any] | None = None
    value: Any = None
    methods: set[str] = dataclasses.field(default_factory=set)


class _Prover:
    def __init__(
        self, D: sympy.Expr, space: ParameterSpace, strict: bool, *, search: bool, seed: int
    ) -> None:
        self.space = space
        self.strict = strict
        self.search = search
        self.seed = seed
        subs = {symbol(k): v for k, v in space.fixed.items()}
        self.D = _prepare(sympy.sympify(D).xreplace(subs))
        cons = space.all_constraints()
        # keep the parameters connected to D through the constraints
        names = {s.name for s in self.D.free_symbols}
        changed = True
        while changed:
            changed = False
            for c in cons:
                cn = {s.name for s in c.expr.free_symbols}
                if cn & names and not cn <= names:
                    names |= cn
                    changed = True
        self.names = sorted(names)
        kept = [c for c in cons if {s.name for s in c.expr.free_symbols} & names]
        self.cons, _ = _simplify_constraints(kept)
        self.leaves = 0
        self.defaults = {symbol(n): space.tree.parameters[n].exact for n in self.names}

    def feasible(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point (name -> Fraction) satisfies every constraint."""
        if not hasattr(self, "_checks"):
            self._checks = [(_compile_exact(c.expr), c.strict) for c in self.cons]
        for fn, strict in self._checks:
            v = fn(point)
            if (v <= 0) if strict else (v < 0):
                return False
        return True

    def complete(self, point: Mapping[str, Any]) -> dict[str, Any] | None:
        """Fill missing parameters with defaults; the point if it is feasible and fails, else None."""
        full = {
            n: point[n] if n in point else _fraction_or_sym(self.space.tree.parameters[n].exact)
            for n in self.names
        }
        if not self.feasible(full) or not self.fails(_compile_exact(self.D)(full)):
            return None
        return full

    def fails(self, v: Any) -> bool:
        return bool(v <= 0) if self.strict else bool(v < 0)

    def check_nonempty(self) -> None:
        """Raise ModelError when the constraints leave no parameter values (exact certificate)."""
        defaults = {n: _fraction_or_sym(self.space.tree.parameters[n].exact) for n in self.names}
        if self.feasible(defaults):
            return
        loose = [Constraint(c.expr, False, c.origin) for c in self.cons]
        found = _handelman(sympy.Integer(-1), loose, False, degree=1)
        empty = found is not None
        if not empty:
            out = _vertices(sympy.Integer(0), loose, self.names)
            empty = out is not None and out.minimum is None
        if empty:
            raise ModelError(
                "the assumptions leave no parameter values: "
                + "; ".join(f"{c}" for c in self.cons if c.origin.startswith("assumption"))
            )

    def run(self) -> _Outcome:
        self.check_nonempty()
        D = self.D
        if D.is_number:
            ok = not self.fails(D)
            if ok:
                return _Outcome(PROVEN, "constant", [f"the difference is the constant {D}"], lower_bound=D)
            return _Outcome(REFUTED, "constant", [f"the difference is the constant {D}"], point={}, value=D)
        found = _handelman(D, self.cons, self.strict)
        if found is not None:
            cert, c0 = found
            return _Outcome(PROVEN, "certificate", cert.lines(), lower_bound=c0, identity=cert.identity())
        quick = self.corners()
        if quick is not None:
            return quick
        leaf = self.split(D, list(self.cons), [], tried=True)
        if leaf.status == "proven":
            method = leaf.method
            if leaf.methods:
                method = f"case split ({self.leaves} regions): " + ", ".join(sorted(leaf.methods))
            return _Outcome(PROVEN, method, leaf.lines, lower_bound=leaf.bound, regions=max(1, self.leaves))
        if leaf.status == "counter":
            return _Outcome(
                REFUTED,
                leaf.method,
                leaf.lines,
                point=leaf.point,
                value=leaf.value,
                regions=max(1, self.leaves),
            )
        return self.numeric(leaf.lines)

    # -- quick counterexamples at exact corners of the box ----------------------------------
    def corners(self) -> _Outcome | None:
        space = self.space
        names = self.names
        choices = []
        for n in names:
            lo, hi = space.bounds.get(n, (None, None))
            opts = [v for v in (lo, hi) if v is not None]
            default = space.tree.parameters[n].exact
            choices.append(opts or [default])
        count = math.prod(len(c) for c in choices)
        import random

        rng = random.Random(self.seed)
        if count <= MAX_CORNERS:
            points = list(itertools.product(*choices))
        else:
            points = [tuple(rng.choice(c) for c in choices) for _ in range(MAX_CORNERS)]
        points.insert(0, tuple(space.tree.parameters[n].exact for n in names))
        fn = _compile_exact(self.D)
        best = None
        for values in points:
            pt = {n: _fraction_or_sym(v) for n, v in zip(names, values)}
            if not self.feasible(pt):
                continue
            v = fn(pt)
            if self.fails(v) and (best is None or v < best[0]):
                best = (v, pt)
        if best is None:
            return None
        v, pt = best
        lines = [f"the difference is {v} at this corner of the parameter box (exact)"]
        return _Outcome(REFUTED, "exact corner counterexample", lines, point=pt, value=v)

    # -- case split -----------------------------------------------------------------------
    def split(self, D: sympy.Expr, cons: list[Constraint], path: list[str], *, tried: bool = False) -> _Leaf:
        if D.is_number:
            self.leaves += 1
            if self.fails(D):
                return _Leaf("open", "constant", [f"{_region_text(path)}: the difference is {D}"])
            return _Leaf("proven", "constant", [f"{_region_text(path)}: the difference is {D}"], bound=D)
        cons, empty = _simplify_constraints(cons)
        if empty:
            self.leaves += 1
            return _Leaf("proven", "empty", [f"{_region_text(path)}: no parameter values (empty region)"])
        if not tried:
            found = _handelman(D, cons, self.strict)
            if found is not None:
                self.leaves += 1
                cert, c0 = found
                lines = [f"{_region_text(path)}: certificate"] + ["    " + s for s in cert.lines()]
                return _Leaf("proven", "certificate", lines, bound=c0)
        atoms = [a for a in _top_atoms(D) if _is_maxmin(a)]
        if not atoms:
            for c in cons:
                atoms += [a for a in _top_atoms(c.expr) if _is_maxmin(a)]
        if not atoms:
            self.leaves += 1
            names = sorted(
                {s.name for s in D.free_symbols} | {s.name for c in cons for s in c.expr.free_symbols}
            )
            out = _vertices(D, cons, names)
            if out is None:
                found = _lp_vertex(D, cons, names)
                if found is not None and self.fails(found[1]):
                    point = self.complete(found[0])
                    if point is not None:
                        text = f"{_region_text(path)}: linear programming vertex {_point_text(point)}"
                        return _Leaf(
                            "counter", "linear programming vertex", [text], point=point, value=found[1]
                        )
                return _Leaf("open", "none", [f"{_region_text(path)}: no method applies"])
            if out.minimum is None:
                return _Leaf("proven", "empty", [f"{_region_text(path)}: no parameter values (empty region)"])
            blocks = "; ".join("{" + ", ".join(b) + "}" for b in out.blocks)
            text = (
                f"{_region_text(path)}: affine in each block {blocks}; minimum {out.minimum} "
                f"over {out.count} vertex combinations, at {_point_text(out.point)}"
            )
            if self.fails(out.minimum):
                point = self.complete(out.point or {})
                if point is not None:
                    return _Leaf("counter", "vertices", [text], point=point, value=out.minimum)
                return _Leaf("open", "none", [text + " (on a strict boundary: not a counterexample)"])
            return _Leaf("proven", "vertices", [text], bound=sympy.Rational(out.minimum))
        if self.leaves >= MAX_REGIONS:
            return _Leaf("open", "none", [f"more than {MAX_REGIONS} regions; case split stopped"])
        atom = _choose_atom(D, atoms, self.defaults)
        lines: list[str] = []
        methods: set[str] = set()
        bound = None
        status = "proven"
        for arg in atom.args:
            others = [b for b in atom.args if b != arg]
            extra = [
                Constraint(sympy.expand(arg - b if isinstance(atom, sympy.Max) else b - arg), False, "case")
                for b in others
            ]
            new_cons = [
                Constraint(sympy.expand(c.expr.xreplace({atom: arg})), c.strict, c.origin) for c in cons
            ]
            sub = self.split(
                sympy.expand(D.xreplace({atom: arg})), new_cons + extra, path + [f"{atom} = {arg}"]
            )
            if sub.status == "counter":
                return sub
            lines += sub.lines
            if sub.status == "open":
                status = "open"
            else:
                methods |= sub.methods or {sub.method}
                if sub.bound is not None:
                    bound = sub.bound if bound is None else sympy.Min(bound, sub.bound)
        if status == "open":
            return _Leaf("open", "none", lines)
        return _Leaf("proven", "case split", lines, bound=bound, methods=methods)

    # -- numerical evidence ---------------------------------------------------------------
    def numeric(self, lines: list[str]) -> _Outcome:
        if not self.search:
            return _Outcome(UNDECIDED, "none", lines + ["no global search (search=False)"])
        import numpy as np
        from scipy.optimize import differential_evolution

        names = self.names
        syms = [symbol(n) for n in names]
        f = sympy.lambdify(syms, self.D, "numpy")
        gs = [sympy.lambdify(syms, c.expr, "numpy") for c in self.cons]
        bounds = []
        for n in names:
            lo, hi = self.space.bounds.get(n, (None, None))
            default = float(self.space.tree.parameters[n].exact)
            span = 10 * (abs(default) + 1)
            bounds.append(
                (
                    float(lo) if lo is not None else default - span,
                    float(hi) if hi is not None else default + span,
                )
            )

        def objective(x: Any) -> float:
            with np.errstate(all="ignore"):
                v = float(f(*x))
                bad = sum(max(0.0, -float(g(*x))) for g in gs)
            if not math.isfinite(v):
                return 1e12
            return v + 1e6 * bad

        res = differential_evolution(objective, bounds, seed=self.seed, maxiter=150, tol=1e-10, polish=True)
        x = res.x
        worst_point = {n: float(v) for n, v in zip(names, x)}
        worst = float(f(*x))
        for denom in (10**3, 10**6, 10**9):
            pt = {}
            for n, v, (lo, hi) in zip(names, x, bounds):
                if abs(v - lo) < 1e-7 * (1 + abs(lo)):
                    q = Fraction(lo).limit_denominator(10**12)
                elif abs(v - hi) < 1e-7 * (1 + abs(hi)):
                    q = Fraction(hi).limit_denominator(10**12)
                else:
                    q = Fraction(float(v)).limit_denominator(denom)
                pt[n] = q
            if not self.feasible(pt):
                continue
            val = _compile_exact(self.D)(pt)
            if self.fails(val):
                text = f"differential evolution found {worst:.6g}; exact value at the rounded point {val}"
                return _Outcome(
                    REFUTED, "global optimisation + exact check", lines + [text], point=pt, value=val
                )
        text = f"no proof; differential evolution's worst case {worst:.6g} at {worst_point}"
        return _Outcome(
            UNDECIDED,
            "differential evolution (evidence only)",
            lines + [text],
            worst=worst,
            worst_point=worst_point,
        )


def _fraction_or_sym(v: Any) -> Any:
    try:
        return _fraction(v)
    except _Unsupported:
        return sympy.sympify(v)


def _simplify_constraints(cons: list[Constraint]) -> tuple[list[Constraint], bool]:
    out: list[Constraint] = []
    seen: dict[sympy.Expr, int] = {}
    for c in cons:
        e = c.expr
        if e.is_number:
            if (e <= 0) if c.strict else (e < 0):
                return [], True
            continue
        if e in seen:
            if c.strict and not out[seen[e]].strict:
                out[seen[e]] = c
            continue
        seen[e] = len(out)
        out.append(c)
    return out, False


def _choose_atom(D: sympy.Expr, atoms: list[sympy.Expr], at: Mapping[sympy.Symbol, Any]) -> sympy.Expr:
    """Pick the Max/Min to split on: one D decreases in (its coefficient negative) first.

    A Max with a non-negative coefficient is bounded below by each argument
    (a fact the certificates use), so it rarely needs a split; the sign of a
    symbolic coefficient is judged at the point ``at`` (the defaults), which
    only orders the work.
    """
    t = sympy.Dummy("t")

    def rank(a: sympy.Expr) -> tuple[int, int, int]:
        coef = sympy.expand(D.xreplace({a: t})).diff(t)
        if not coef.is_number:
            coef = coef.xreplace(at)
        if coef.is_number:
            pr = 0 if coef < 0 else 1 if coef == 0 else 2
            if isinstance(a, sympy.Min):
                pr = 2 - pr if pr != 1 else 1
        else:
            pr = 1
        return (pr, len(a.args), -sympy.count_ops(a))

    return min(atoms, key=rank)


def _region_text(path: list[str]) -> str:
    return "region " + (" and ".join(path) if path else "(whole space)")


def _point_text(point: Mapping[str, Any] | None) -> str:
    if not point:
        return "{}"
    return "{" + ", ".join(f"{k}={v}" for k, v in point.items()) + "}"


# ===================================================================== results
@dataclasses.dataclass(frozen=True, eq=False)
class ClaimResult:
    """The verdict on one claim.

    Attributes
    ----------
    claim : Claim
    verdict : {"proven", "refuted", "undecided"}
    method : str
        The method that decided (see the module notes).
    lhs, rhs : sympy.Expr
        The two sides, symbolic in the parameters.
    difference : sympy.Expr
        What must be non-negative (positive for a strict claim).
    space : ParameterSpace
    certificate : tuple of str
        Lines a reader can check: the identity or the vertices for a proof,
        the exact values for a refutation.
    lower_bound : sympy number or None
        For a proof, the certified lower bound on the difference.
    counterexample : dict or None
        Every parameter's exact value at a point where the claim fails.
    violation : dict or None
        The two sides' exact values there, from exact evaluations of the tree.
    worst, worst_point : float and dict, or None
        For an undecided claim, the worst difference found and where.
    region : Region or None
        Where the claim holds, for the parameters the claim names.
    regions : int
        How many regions a case split examined (1 without a split).
    identity : tuple or None
        For a proof by ``certificate`` over the whole space: ``(c0, terms)``
        with ``difference == c0 + sum(y * prod(factors) for y, factors in terms)``
        identically, every ``y >= 0``, ``c0 >= 0``, and every factor a
        constraint of the space or a fact ``Max(...) - arg``: check it with
        ``sympy.expand``.
    """

    claim: Claim
    verdict: str
    method: str
    lhs: Any
    rhs: Any
    difference: Any
    space: ParameterSpace
    certificate: tuple[str, ...] = ()
    lower_bound: Any = None
    counterexample: Mapping[str, Any] | None = None
    violation: Mapping[str, Any] | None = None
    worst: float | None = None
    worst_point: Mapping[str, float] | None = None
    region: Region | None = None
    regions: int = 1
    identity: Any = None

    @property
    def holds(self) -> bool:
        """Whether the claim is proven."""
        return self.verdict == PROVEN

    def conditions(self) -> str:
        """Return the conditions the verdict is under: assumptions and fixed parameters."""
        parts = list(self.claim.assuming)
        if self.claim.vary is not None:
            parts.append("only " + ", ".join(self.claim.vary) + " vary")
        parts += [f"{k} = {v}" for k, v in self.claim.fix]
        return "; ".join(parts) if parts else "whole parameter space"

    def detail(self) -> str:
        """One line: the counterexample, the region, or the worst case."""
        if self.verdict == REFUTED and self.counterexample is not None:
            text = "fails at " + _point_text(self._moved())
            if self.violation:
                text += f" ({self.violation['lhs']} vs {self.violation['rhs']})"
            if self.region is not None:
                text += "; holds where " + self.region.text()
            return text
        if self.verdict == PROVEN:
            where = "holds everywhere" if not self._conditional() else "holds wherever the conditions hold"
            bound = f" (difference >= {self.lower_bound})" if self.lower_bound is not None else ""
            return where + bound
        if self.worst is not None:
            return f"worst case found {self.worst:.6g} at {self.worst_point}"
        return "no proof and no counterexample"

    def _conditional(self) -> bool:
        return bool(self.claim.assuming or self.claim.fix or self.claim.vary is not None)

    def _moved(self) -> dict[str, Any]:
        """Return the counterexample's values of the parameters the difference depends on."""
        if self.counterexample is None:
            return {}
        used = {s.name for s in sympy.sympify(self.difference).free_symbols}
        if used:
            return {k: v for k, v in self.counterexample.items() if k in used}
        free = set(self.space.free)
        return {k: v for k, v in self.counterexample.items() if k in free}

    def summary(self) -> str:
        """Return a few readable lines."""
        lines = [f"{self.claim.title}: {self.verdict.upper()} ({self.method})"]
        if self.claim.name:
            lines.append(f"  claim: {self.claim}")
        if self.conditions() != "whole parameter space":
            lines.append(f"  assuming: {self.conditions()}")
        lines.append(f"  {self.detail()}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: claim, verdict, method, and counterexample or region."""
        out: dict[str, Any] = {
            "name": self.claim.name,
            "claim": str(self.claim),
            "assuming": list(self.claim.assuming),
            "verdict": self.verdict,
            "method": self.method,
            "difference": str(self.difference),
            "certificate": list(self.certificate),
        }
        if self.verdict == PROVEN:
            out["lower_bound"] = str(self.lower_bound) if self.lower_bound is not None else None
            out["region"] = {"holds": "everywhere", "conditions": self.conditions()}
        elif self.verdict == REFUTED:
            out["counterexample"] = {k: str(v) for k, v in (self.counterexample or {}).items()}
            out["violation"] = {k: str(v) for k, v in (self.violation or {}).items()}
            out["region"] = self.region.to_dict() if self.region is not None else None
        else:
            out["worst"] = self.worst
            out["worst_point"] = self.worst_point
            out["region"] = self.region.to_dict() if self.region is not None else None
        return out

    def to_frame(self) -> Any:
        """One row: claim, verdict, method, conditions, detail."""
        import pandas as pd

        return pd.DataFrame([self._row()]).set_index("claim")

    def _row(self) -> dict[str, Any]:
        return {
            "claim": self.claim.title,
            "verdict": self.verdict,
            "method": self.method,
            "conditions": self.conditions(),
            "detail": self.detail(),
        }

    def __repr__(self) -> str:
        return f"<ClaimResult {self.claim.title!r}: {self.verdict} ({self.method})>"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        import html

        cert = "<br>".join(html.escape(c) for c in self.certificate[:40])
        return (
            f"<p><b>{html.escape(self.claim.title)}</b>: {self.verdict} by {html.escape(self.method)}</p>"
            + self.to_frame().to_html()
            + (f"<details><summary>certificate</summary><code>{cert}</code></details>" if cert else "")
        )


@dataclasses.dataclass(frozen=True, eq=False)
class ClaimReport:
    """The results of several claims, in order."""

    results: tuple[ClaimResult, ...]

    def __iter__(self) -> Iterator[ClaimResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: int | str) -> ClaimResult:
        if isinstance(key, int):
            return self.results[key]
        for r in self.results:
            if r.claim.name == key or str(r.claim) == key:
                return r
        raise UnknownNameError(f"no claim is named {key!r}")

    @property
    def refuted(self) -> tuple[ClaimResult, ...]:
        """The refuted claims."""
        return tuple(r for r in self.results if r.verdict == REFUTED)

    def to_frame(self) -> Any:
        """One row per claim."""
        import pandas as pd

        return pd.DataFrame(
            [r._row() for r in self.results], columns=["claim", "verdict", "method", "conditions", "detail"]
        ).set_index("claim")

    def summary(self) -> str:
        """Every claim's summary."""
        return "\n".join(r.summary() for r in self.results)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html()


# ===================================================================== checking
def _difference(claim: Claim, lhs: sympy.Expr, rhs: sympy.Expr) -> tuple[sympy.Expr, bool]:
    if claim.sense in (">=", ">"):
        return lhs - rhs, claim.sense == ">"
    return rhs - lhs, claim.sense == "<"


def _claim_holds(sense: str, lhs: Any, rhs: Any) -> bool:
    return bool({">=": lhs >= rhs, ">": lhs > rhs, "<=": lhs <= rhs, "<": lhs < rhs}[sense])


def check(
    tree: model.DecisionTree,
    claim: Claim | str | Mapping[str, Any],
    *,
    search: bool = True,
    seed: int = 0,
    region: Sequence[str] | None = None,
) -> ClaimResult:
    """Check a claim over the whole parameter space of a tree.

    Parameters
    ----------
    tree : DecisionTree
    claim : Claim, str or mapping
        A claim, or its text / tree-file form.
    search : bool, default True
        When no proof and no exact counterexample is found, run a global
        optimisation for evidence (and for a counterexample to re-check).
    seed : int, default 0
        Seed of the global optimisation and of sampled box corners.
    region : sequence of str, optional
        One or two parameters for which to compute the exact region where the
        claim holds (defaults to the claim's own ``region``); computed when the
        claim is not proven.

    Returns
    -------
    ClaimResult

    Raises
    ------
    UnknownNameError
        If the claim names an unknown node, label, decision or parameter.
    ModelError
        If the claim or its assumptions are malformed.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = check(korea_talks(), Claim.optimal({"after_flouts": "say no"}, at="after_flouts"))
    >>> r.verdict, r.method
    ('proven', 'case split (2 regions): certificate, constant')
    >>> r = check(korea_talks(), "EV(talks) >= EV(no talks)")
    >>> r.verdict, r.counterexample["p_defect"], r.violation["lhs"]
    ('refuted', 1, -120)
    """
    if not isinstance(claim, Claim):
        claim = Claim.from_spec(claim)
    ctx = _Context(tree)
    return _check(ctx, claim, search=search, seed=seed, region=region)


def _check(
    ctx: _Context, claim: Claim, *, search: bool, seed: int, region: Sequence[str] | None
) -> ClaimResult:
    space = _space(ctx, claim.assuming, dict(claim.fix), claim.vary)
    lhs = ctx.side_expr(claim.lhs)
    rhs = ctx.side_expr(claim.rhs)
    fixed = {symbol(k): v for k, v in space.fixed.items()}
    lhs, rhs = lhs.xreplace(fixed), rhs.xreplace(fixed)
    D, strict = _difference(claim, lhs, rhs)
    prover = _Prover(D, space, strict, search=search, seed=seed)
    outcome = prover.run()
    D = prover.D
    counter = violation = None
    verdict, method, lines = outcome.verdict, outcome.method, list(outcome.certificate)
    if verdict == REFUTED:
        counter = space.full_point(outcome.point or {})
        lv = ctx.side_exact(claim.lhs, counter)
        rv = ctx.side_exact(claim.rhs, counter)
        violation = {"lhs": sympy.sympify(lv), "rhs": sympy.sympify(rv)}
        if _claim_holds(claim.sense, lv, rv):  # pragma: no cover - would be a bug
            verdict, method = UNDECIDED, "counterexample failed the exact re-check"
            lines.append(f"at {counter} the tree gives {lv} vs {rv}, which satisfies the claim")
            counter = violation = None
        else:
            sides = f"{_side_text(claim.lhs)} = {lv}, {_side_text(claim.rhs)} = {rv}"
            lines.append(f"exact evaluation of the tree there: {sides}")
    params = tuple(region) if region is not None else claim.region
    reg = None
    if params and verdict != PROVEN:
        reg = _holds_where(ctx, claim, params, values=None)
    return ClaimResult(
        claim=claim,
        verdict=verdict,
        method=method,
        lhs=lhs,
        rhs=rhs,
        difference=D,
        space=space,
        certificate=tuple(lines),
        lower_bound=outcome.lower_bound,
        counterexample=counter,
        violation=violation,
        worst=outcome.worst,
        worst_point=outcome.worst_point,
        region=reg,
        regions=outcome.regions,
        identity=outcome.identity,
    )


def check_claims(
    tree: model.DecisionTree,
    claims: Iterable[Claim | str | Mapping[str, Any]] | None = None,
    *,
    search: bool = True,
    seed: int = 0,
    progress: bool = False,
) -> ClaimReport:
    """Check every claim stated with the tree (or the claims given).

    Parameters
    ----------
    tree : DecisionTree
    claims : iterable, optional
        Claims to check instead of ``tree.claims``.
    search, seed
        As for :func:`check`.
    progress : bool, default False
        Show a progress bar (tqdm).

    Returns
    -------
    ClaimReport

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> report = check_claims(korea_talks(), ["EV(after_defect) <= EV(no talks)"])
    >>> [r.verdict for r in report]
    ['proven']
    """
    specs = list(tree.claims if claims is None else claims)
    parsed = [
        c if isinstance(c, Claim) else Claim.from_spec(c, where=f"claims[{i}]") for i, c in enumerate(specs)
    ]
    ctx = _Context(tree)
    items: Iterable[Claim] = parsed
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(parsed, desc="claims", unit="claim")
    results = [_check(ctx, c, search=search, seed=seed, region=None) for c in items]
    return ClaimReport(tuple(results))


# ===================================================================== where a claim holds
@dataclasses.dataclass(frozen=True, eq=False)
class Region(Presentable):
    """Where a claim holds, exactly, as a function of one or two parameters.

    Attributes
    ----------
    claim : Claim
    parameters : tuple of str
        The one or two parameters that vary.
    values : dict
        The exact values of the other parameters (defaults unless given).
    difference : sympy.Expr
        The claim's difference in the varying parameters.
    domain : list of str
        Constraints on the varying parameters (bounds, simplex, assumptions).
    holds : sympy.Set or None
        For one parameter: the exact set of values where the claim holds.
    condition : sympy.Boolean
        The claim's condition on the parameters (with the domain).
    threshold : sympy.Expr or None
        When the difference is affine in the (first) parameter outside any
        ``Max``: the value where it changes sign, as a formula in *every* other
        parameter (``f(other parameters)``).
    direction : str or None
        ``"below"`` or ``"above"``: on which side of the threshold the claim
        holds, at ``values``.
    boundary : sympy.Expr or None
        For two parameters: the second as a function of the first on the
        boundary, when the difference is affine in it.
    method : str
    """

    claim: Claim
    parameters: tuple[str, ...]
    values: Mapping[str, Any]
    difference: Any
    domain: tuple[str, ...]
    holds: Any
    condition: Any
    threshold: Any
    direction: str | None
    boundary: Any
    method: str
    _domain_exprs: tuple[Constraint, ...] = dataclasses.field(repr=False, default=())
    _strict: bool = dataclasses.field(repr=False, default=False)
    _used: frozenset = dataclasses.field(repr=False, default=frozenset())

    def contains(self, point: Mapping[str, Any]) -> bool:
        """Whether the claim holds at a point of the varying parameters (exact)."""
        subs = {symbol(k): exact_number(v) for k, v in point.items()}
        if not all(c.holds(subs) for c in self._domain_exprs):
            return False
        d = _exact_value(self.difference, subs)
        return bool(d > 0) if self._strict else bool(d >= 0)

    def text(self) -> str:
        """Return the region in one line."""
        if self.holds is not None:
            body = f"{self.parameters[0]} in {_set_text(self.holds)}"
        else:
            body = f"{self.condition}"
        others = ", ".join(f"{k}={v}" for k, v in self.values.items() if k in self._used)
        return body + (f" (with {others})" if others else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": list(self.parameters),
            "values": {k: str(v) for k, v in self.values.items()},
            "holds": str(self.holds) if self.holds is not None else None,
            "condition": str(self.condition),
            "threshold": str(self.threshold) if self.threshold is not None else None,
            "direction": self.direction,
            "boundary": str(self.boundary) if self.boundary is not None else None,
            "method": self.method,
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "values"}])

    def summary(self) -> str:
        """Return a readable line or two."""
        return f"{self.claim.title} holds where {self.text()}"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)

    def _plot_range(self, name: str) -> tuple[float, float]:
        """Finite plotting range of a varying parameter (its bounds, tightened by the domain)."""
        lo = hi = None
        x = symbol(name)
        for c in self._domain_exprs:
            if c.expr.free_symbols == {x}:
                sol = sympy.solve_univariate_inequality(c.expr >= 0, x, relational=False)
                if isinstance(sol, sympy.Interval):
                    if sol.start.is_finite:
                        lo = sol.start if lo is None else sympy.Max(lo, sol.start)
                    if sol.end.is_finite:
                        hi = sol.end if hi is None else sympy.Min(hi, sol.end)
        default = float(self.values.get(name, 0)) if name in self.values else 0.0
        return (float(lo) if lo is not None else default - 10, float(hi) if hi is not None else default + 10)


def holds_where(
    tree: model.DecisionTree,
    claim: Claim | str | Mapping[str, Any],
    parameters: str | Sequence[str],
    *,
    values: Mapping[str, Any] | None = None,
) -> Region:
    """Return the exact region where a claim holds, in one or two parameters.

    The other parameters are held at ``values`` (their defaults unless given,
    or the claim's fixed values); the region is solved exactly with sympy
    (``solveset`` on the difference, Max written piecewise).

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> r = holds_where(korea_talks(), "EV(talks) >= EV(no talks)", "p_defect", values={"p_flout": 0.5})
    >>> r.holds, r.direction
    (Interval(0, 53/130), 'below')
    """
    if not isinstance(claim, Claim):
        claim = Claim.from_spec(claim)
    params = (parameters,) if isinstance(parameters, str) else tuple(parameters)
    return _holds_where(_Context(tree), claim, params, values=values)


def _holds_where(
    ctx: _Context, claim: Claim, params: tuple[str, ...], *, values: Mapping[str, Any] | None
) -> Region:
    tree = ctx.tree
    if not 1 <= len(params) <= 2:
        raise ModelError("a region is computed for one or two parameters")
    for p in params:
        tree.parameter(p)
    fixed = {k: exact_number(v) for k, v in claim.fix}
    for k, v in (values or {}).items():
        tree.parameter(k)
        fixed[k] = exact_number(v)
    fixed = {k: v for k, v in fixed.items() if k not in params}
    space = _space(ctx, claim.assuming, {}, None)
    lhs = ctx.side_expr(claim.lhs)
    rhs = ctx.side_expr(claim.rhs)
    D_full, strict = _difference(claim, lhs, rhs)
    others = {name: fixed.get(name, p.exact) for name, p in tree.parameters.items() if name not in params}
    subs = {symbol(k): v for k, v in others.items()}
    D = sympy.expand(D_full.xreplace(subs))
    domain: list[Constraint] = []
    for c in space.all_constraints():
        e = sympy.expand(c.expr.xreplace(subs))
        if e.is_number:
            if (e <= 0) if c.strict else (e < 0):
                raise ModelError(f"at these values the constraint {c} ({c.origin}) fails")
            continue
        domain.append(Constraint(e, c.strict, c.origin))
    x = symbol(params[0])
    rel = (D > 0) if strict else (D >= 0)
    holds = None
    if len(params) == 1:
        dom: Any = sympy.S.Reals
        for c in domain:
            dom = dom.intersect(_solve_1d(c.expr, x, c.strict, sympy.S.Reals))
        holds = _solve_1d(D, x, strict, dom)
        condition = holds.as_relational(x) if hasattr(holds, "as_relational") else rel
        method = "solveset on the exact difference"
    else:
        condition = _readable_condition(D, strict, domain)
        method = "exact condition on the difference"
    # a threshold formula in every other parameter
    threshold = direction = None
    if not any(x in a.free_symbols for a in _top_atoms(D_full)):
        try:
            poly = sympy.Poly(sympy.expand(D_full), x)
        except sympy.PolynomialError:
            poly = None
        if poly is not None and poly.degree() == 1:
            b, a = poly.all_coeffs()
            threshold = sympy.simplify(-a / b)
            bv = b.xreplace(subs)
            if len(params) == 2:
                bv = None if bv.free_symbols else bv
            if bv is not None and bv.is_number and bv != 0:
                direction = "below" if bv < 0 else "above"
    boundary = None
    if len(params) == 2:
        y = symbol(params[1])
        if not any(y in a.free_symbols for a in _top_atoms(D)):
            try:
                py = sympy.Poly(D, y)
                if py.degree() == 1:
                    b, a = py.all_coeffs()
                    boundary = sympy.simplify(-a / b)
            except sympy.PolynomialError:
                pass
    return Region(
        claim=claim,
        parameters=params,
        values=others,
        difference=D,
        domain=tuple(str(c) for c in domain),
        holds=holds,
        condition=condition,
        threshold=threshold,
        direction=direction,
        boundary=boundary,
        method=method,
        _domain_exprs=tuple(domain),
        _strict=strict,
        _used=frozenset(s.name for s in D_full.free_symbols),
    )


def _set_text(value: Any) -> str:
    """Write a set in plain notation: ``[0, 53/130]``, ``(1/2, 1]``, unions with ``or``."""
    if isinstance(value, sympy.Interval):
        left = "(" if value.left_open else "["
        right = ")" if value.right_open else "]"
        return f"{left}{value.start}, {value.end}{right}"
    if isinstance(value, sympy.Union):
        return " or ".join(_set_text(a) for a in value.args)
    if isinstance(value, sympy.FiniteSet):
        return "{" + ", ".join(str(a) for a in value.args) + "}"
    if value == sympy.S.EmptySet:
        return "nowhere"
    return str(value)


def _readable_condition(D: sympy.Expr, strict: bool, domain: list[Constraint]) -> Any:
    """``D >= 0`` written plainly: ``Max(a, b) >= 0`` as ``a >= 0 | b >= 0``.

    Branches that cannot hold anywhere in the box of the domain (a linear
    branch negative at every corner) are dropped; this only shortens the text.
    """
    D = sympy.expand(D)
    if not isinstance(D, sympy.Max):
        return (D > 0) if strict else (D >= 0)
    syms = sorted(D.free_symbols, key=str)
    box: dict[sympy.Symbol, list[Any]] = {}
    for x in syms:
        lo = hi = None
        for c in domain:
            if c.expr.free_symbols == {x} and sympy.Poly(c.expr, x).degree() == 1:
                a, b = sympy.Poly(c.expr, x).all_coeffs()
                if a > 0:
                    lo = -b / a if lo is None else sympy.Max(lo, -b / a)
                else:
                    hi = -b / a if hi is None else sympy.Min(hi, -b / a)
        box[x] = [lo, hi]
    branches = []
    for arg in D.args:
        corners = None
        if all(v is not None for pair in box.values() for v in pair):
            try:
                if sympy.Poly(arg, *syms).total_degree() <= 1:
                    corners = [
                        arg.xreplace(dict(zip(syms, pt))) for pt in itertools.product(*(box[x] for x in syms))
                    ]
            except sympy.PolynomialError:
                corners = None
        if corners is not None and all((v <= 0) if strict else (v < 0) for v in corners):
            continue
        branches.append((arg > 0) if strict else (arg >= 0))
    if not branches:
        return sympy.false
    return sympy.Or(*branches)


def _solve_1d(expr: sympy.Expr, x: sympy.Symbol, strict: bool, domain: Any) -> Any:
    e = expr.rewrite(sympy.Piecewise) if expr.has(sympy.Max, sympy.Min) else expr
    rel = (e > 0) if strict else (e >= 0)
    out = sympy.solveset(rel, x, domain)
    if isinstance(out, sympy.ConditionSet):  # pragma: no cover - polynomial and Max pieces are solved
        raise EvaluationError(f"cannot solve {rel} for {x} exactly")
    return out


# ===================================================================== option value
@dataclasses.dataclass(frozen=True, eq=False)
class OptionValue:
    """A tree's value against the same tree with some decisions fixed.

    Attributes
    ----------
    node : str or None
        Where values are compared (``None``: the root).
    fixed_policy : dict
        The decisions fixed in the comparison tree.
    value : sympy number
        The option value at ``values`` (defaults), exact: free minus fixed.
    free_value, fixed_value : sympy number
        The two values, from exact evaluations of the tree.
    expression : sympy.Expr
        The option value in every parameter (symbolic).
    proof : ClaimResult
        The claim that the option value is never negative, checked over the
        whole parameter space.
    method : str
    """

    node: str | None
    fixed_policy: Mapping[str, str]
    value: Any
    free_value: Any
    fixed_value: Any
    expression: Any
    proof: ClaimResult
    method: str = "exact and symbolic evaluation"

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "node": self.node or "root",
                    "fixed": ", ".join(f"{k}={v}" for k, v in self.fixed_policy.items()),
                    "free value": self.free_value,
                    "fixed value": self.fixed_value,
                    "option value": self.value,
                    "never negative": self.proof.verdict,
                    "proof method": self.proof.method,
                }
            ]
        )

    def summary(self) -> str:
        """Return a readable line or two."""
        where = self.node or "the tree"
        return (
            f"option value at {where}: {self.free_value} - {self.fixed_value} = {self.value}; "
            f"never negative: {self.proof.verdict} ({self.proof.method})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def option_value(
    tree: model.DecisionTree,
    fixed_policy: Mapping[str, str],
    *,
    node: str | None = None,
    values: Mapping[str, Any] | None = None,
    search: bool = True,
) -> OptionValue:
    """Return the value of keeping options open: the tree against the tree with decisions fixed.

    Parameters
    ----------
    tree : DecisionTree
    fixed_policy : mapping of decision to label
        The decisions taken away (fixed) in the comparison, e.g. every
        post-talks decision fixed to ``"accept"``.
    node : str, optional
        Compare values at this node (name, path or unique label); the root by
        default, i.e. the whole tree, where the decision maker may also
        re-plan the earlier choices.
    values : mapping, optional
        Parameter values for the exact ``value`` (defaults otherwise).

    Returns
    -------
    OptionValue
        Exact value, the symbolic expression, and the proof it is never negative.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> accept = {"after_complies": "accept", "after_flouts": "accept", "after_defect": "accept"}
    >>> ov = option_value(korea_talks(), accept)
    >>> ov.value, ov.proof.verdict
    (41/2, 'proven')
    >>> option_value(korea_talks(), accept, node="talks").value
    30
    """
    from .core.evaluate import evaluate

    ctx = _Context(tree)
    key = ctx.node_key(node)
    policy = _policy_tuple(fixed_policy)
    claim = Claim(
        ValueOf(node),
        ">=",
        ValueOf(node, policy),
        name="keeping the options is worth something",
        kind="dominance",
    )
    proof = _check(ctx, claim, search=search, seed=0, region=None)
    free = evaluate(tree, values, method="exact")
    fixed = evaluate(tree, values, method="exact", policy=dict(fixed_policy))
    fv = free.value if key is None else free.value_of(key)
    xv = fixed.value if key is None else fixed.value_of(key)
    return OptionValue(
        node=node,
        fixed_policy=dict(fixed_policy),
        value=sympy.sympify(fv - xv),
        free_value=sympy.sympify(fv),
        fixed_value=sympy.sympify(xv),
        expression=proof.difference,
        proof=proof,
    )
