"""Claims about equilibria, decided over the parameter space (the hook for ``evtree check``).

    check_equilibrium_claim   proven, refuted (with an exact counterexample) or undecided

A claim is a mapping, one of::

    {"every": "subgame perfect", "chooses": {"us_choice": "talks"}}
        in every equilibrium of that kind, each information set (or node) named
        chooses that label with probability 1
    {"exists": "separating"}            # or "pooling", "semi-separating", or a kind
    {"exists": "nash", "chooses": {...}}
        some equilibrium of that description (and with those choices) exists

``every`` and ``exists`` take a kind (``"subgame perfect"``, ``"nash"``,
``"perfect bayesian"``) or, for signalling games, a description word
(``"pooling"``, ``"separating"``, ``"semi-separating"``, which are perfect Bayesian).
The parameter space is the box of the parameters that have both bounds (the
others stay at their values).  The claim must hold at every point of it.

How it is decided: with no bounded parameter, exactly at the one point.  For
subgame-perfect claims over one parameter, exactly: every subgame-perfect
profile and the interval set where it is subgame perfect are found
(:func:`evtree.games.equilibrium_regions`), so the claim is proven, or refuted
at a rational point of the set where it fails (re-checked exactly there).
Otherwise: exact solves on a grid of rational points; a point where the claim
fails refutes it, else it is undecided.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

import sympy

from ..core import model
from ..core.errors import ModelError
from ..core.expressions import exact_number
from .records import KINDS, Equilibrium
from .spe import _pick, equilibrium_regions, subgame_perfect

__all__ = ["EquilibriumClaimResult", "check_equilibrium_claim", "claim_text", "is_equilibrium_claim"]

#: At most this many points are solved exactly when a claim is decided by search
#: (the defaults, then the box's corners and a seeded sample of the grid).
MAX_SEARCH_POINTS = 64

_WORDS = ("pooling", "separating", "semi-separating")


@dataclasses.dataclass(frozen=True)
class EquilibriumClaimResult:
    """The verdict on a claim about equilibria.

    Attributes
    ----------
    claim : dict
        The claim as given.
    verdict : {"proven", "refuted", "undecided"}
    counterexample : dict or None
        Parameter values (exact) at which the claim fails, when refuted.
    method : str
        How the verdict was reached.
    detail : str
        What the verdict rests on, in words.
    """

    claim: Mapping[str, Any]
    verdict: str
    counterexample: Mapping[str, Any] | None
    method: str
    detail: str = ""
    seconds: float | None = None

    # The same reading as evtree.claims.ClaimResult, so that `evtree check` and
    # evtree.claims.check_claims list claims about equilibria among the others.
    by_construction = False

    @property
    def holds(self) -> bool | None:
        return {"proven": True, "refuted": False}.get(self.verdict)

    @property
    def name(self) -> str:
        """The claim's name (``name:`` in the file), or ``""``."""
        return str(self.claim.get("name") or "")

    @property
    def text(self) -> str:
        """The claim in words: ``in every subgame perfect equilibrium, entrant chooses In``."""
        return claim_text(self.claim)

    @property
    def title(self) -> str:
        """The claim's name, or its text."""
        return self.name or self.text

    @property
    def decided_by(self) -> str:
        return self.method

    @property
    def certificate(self) -> tuple[str, ...]:
        """Lines a reader can check: how it was decided and on what it rests."""
        return tuple(x for x in (self.method, self.detail) if x)

    def conditions(self) -> str:
        """Return the conditions the verdict is under: the parameters held at given values."""
        parts = [f"{k} = {v}" for k, v in (self.claim.get("values") or {}).items()]
        vary = self.claim.get("vary")
        if vary is not None:
            parts.append("only " + ", ".join(vary) + " vary" if vary else "no parameter varies")
        return "; ".join(parts) or "whole parameter space"

    def detail_text(self) -> str:
        """One line: where the claim fails (exactly), or what the verdict rests on."""
        if self.verdict == "refuted" and self.counterexample is not None:
            point = ", ".join(f"{k}={v}" for k, v in self.counterexample.items())
            return f"fails at {{{point}}}" + (f" ({self.detail})" if self.detail else "")
        return self.detail or (
            "holds everywhere" if self.verdict == "proven" else "no proof and no counterexample"
        )

    def summary(self) -> str:
        """Return a few readable lines, as :meth:`evtree.claims.ClaimResult.summary` does."""
        lines = [f"{self.title}: {self.verdict.upper()} ({self.method})"]
        if self.name:
            lines.append(f"  claim: {self.text}")
        if self.conditions() != "whole parameter space":
            lines.append(f"  assuming: {self.conditions()}")
        lines.append(f"  {self.detail_text()}")
        return "\n".join(lines)

    def _row(self) -> dict[str, Any]:
        return {
            "claim": self.title,
            "verdict": self.verdict,
            "method": self.method,
            "decided_by": self.decided_by,
            "by_construction": False,
            "conditions": self.conditions(),
            "detail": self.detail_text(),
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"claim": dict(self.claim), "verdict": self.verdict, "method": self.method}
        out["name"] = self.name
        out["text"] = self.text
        out["kind"] = "equilibrium"
        if self.counterexample is not None:
            out["counterexample"] = {k: str(v) for k, v in self.counterexample.items()}
        if self.detail:
            out["detail"] = self.detail
        if self.seconds is not None:
            out["seconds"] = self.seconds
        return out

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html(index=False)


def is_equilibrium_claim(spec: Any) -> bool:
    """Whether a claim's tree-file form is a claim about equilibria (``every:`` or ``exists:``)."""
    return isinstance(spec, Mapping) and ("every" in spec or "exists" in spec)


def claim_text(claim: Mapping[str, Any]) -> str:
    """Return a claim about equilibria in words.

    Examples
    --------
    >>> claim_text({"every": "subgame perfect", "chooses": {"entrant": "In"}})
    'in every subgame perfect equilibrium, entrant chooses In'
    >>> claim_text({"exists": "pooling"})
    'a pooling equilibrium exists'
    """
    chooses = claim.get("chooses") or {}
    choices = " and ".join(f"{k} chooses {v}" for k, v in chooses.items())
    if "every" in claim:
        return f"in every {claim['every']} equilibrium, {choices}"
    what = str(claim.get("exists"))
    article = "an" if what[:1] in "aeiou" else "a"
    return f"{article} {what} equilibrium exists" + (f" in which {choices}" if choices else "")


def _parse(claim: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    if not isinstance(claim, Mapping):
        raise ModelError("a claim about equilibria is a mapping with 'every' or 'exists'", field="claims")
    quantifier = "every" if "every" in claim else "exists" if "exists" in claim else None
    unknown = set(claim) - {"every", "exists", "chooses", "text", "name", "description", "values", "vary"}
    if quantifier is None or ("every" in claim and "exists" in claim) or unknown:
        raise ModelError(
            "a claim about equilibria has one of 'every' or 'exists', and optionally 'chooses'",
            field="claims",
        )
    what = claim[quantifier]
    if what not in KINDS and what not in _WORDS:
        raise ModelError(
            f"unknown equilibrium kind {what!r} (one of: {', '.join(KINDS + _WORDS)})",
            field=f"claims.{quantifier}",
        )
    chooses = claim.get("chooses") or {}
    if not isinstance(chooses, Mapping) or not all(isinstance(v, str) for v in chooses.values()):
        raise ModelError(
            "'chooses' maps information sets (or nodes) to branch labels", field="claims.chooses"
        )
    if quantifier == "every" and not chooses:
        raise ModelError("'every' needs 'chooses': what every equilibrium does", field="claims.chooses")
    return quantifier, what, dict(chooses)


def _equilibria(tree: model.DecisionTree, what: str, point: Mapping[str, Any]) -> list[Equilibrium]:
    return _solved(tree, what, point)[0]


def _solved(
    tree: model.DecisionTree, what: str, point: Mapping[str, Any]
) -> tuple[list[Equilibrium], list[Equilibrium]]:
    """Return the equilibria of the kind (or description word) ``what``, and all the solver found."""
    if what == "subgame perfect":
        eqs = list(subgame_perfect(tree, point, method="exact"))
    elif what == "nash":
        from .nash import nash

        eqs = list(nash(tree, point, method="exact"))
    else:
        from .signalling import signalling

        eqs = list(signalling(tree, point, method="exact"))
    if what in _WORDS:
        return [e for e in eqs if e.description.split(" ")[0].rstrip(":") == what], eqs
    return eqs, eqs


def _matches(eq: Equilibrium, chooses: Mapping[str, str]) -> bool:
    for key, label in chooses.items():
        if key not in eq.profile:
            raise ModelError(
                f"no information set or decision node {key!r} in the game", field="claims.chooses"
            )
        if label not in eq.profile[key]:
            raise ModelError(f"{key!r} has no branch {label!r}", field="claims.chooses")
        if eq.profile[key][label] != 1:
            return False
    return True


def _holds(tree: model.DecisionTree, quantifier: str, what: str, chooses: dict[str, str], point: Any) -> bool:
    return _holds_with(tree, quantifier, what, chooses, point)[0]


def _holds_with(
    tree: model.DecisionTree, quantifier: str, what: str, chooses: dict[str, str], point: Any
) -> tuple[bool, list[Equilibrium]]:
    """Whether the claim holds at ``point``, and the equilibria found there (of every kind)."""
    eqs, found = _solved(tree, what, point)
    if quantifier == "every":
        return all(_matches(e, chooses) for e in eqs), found
    return any(_matches(e, chooses) for e in eqs), found


def check_equilibrium_claim(
    tree: model.DecisionTree,
    claim: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    *,
    grid: int = 9,
) -> EquilibriumClaimResult:
    """Decide a claim about the equilibria of a game over its parameter space.

    Parameters
    ----------
    tree : DecisionTree
        A game.
    claim : mapping
        ``{"every": KIND, "chooses": {...}}`` or ``{"exists": KIND_OR_WORD, "chooses": {...}}``
        (see the module notes).
    values : mapping, optional
        Values for parameters held fixed (a fixed parameter is not searched).
    grid : int
        Points per parameter when deciding by search.

    Returns
    -------
    EquilibriumClaimResult

    Examples
    --------
    >>> from evtree.games import examples
    >>> check_equilibrium_claim(examples.beer_quiche(), {"exists": "pooling"}).verdict
    'refuted'
    """
    import time

    began = time.perf_counter()
    quantifier, what, chooses = _parse(claim)
    given = {**dict(claim.get("values") or {}), **dict(values or {})}
    for name in given:
        tree.parameter(name)
    fixed = {k: exact_number(v) for k, v in given.items()}
    vary = claim.get("vary")
    if vary is not None:
        if isinstance(vary, str) or not all(isinstance(v, str) for v in vary):
            raise ModelError("'vary' lists the parameters that vary", field="claims.vary")
        for name in vary:
            tree.parameter(name)
    free = [
        name
        for name, p in tree.parameters.items()
        if name not in fixed
        and (vary is None or name in vary)
        and not p.is_formula
        and p.bounds[0] is not None
        and p.bounds[1] is not None
    ]
    result = _decide(tree, dict(claim), quantifier, what, chooses, free, fixed, grid)
    return dataclasses.replace(result, seconds=time.perf_counter() - began)


def _decide(
    tree: model.DecisionTree,
    claim: dict[str, Any],
    quantifier: str,
    what: str,
    chooses: dict[str, str],
    free: list[str],
    fixed: dict[str, Any],
    grid: int,
) -> EquilibriumClaimResult:
    if not free:
        point = dict(fixed)
        ok, eqs = _holds_with(tree, quantifier, what, chooses, point)
        full = {k: fixed.get(k, p.exact) for k, p in tree.base_parameters.items()}
        return EquilibriumClaimResult(
            claim,
            "proven" if ok else "refuted",
            None if ok else full,
            "exact, at the parameters' values (none varies)",
            _witness(what, chooses, eqs) if not ok else "holds at the parameters' values",
        )
    if what == "subgame perfect" and len(free) == 1:
        return _one_parameter_spe(tree, claim, quantifier, chooses, free[0], fixed)
    points, searched = _search_points(tree, free, grid)
    method = f"exact solve at rational points: {searched}"
    for pt in points:
        ok, eqs = _holds_with(tree, quantifier, what, chooses, {**fixed, **pt})
        if not ok:
            return EquilibriumClaimResult(
                claim, "refuted", {**fixed, **pt}, method, _witness(what, chooses, eqs)
            )
    return EquilibriumClaimResult(
        claim,
        "undecided",
        None,
        method,
        f"holds at all {len(points)} points searched; not proven between them",
    )


def _search_points(tree: model.DecisionTree, free: list[str], grid: int) -> tuple[list[dict], str]:
    """Return the defaults, then the grid's points: every one when few, else a seeded sample."""
    import random

    axes = []
    for name in free:
        lo, hi = tree.parameters[name].bounds
        axes.append([lo + (hi - lo) * sympy.Rational(i, grid - 1) for i in range(grid)])
    defaults = {name: tree.parameters[name].exact for name in free}
    total = grid ** len(free)
    if total + 1 <= MAX_SEARCH_POINTS:
        points = [defaults] + [dict(zip(free, combo)) for combo in itertools.product(*axes)]
        return points, f"the defaults and every point of a grid of {grid} per parameter"
    rng = random.Random(0)
    points = [defaults]
    seen: set[tuple[int, ...]] = set()
    while len(points) < MAX_SEARCH_POINTS:
        index = tuple(rng.randrange(grid) for _ in free)
        if index not in seen:
            seen.add(index)
            points.append({n: axis[i] for n, axis, i in zip(free, axes, index)})
    return points, (
        f"the defaults and a seeded sample of {MAX_SEARCH_POINTS - 1} of the {grid}^{len(free)} points "
        f"of a grid of {grid} per parameter"
    )


def _witness(what: str, chooses: Mapping[str, str], eqs: list[Equilibrium]) -> str:
    """Return what the equilibria at a counterexample do, in words (solved exactly there)."""
    if not eqs:
        return f"no {what} equilibrium there"
    if what in _WORDS:
        what = "perfect bayesian"
    shown = []
    for e in eqs[:4]:
        picks = ", ".join(f"{k} {_mix(e.profile[k])}" for k in chooses if k in e.profile)
        text = e.description or e.kind
        shown.append(f"{text} ({picks})" if picks else text)
    more = f" and {len(eqs) - 4} more" if len(eqs) > 4 else ""
    return f"{len(eqs)} {what} equilibri{'um' if len(eqs) == 1 else 'a'} there: " + "; ".join(shown) + more


def _mix(probs: Mapping[str, Any]) -> str:
    sure = [lb for lb, p in probs.items() if p == 1]
    if sure:
        return f"chooses {sure[0]}"
    return "mixes " + ", ".join(f"{lb} {p}" for lb, p in probs.items() if p != 0)


def _one_parameter_spe(
    tree: model.DecisionTree,
    claim: dict[str, Any],
    quantifier: str,
    chooses: dict[str, str],
    name: str,
    fixed: dict[str, Any],
) -> EquilibriumClaimResult:
    regions = equilibrium_regions(tree, name, fixed)
    domain = regions.domain
    good: sympy.Set = sympy.S.EmptySet
    bad: sympy.Set = sympy.S.EmptySet
    for row in regions.rows:
        for labels, region in row["profile_regions"]:
            for key in chooses:
                if key not in labels:
                    raise ModelError(
                        f"no information set or decision node {key!r} in the game", field="claims"
                    )
            if all(labels[k] == v for k, v in chooses.items()):
                good = good | region
            else:
                bad = bad | region
    method = f"exact: every subgame-perfect profile and its region over {name} (sympy inequality solving)"
    failing = bad if quantifier == "every" else domain - good
    if not failing.is_empty:
        point = _pick(failing)
        cex = {**fixed, name: point}
        if not _holds(tree, quantifier, "subgame perfect", chooses, cex):
            where = failing.as_relational(sympy.Symbol(name))
            return EquilibriumClaimResult(claim, "refuted", cex, method, f"it fails exactly where {where}")
    if regions.complete and failing.is_empty:
        where = domain.as_relational(sympy.Symbol(name))
        return EquilibriumClaimResult(claim, "proven", None, method, f"holds wherever {where}")
    return EquilibriumClaimResult(claim, "undecided", None, method, "the regions could not be completed")
