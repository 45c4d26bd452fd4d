"""File formats: reading and writing trees; depends on the core only.

Modules
-------
native            evtree's own schema, in YAML and JSON (docs/format.md): ``read_tree``,
                  ``write_tree``, ``tree_from_dict``, ``tree_to_dict``, located errors
silverdecisions   SilverDecisions JSON files (docs/silverdecisions.md): import, export,
                  and ``compare`` with the values a file stores
efg               Gambit extensive-form games (``.efg``): ``read_efg``, ``write_efg``

:func:`read_tree` and :func:`write_tree` choose among them: a ``.efg`` suffix (or text
starting ``EFG 2``) is Gambit's; a JSON document with a top-level ``"SilverDecisions"`` key
is SilverDecisions' (evtree's own JSON stays the default); ``format=`` overrides both.
"""

from __future__ import annotations

import os
from typing import IO, Any

from . import native, silverdecisions
from .native import tree_from_dict, tree_to_dict

__all__ = ["FORMATS", "read_tree", "tree_from_dict", "tree_to_dict", "write_tree"]

#: Formats :func:`write_tree` writes (and :func:`read_tree` reads).
FORMATS = ("yaml", "json", "silverdecisions", "efg")


class _Text:
    """Text already read from ``name``, handed to a reader as an open file."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self._text = text

    def read(self) -> str:
        return self._text


def _suffix(target: Any) -> str:
    name = str(target) if isinstance(target, (str, os.PathLike)) else getattr(target, "name", "")
    return os.path.splitext(str(name))[1].lower() if "\n" not in str(name) else ""


def read_tree(
    source: str | os.PathLike[str] | IO[str],
    *,
    format: str | None = None,
    tree: int | str | None = None,
    criterion: int | str | None = None,
    max_bytes: int | None = None,
) -> Any:
    """Read a tree from an evtree YAML/JSON file, a SilverDecisions JSON file or a Gambit ``.efg``.

    Parameters
    ----------
    source : path, file object or str
        A path, an open text file, or the document itself (see
        :func:`evtree.formats.native.read_tree`).
    format : {"yaml", "json", "silverdecisions", "efg"}, optional
        Overrides the format inferred from the file name or content.  A JSON
        document with a top-level ``"SilverDecisions"`` key is read as
        SilverDecisions unless ``format="yaml"``; a ``.efg`` file, or text starting
        ``EFG 2``, as Gambit's.
    tree, criterion : int or str, optional
        For SilverDecisions files: which tree (index or root name) and which payoff
        (see :func:`evtree.formats.silverdecisions.read_silverdecisions`).
    max_bytes : int, optional
        Largest file read, in bytes (:data:`evtree.core.files.MAX_FILE_BYTES` by
        default; the command line's ``--max-file-size``).

    Returns
    -------
    DecisionTree
    """
    if format is None and (
        _suffix(source) == ".efg" or (isinstance(source, str) and source.startswith("EFG 2"))
    ):
        format = "efg"
    # Every file is read here: regular files only, within the size cap (no FIFO or device).
    name, text = native._read_source(source, max_bytes=max_bytes)
    if format == "efg":
        from .efg import read_efg

        return read_efg(_Text(name, text))
    if format == "silverdecisions":
        return silverdecisions.read_silverdecisions(_Text(name, text), tree=tree, criterion=criterion)
    if format != "yaml" and silverdecisions._may_be_silverdecisions(text):
        data = silverdecisions._load_json(name, text)
        if silverdecisions.is_silverdecisions(data):
            return silverdecisions.tree_from_silverdecisions(
                data, source=name, tree=tree, criterion=criterion, text=text
            )
    if tree is not None or criterion is not None:
        raise ValueError("tree= and criterion= apply to SilverDecisions files only")
    return native.read_tree(_Text(name, text), format=format)


def write_tree(
    tree: Any,
    target: str | os.PathLike[str] | IO[str] | None = None,
    *,
    format: str | None = None,
) -> str | None:
    """Write a tree as evtree YAML/JSON, a SilverDecisions JSON file or a Gambit ``.efg``.

    Parameters
    ----------
    tree : DecisionTree
    target : path or file object, optional
        Where to write (a path atomically); the text is returned when omitted.
    format : {"yaml", "json", "silverdecisions", "efg"}, optional
        Inferred from the path's suffix (``.json`` is evtree's JSON, ``.efg`` Gambit's);
        YAML otherwise.
    """
    if format == "efg" or (format is None and _suffix(target) == ".efg"):
        from .efg import write_efg

        return write_efg(tree, target)
    if format == "silverdecisions":
        return silverdecisions.write_silverdecisions(tree, target)
    return native.write_tree(tree, target, format=format)
