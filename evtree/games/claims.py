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

__all__ = ["EquilibriumClaimResult", "check_equilibrium_claim"]

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

    @property
    def holds(self) -> bool | None:
        return {"proven": True, "refuted": False}.get(self.verdict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"claim": dict(self.claim), "verdict": self.verdict, "method": self.method}
        if self.counterexample is not None:
            out["counterexample"] = {k: str(v) for k, v in self.counterexample.items()}
        if self.detail:
            out["detail"] = self.detail
        return out

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html(index=False)


def _parse(claim: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    if not isinstance(claim, Mapping):
        raise ModelError("a claim about equilibria is a mapping with 'every' or 'exists'", field="claims")
    quantifier = "every" if "every" in claim else "exists" if "exists" in claim else None
    unknown = set(claim) - {"every", "exists", "chooses", "text", "name"}
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
    if what == "subgame perfect":
        return list(subgame_perfect(tree, point, method="exact"))
    if what == "nash":
        from .nash import nash

        return list(nash(tree, point, method="exact"))
    from .signalling import signalling

    eqs = list(signalling(tree, point, method="exact"))
    if what in _WORDS:
        eqs = [e for e in eqs if e.description.split(" ")[0].rstrip(":") == what]
    return eqs


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
    eqs = _equilibria(tree, what, point)
    if quantifier == "every":
        return all(_matches(e, chooses) for e in eqs)
    return any(_matches(e, chooses) for e in eqs)


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
    quantifier, what, chooses = _parse(claim)
    fixed = {k: exact_number(v) for k, v in (values or {}).items()}
    free = [
        name
        for name, p in tree.parameters.items()
        if name not in fixed and p.bounds[0] is not None and p.bounds[1] is not None
    ]
    if not free:
        point = dict(fixed)
        ok = _holds(tree, quantifier, what, chooses, point)
        full = {k: fixed.get(k, p.exact) for k, p in tree.parameters.items()}
        return EquilibriumClaimResult(
            dict(claim),
            "proven" if ok else "refuted",
            None if ok else full,
            "exact, at the parameter values (no parameter has a range)",
        )
    if what == "subgame perfect" and len(free) == 1:
        return _one_parameter_spe(tree, dict(claim), quantifier, chooses, free[0], fixed)
    axes = []
    for name in free:
        lo, hi = tree.parameters[name].bounds
        axes.append([lo + (hi - lo) * sympy.Rational(i, grid - 1) for i in range(grid)])
    defaults = {name: tree.parameters[name].exact for name in free}
    points = [defaults] + [dict(zip(free, combo)) for combo in itertools.product(*axes)]
    for pt in points:
        if not _holds(tree, quantifier, what, chooses, {**fixed, **pt}):
            return EquilibriumClaimResult(
                dict(claim),
                "refuted",
                {**fixed, **pt},
                f"exact solve at rational grid points ({grid} per parameter)",
                f"fails at {pt}",
            )
    return EquilibriumClaimResult(
        dict(claim),
        "undecided",
        None,
        f"exact solve at rational grid points ({grid} per parameter)",
        f"holds at all {len(points)} points searched; not proven between them",
    )


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
            return EquilibriumClaimResult(
                claim, "refuted", cex, method, f"fails where {name} is in {failing}"
            )
    if regions.complete and failing.is_empty:
        return EquilibriumClaimResult(claim, "proven", None, method, f"holds for every {name} in {domain}")
    return EquilibriumClaimResult(claim, "undecided", None, method, "the regions could not be completed")
