"""Claims as objects, and their text form: ``EV(ref)`` sides, relations, tree-file specs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from ..core.errors import ExpressionError, ModelError
from ..core.expressions import exact_number, parse_expression, symbol

#: The comparison senses a claim may use.
SENSES = (">=", "<=", ">", "<")
#: Verdicts.
PROVEN, REFUTED, UNDECIDED = "proven", "refuted", "undecided"
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
            raise ModelError(
                f"unknown claim kind {self.kind!r}{did_you_mean(str(self.kind), _KINDS)} "
                f"(kinds: {', '.join(_KINDS)})"
            )
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
    if "every" in spec or "exists" in spec:
        raise ModelError(
            "a claim about equilibria ('every'/'exists') is decided by evtree.games.check_equilibrium_claim"
        )
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise ModelError(
            f"unknown key {key!r}{did_you_mean(key, _SPEC_KEYS)} (allowed: {', '.join(sorted(_SPEC_KEYS))})"
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
        node = spec.get("node")
        if node is not None and not isinstance(node, str):
            raise ModelError(
                f"'node' names a node by its name or path (text), got {type(node).__name__} {node!r}",
                field="node",
            )
        return cls.bound(node, sense, bound, name=name, **opts)
    raise ModelError(
        f"unknown claim kind {kind!r}{did_you_mean(str(kind), _KINDS)} (kinds: {', '.join(_KINDS)})"
    )


def did_you_mean(word: str, choices: Any) -> str:
    """Return ``"; did you mean 'x'?"`` for the nearest of ``choices``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def is_equilibrium_claim(spec: Any) -> bool:
    """Whether a tree-file claim is about equilibria: ``every``/``exists`` (:mod:`evtree.games.claims`)."""
    return isinstance(spec, Mapping) and ("every" in spec or "exists" in spec)


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


def _difference(claim: Claim, lhs: sympy.Expr, rhs: sympy.Expr) -> tuple[sympy.Expr, bool]:
    if claim.sense in (">=", ">"):
        return lhs - rhs, claim.sense == ">"
    return rhs - lhs, claim.sense == "<"


def _claim_holds(sense: str, lhs: Any, rhs: Any) -> bool:
    return bool({">=": lhs >= rhs, ">": lhs > rhs, "<=": lhs <= rhs, "<": lhs < rhs}[sense])
