"""Checking claims: one claim, or every claim stated with a tree."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy

from ..core import model
from ..core.expressions import symbol
from .certificates import tree_bounds
from .construction import _by_construction
from .context import _Context
from .prover import _Outcome, _Prover
from .regions import _holds_where
from .results import ClaimReport, ClaimResult
from .solver import DEFAULT_TIMEOUT
from .space import _space
from .spec import (
    PROVEN,
    REFUTED,
    UNDECIDED,
    Claim,
    ValueOf,
    _claim_holds,
    _difference,
    _parse_side,
    _side_text,
)

#: Seconds z3 may spend re-proving a claim with the probabilities free (``by_construction``).
CONSTRUCTION_TIMEOUT = 5.0


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
    >>> r.verdict, r.method, r.by_construction
    ('proven', 'z3', True)
    >>> r = check(korea_talks(), "EV(talks) >= EV(no talks)")
    >>> r.verdict, r.method, r.violation["lhs"] < 0
    ('refuted', 'z3 model', True)
    """
    if _is_equilibrium(claim):
        return _check_equilibrium(tree, claim)
    if not isinstance(claim, Claim):
        claim = Claim.from_spec(claim)
    ctx = _Context(tree)
    return _check(ctx, claim, search=search, seed=seed, region=region)


def _is_equilibrium(spec: Any) -> bool:
    """Whether a claim is about a game's equilibria (``every:`` or ``exists:``, docs/claims.md)."""
    return isinstance(spec, Mapping) and ("every" in spec or "exists" in spec)


def _check_equilibrium(tree: model.DecisionTree, spec: Mapping[str, Any], where: str = "") -> Any:
    """Decide a claim about equilibria (:func:`evtree.games.check_equilibrium_claim`)."""
    from ..core.errors import ModelError
    from ..games.claims import check_equilibrium_claim

    if not getattr(tree, "players", None):
        raise ModelError(
            "a claim about equilibria ('every' or 'exists') needs a game: declare 'players'",
            field=where or "claims",
        )
    return check_equilibrium_claim(tree, spec)


def _check(
    ctx: _Context,
    claim: Claim,
    *,
    search: bool,
    seed: int,
    region: Sequence[str] | None,
    timeout: float = DEFAULT_TIMEOUT,
    fast: bool = True,
    construction: bool = True,
) -> ClaimResult:
    start = time.perf_counter()
    space = _space(ctx, claim.assuming, dict(claim.fix), claim.vary)
    lhs = ctx.side_expr(claim.lhs)
    rhs = ctx.side_expr(claim.rhs)
    fixed = {symbol(k): v for k, v in space.fixed.items()}
    lhs, rhs = lhs.xreplace(fixed), rhs.xreplace(fixed)
    D, strict = _difference(claim, lhs, rhs)
    prover = _Prover(D, space, strict, search=search, seed=seed, timeout=timeout, fast=fast)
    outcome = None
    if fast:
        # fast paths that cost milliseconds when they do not apply (benchmarks/bench_claims.py):
        # more options never lower a value; bounds propagated up the tree
        outcome = _fewer_fixed_decisions(ctx, claim, prover) or _bound_by_propagation(
            ctx, claim, space, lhs, rhs, prover
        )
    if outcome is None:
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
    constructed = False
    if verdict == PROVEN and construction:
        # bounds propagated up the tree hold whatever the probabilities: by construction
        constructed = method in ("bounds over the tree", "the tree's shape") or _by_construction(
            ctx, claim, timeout=min(timeout, CONSTRUCTION_TIMEOUT)
        )
        if constructed:
            lines.append(
                "by construction: still proven with every chance node's probabilities free on the "
                "simplex (the verdict follows from the bounds, the tree's structure and the assumptions, "
                "whatever the probabilities)"
            )
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
        sides=(describe_side(ctx, claim.lhs), describe_side(ctx, claim.rhs)),
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
        decided_by=outcome.decided_by,
        by_construction=constructed,
        seconds=time.perf_counter() - start,
    )


def describe_side(ctx: _Context, side: Any) -> str:
    """Return what one side of a claim is, in words: each value it refers to, by node and strategy.

    ``EV(talks)`` reads ``EV(talks) = the value at us_choice/talks (north_response), decisions
    below chosen optimally``; ``EV(d=a)`` at the root names the strategy by its ``decision=label``
    pairs; a number is itself.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> describe_side(_Context(korea_talks()), "EV(no talks)")
    'EV(no talks) = the value at us_choice/no talks (a terminal)'
    """
    if isinstance(side, ValueOf):
        refs = {sympy.Symbol("_side"): side}
    elif isinstance(side, str):
        refs = _parse_side(side)[1]
    else:
        return str(side)
    if not refs:
        return str(side)
    return "; ".join(f"{ref} = {_value_words(ctx, ref)}" for ref in dict.fromkeys(refs.values()))


def _value_words(ctx: _Context, ref: ValueOf) -> str:
    from ..core.evaluate import strategy_name

    tree = ctx.tree
    key = ctx.node_key(ref.node)
    node = tree.root if key is None else tree.node(key)
    where = f"the tree's value at its root {node.path}" if key is None else f"the value at {node.path}"
    kind = "a terminal" if isinstance(node, model.Terminal) else (node.name or f"a {node.kind} node")
    if not (key is None and node.name):
        where += f" ({kind})"
    if isinstance(node, model.Terminal):
        return where
    fixed = dict(ref.policy)
    below = [d.key for d in node.descendants if isinstance(d, model.Decision)]
    if isinstance(node, model.Decision):
        below.insert(0, node.key)
    if fixed:
        where += f" under {strategy_name(fixed)}"
        return where + (", other decisions chosen optimally" if set(below) - set(fixed) else "")
    return where + (", decisions below chosen optimally" if below else "")


def _value_ref(side: Any) -> ValueOf | None:
    """Return the :class:`ValueOf` a side is, when it is one value (``EV(ref)`` alone)."""
    if isinstance(side, ValueOf):
        return side
    if isinstance(side, str):
        expr, refs = _parse_side(side)
        if expr in refs:
            return refs[expr]
    return None


def _fewer_fixed_decisions(ctx: _Context, claim: Claim, prover: _Prover) -> _Outcome | None:
    """Prove ``EV(node | P) >= EV(node | Q)`` when ``P`` fixes a subset of ``Q``'s decisions alike.

    The left side optimises over every strategy the right side may use, and
    more (its free decisions are chosen optimally), so it is worth at least as
    much (``<=`` in a minimising tree).  Trees with a utility are left to z3.
    """
    left, right = _value_ref(claim.lhs), _value_ref(claim.rhs)
    tree = ctx.tree
    if left is None or right is None or tree.utility is not None or claim.sense not in (">=", "<="):
        return None
    if claim.sense == "<=":
        left, right = right, left  # now: left >= right
    if ctx.node_key(left.node) != ctx.node_key(right.node):
        return None
    fewer, more = (left, right) if tree.objective == "max" else (right, left)
    if not set(fewer.policy) <= set(more.policy):
        return None
    left, right = fewer, more
    prover.check_nonempty()
    text = (
        f"{left} fixes {len(left.policy)} of the {len(right.policy)} decisions {right} fixes, to the same "
        "branches; its other decisions are chosen optimally, so it is worth at least as much "
        f"({'at least' if tree.objective == 'max' else 'at most'}, the tree {tree.objective}imising)"
    )
    return _Outcome(
        PROVEN, "the tree's shape", [text], lower_bound=sympy.Integer(0), decided_by="the tree's shape"
    )


def _bound_by_propagation(
    ctx: _Context, claim: Claim, space: Any, lhs: Any, rhs: Any, prover: _Prover
) -> _Outcome | None:
    """Prove ``EV(node) >= c`` (or ``<=``) from bounds propagated up the tree, when they suffice."""
    from sympy.calculus.accumulationbounds import AccumBounds

    left, right = _value_ref(claim.lhs), _value_ref(claim.rhs)
    if left is not None and right is None and rhs.is_number:
        ref, c, sense = left, rhs, claim.sense
    elif right is not None and left is None and lhs.is_number:
        ref, c = right, lhs
        sense = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}[claim.sense]
    else:
        return None
    found = tree_bounds(ctx.tree, ctx.node_key(ref.node), dict(ref.policy), space)
    if found is None:
        return None
    value, lines = found
    lo, hi = (value.min, value.max) if isinstance(value, AccumBounds) else (value, value)
    lo, hi = sympy.sympify(lo), sympy.sympify(hi)
    if not (lo.is_comparable or lo.is_infinite) or not (hi.is_comparable or hi.is_infinite):
        return None  # an opaque term (a max of intervals, ...) the interval arithmetic left symbolic
    ok = {">=": lo >= c, ">": lo > c, "<=": hi <= c, "<": hi < c}[sense]
    if not bool(ok):
        return None
    prover.check_nonempty()
    text = f"{ref} lies in [{lo}, {hi}] for every point of the parameters' box and every probability"
    return _Outcome(
        PROVEN,
        "bounds over the tree",
        [text, *lines],
        lower_bound=(lo - c) if sense in (">=", ">") else (c - hi),
        decided_by="certificate (interval bounds propagated up the tree, exact)",
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

    Claims about a game's equilibria (``{"every": KIND, "chooses": {...}}`` or
    ``{"exists": ...}``) are decided by :func:`evtree.games.check_equilibrium_claim`
    and listed among the others, each an :class:`evtree.games.EquilibriumClaimResult`.

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
    parsed: list[Any] = [
        c if isinstance(c, Claim) or _is_equilibrium(c) else Claim.from_spec(c, where=f"claims[{i}]")
        for i, c in enumerate(specs)
    ]
    ctx = _Context(tree)
    items: Iterable[Any] = parsed
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(parsed, desc="claims", unit="claim")
    results = [
        _check_equilibrium(tree, c, f"claims[{i}]")
        if _is_equilibrium(c)
        else _check(ctx, c, search=search, seed=seed, region=None)
        for i, c in enumerate(items)
    ]
    return ClaimReport(tuple(results))
