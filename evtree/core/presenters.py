"""Hooks through which the presentation layer shows core and analysis records.

The core and the analyses sit below the presentation layer and never import it. Their
records still show themselves in JupyterLab (``_repr_html_``), print as text and draw
plots (``.plot()``): each such method asks :func:`present` for the function that the
presentation layer registered for its class with :func:`register`. ``import evtree``
imports :mod:`evtree.presentation`, which registers everything, so the hooks are always
filled in a normal session.

Functions
---------
register   decorator: ``@register(kind, cls)`` makes a function the presenter of ``cls``
present    call the presenter of ``kind`` registered for ``type(obj)`` (or a base class)
Presentable mixin: ``plot(ax=None, **options)`` through the ``"plot"`` presenter
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Presentable", "present", "register"]

_PRESENTERS: dict[tuple[str, type], Callable[..., Any]] = {}

F = TypeVar("F", bound=Callable[..., Any])


def register(kind: str, cls: type) -> Callable[[F], F]:
    """Register the decorated function as the ``kind`` presenter of ``cls``.

    Parameters
    ----------
    kind : str
        What the function produces: ``"html"``, ``"text"``, ``"plot"``, ``"svg"``.
    cls : type
        The record class it presents; subclasses inherit it.
    """

    def decorate(func: F) -> F:
        _PRESENTERS[(kind, cls)] = func
        return func

    return decorate


def presenter(kind: str, obj: Any) -> Callable[..., Any] | None:
    """Return the ``kind`` presenter registered for ``obj``'s class, or ``None``."""
    for cls in type(obj).__mro__:
        func = _PRESENTERS.get((kind, cls))
        if func is not None:
            return func
    return None


def present(kind: str, obj: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the ``kind`` presenter registered for ``obj``.

    Raises
    ------
    NotImplementedError
        If no presenter is registered (the presentation layer was not imported).
    """
    func = presenter(kind, obj)
    if func is None:
        raise NotImplementedError(
            f"no {kind!r} presenter for {type(obj).__name__}; import evtree.presentation first"
        )
    return func(obj, *args, **kwargs)


class Presentable:
    """Mixin for records whose picture the presentation layer draws."""

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the record with matplotlib; returns the axes (see :mod:`evtree.presentation.plots`)."""
        return present("plot", self, ax=ax, **kwargs)
