"""File formats: reading and writing trees; depends on the core only.

Modules
-------
native   evtree's own schema, in YAML and JSON (docs/format.md): ``read_tree``,
         ``write_tree``, ``tree_from_dict``, ``tree_to_dict``, located errors
efg      Gambit extensive-form games (``.efg``): ``read_efg``, ``write_efg``

Other tools' formats get one module each beside ``native``; :func:`read_tree`
and :func:`write_tree` choose among them by the file's suffix (``.efg``: Gambit).
"""

from __future__ import annotations

import os
from typing import IO, Any

from . import native
from .native import tree_from_dict, tree_to_dict

__all__ = ["read_tree", "tree_from_dict", "tree_to_dict", "write_tree"]


def _suffix(target: Any) -> str:
    name = str(target) if isinstance(target, (str, os.PathLike)) else getattr(target, "name", "")
    return os.path.splitext(str(name))[1].lower() if "\n" not in str(name) else ""


def read_tree(source: str | os.PathLike[str] | IO[str], *, format: str | None = None) -> Any:
    """Read a tree: evtree YAML/JSON (:func:`evtree.formats.native.read_tree`) or Gambit ``.efg``.

    The format follows the file's suffix (``.efg`` is Gambit's), or ``format``
    (``"yaml"``, ``"json"`` or ``"efg"``); text that starts with ``EFG 2`` is Gambit's.
    """
    fmt = format
    if fmt is None and (
        _suffix(source) == ".efg" or (isinstance(source, str) and source.startswith("EFG 2"))
    ):
        fmt = "efg"
    if fmt == "efg":
        from .efg import read_efg

        return read_efg(source)
    return native.read_tree(source, format=fmt)


def write_tree(tree: Any, target: Any = None, *, format: str | None = None) -> str | None:
    """Write a tree: evtree YAML/JSON, or Gambit ``.efg`` for a ``.efg`` target or ``format="efg"``."""
    if format == "efg" or (format is None and _suffix(target) == ".efg"):
        from .efg import write_efg

        return write_efg(tree, target)
    return native.write_tree(tree, target, format=format)
