"""Result records of the game analyses: one equilibrium, and the set a solver found."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

__all__ = ["KINDS", "Equilibrium", "GameSolution", "value_text"]

#: The kinds of equilibrium, as ``evtree solve`` prints them.
KINDS = ("subgame perfect", "nash", "perfect bayesian")


def value_text(value: Any) -> Any:
    """Return a payoff or probability as JSON shows it: float, or text when exact or symbolic."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)  # a pure profile's 0 and 1
    return str(value)


def to_sympy(value: Any) -> Any:
    """Return exact values as sympy numbers (floats and arrays unchanged)."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    return value


@dataclasses.dataclass(frozen=True)
class Equilibrium:
    """One equilibrium of a game.

    Attributes
    ----------
    kind : {"subgame perfect", "nash", "perfect bayesian"}
        The solution concept it satisfies.
    profile : dict
        Information set name (or decision node key where the node is alone in
        its information set) -> {branch label: probability}.
    payoffs : dict
        Player -> expected payoff: float, exact sympy number, or sympy expression.
    beliefs : dict or None
        Information set -> {node key: probability} where beliefs apply (perfect
        Bayesian equilibria; Nash equilibria of games with information sets).
    conditions : sympy boolean or None
        Exact conditions on the parameters under which it is an equilibrium,
        where the solver derives them (off-path belief conditions included).
    description : str
        In words: e.g. "pooling on Beer", "separating", "semi-separating".
    method : str
        Which method produced it (e.g. "backward induction (exact)", "gambit enummixed").
    """

    kind: str
    profile: Mapping[str, Mapping[str, Any]]
    payoffs: Mapping[str, Any]
    beliefs: Mapping[str, Mapping[str, Any]] | None = None
    conditions: Any = None
    description: str = ""
    method: str = ""

    def choice(self, key: str) -> str | None:
        """Return the label chosen with probability 1 at an information set or node (None if mixed)."""
        probs = self.profile[key]
        sure = [lb for lb, p in probs.items() if p == 1]
        return sure[0] if sure else None

    @property
    def is_pure(self) -> bool:
        return all(any(p == 1 for p in probs.values()) for probs in self.profile.values())

    def to_dict(self) -> dict[str, Any]:
        """Return the equilibrium as ``evtree solve --json`` writes it."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "profile": {k: {lb: value_text(p) for lb, p in v.items()} for k, v in self.profile.items()},
            "payoffs": {k: value_text(v) for k, v in self.payoffs.items()},
        }
        if self.beliefs is not None:
            out["beliefs"] = {
                k: {n: (None if p is None else value_text(p)) for n, p in v.items()}
                for k, v in self.beliefs.items()
            }
        if self.conditions is not None:
            out["conditions"] = str(self.conditions)
        if self.description:
            out["description"] = self.description
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class GameSolution:
    """The equilibria a solver found, with the method that found them.

    Attributes
    ----------
    equilibria : tuple of Equilibrium
        Every equilibrium found (at a single parameter point).
    players : tuple of str
        The players, in declaration order.
    method : str
        The solver and arithmetic, e.g. ``"backward induction (float)"``.
    complete : bool
        Whether ``equilibria`` is every equilibrium of its kind (``False`` when
        a listing was cut at its limit, or the solver finds only some).
    shape : tuple of int
        For a broadcast solution, the shape of the parameter arrays; then
        ``payoffs`` and ``choices`` hold arrays (ties broken by branch order)
        and ``equilibria`` is empty.
    payoffs : dict
        Player -> payoff in the first equilibrium (arrays when broadcast).
    choices : dict
        Decision node key -> chosen label in the first equilibrium (arrays when broadcast).
    tied : bool or ndarray
        Whether some player is indifferent at some decision node (per point when broadcast).
    note : str
        Anything the reader should know about how the answer was reached.
    """

    equilibria: tuple[Equilibrium, ...]
    players: tuple[str, ...]
    method: str
    complete: bool = True
    shape: tuple[int, ...] = ()
    payoffs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    choices: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    tied: Any = False
    note: str = ""

    def __len__(self) -> int:
        return len(self.equilibria)

    def __iter__(self) -> Any:
        return iter(self.equilibria)

    def __getitem__(self, i: int) -> Equilibrium:
        return self.equilibria[i]

    def to_dict(self) -> dict[str, Any]:
        """Return the solution as ``evtree solve --json`` writes it (key ``equilibria``)."""
        out: dict[str, Any] = {"equilibria": [e.to_dict() for e in self.equilibria], "method": self.method}
        if not self.complete:
            out["complete"] = False
        if self.note:
            out["note"] = self.note
        return out

    def to_frame(self) -> Any:
        """One row per equilibrium: kind, description, each player's payoff, then the profile."""
        import pandas as pd

        rows = []
        for e in self.equilibria:
            row: dict[str, Any] = {"kind": e.kind, "description": e.description}
            for p in self.players:
                row[f"payoff {p}"] = e.payoffs.get(p)
            for key, probs in e.profile.items():
                sure = e.choice(key)
                row[key] = sure if sure is not None else ", ".join(f"{lb}: {p}" for lb, p in probs.items())
            rows.append(row)
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        head = f"<p><b>{len(self.equilibria)} equilibri{'um' if len(self.equilibria) == 1 else 'a'}</b>"
        head += f" ({html.escape(self.method)}{'' if self.complete else '; not necessarily all'})</p>"
        return head + self.to_frame().to_html(index=False)

    def __str__(self) -> str:
        lines = [
            f"{len(self.equilibria)} equilibri{'um' if len(self.equilibria) == 1 else 'a'} ({self.method})"
        ]
        if not self.complete:
            lines[0] += "; the list is not complete"
        for n, e in enumerate(self.equilibria, 1):
            words = f" — {e.description}" if e.description else ""
            lines.append(f"[{n}] {e.kind}{words}")
            for key, probs in e.profile.items():
                sure = e.choice(key)
                shown = sure if sure is not None else ", ".join(f"{lb} {p}" for lb, p in probs.items())
                lines.append(f"    {key}: {shown}")
            if e.beliefs:
                for key, b in e.beliefs.items():
                    shown = ", ".join(f"{n}: {'any' if p is None else p}" for n, p in b.items())
                    lines.append(f"    beliefs at {key}: {shown}")
            lines.append("    payoffs: " + ", ".join(f"{p} {e.payoffs[p]}" for p in self.players))
            if e.conditions is not None and e.conditions is not sympy.true:
                lines.append(f"    holds when: {e.conditions}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)
