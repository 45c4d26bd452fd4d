"""Perfect Bayesian equilibria of signalling games (placeholder until implemented)."""

from __future__ import annotations

from typing import Any

__all__ = ["as_signalling", "signalling"]


def as_signalling(game: Any) -> Any:
    """Return the signalling structure of a game, or ``None`` when it is not a signalling game."""
    return None


def signalling(tree: Any, values: Any = None, *, method: str = "float") -> Any:  # pragma: no cover
    raise NotImplementedError
