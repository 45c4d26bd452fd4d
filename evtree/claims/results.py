"""Result records: ClaimResult (one verdict) and ClaimReport (every claim of a tree)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sympy

from ..core.errors import UnknownNameError
from .prover import _point_text
from .space import ParameterSpace
from .spec import PROVEN, REFUTED, Claim, _side_text

if TYPE_CHECKING:
    from .regions import Region


# ===================================================================== results
def _valued(side: Any, value: Any) -> str:
    """``EV(talks) = -120``; a side that is a number is just its value."""
    text = _side_text(side)
    return str(value) if text == str(value) else f"{text} = {value}"


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
    decided_by : str
        What decided the verdict: the solver and its version (``"z3 4.13.0"``),
        ``"certificate (...)"`` for a proof re-checked by exact expansion,
        ``"constant"``, or the search and exact evaluation behind a counterexample.
    by_construction : bool
        For a proof: it stays proven with every chance node's probabilities
        free on the simplex, i.e. it follows from the payoffs' bounds, the
        tree's shape and the assumptions, not from the probabilities (see
        ``docs/claims.md``).  False for other verdicts.
    seconds : float or None
        Time spent deciding, in seconds.
    sides : tuple of str
        What the left and the right side are, in words: each value by its node and
        strategy (``decision=label`` pairs), as :meth:`summary` prints them.
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
    decided_by: str = ""
    by_construction: bool = False
    seconds: float | None = None
    sides: tuple[str, str] = ("", "")

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
                left = _valued(self.claim.lhs, self.violation["lhs"])
                right = _valued(self.claim.rhs, self.violation["rhs"])
                text += f" ({left} vs {right})"
            if self.region is not None:
                text += "; holds where " + self.region.text()
            return text
        if self.verdict == PROVEN:
            where = "holds everywhere" if not self._conditional() else "holds wherever the conditions hold"
            bound = f" (difference >= {self.lower_bound})" if self.lower_bound is not None else ""
            return where + bound
        took = f" (after {self.seconds:.3g} s)" if self.seconds is not None else ""
        if self.worst is not None:
            return f"worst case found {self.worst:.6g} at {self.worst_point}{took}"
        return f"no proof and no counterexample{took}"

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
        flag = ", by construction" if self.by_construction else ""
        # "z3" is shown with its version; other methods as they are
        how = self.decided_by if self.method == "z3" and self.decided_by else self.method
        lines = [f"{self.claim.title}: {self.verdict.upper()} ({how}{flag})"]
        if self.claim.name:
            lines.append(f"  claim: {self.claim}")
        for side, words in zip(("left", "right"), self.sides):
            if words and words != _side_text(getattr(self.claim, "lhs" if side == "left" else "rhs")):
                lines.append(f"  {side + ':':<6} {words}")
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
            "decided_by": self.decided_by,
            "by_construction": self.by_construction,
            "seconds": self.seconds,
            "sides": {"left": self.sides[0], "right": self.sides[1]},
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
            "decided_by": self.decided_by,
            "by_construction": self.by_construction,
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
    """The results of several claims, in order.

    A game's claims about equilibria are :class:`evtree.games.EquilibriumClaimResult`
    records, which read the same way (verdict, method, summary, to_dict).
    """

    results: tuple[ClaimResult, ...]

    def __iter__(self) -> Iterator[ClaimResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: int | str) -> ClaimResult:
        if isinstance(key, int):
            return self.results[key]
        for r in self.results:
            if isinstance(r, ClaimResult) and (r.claim.name == key or str(r.claim) == key):
                return r
            if not isinstance(r, ClaimResult) and key in (r.name, r.text):  # a claim about equilibria
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
            [r._row() for r in self.results],
            columns=["claim", "verdict", "method", "decided_by", "by_construction", "conditions", "detail"],
        ).set_index("claim")

    def summary(self) -> str:
        """Every claim's summary."""
        return "\n".join(r.summary() for r in self.results)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_frame().to_html()
