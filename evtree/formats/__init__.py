"""File formats: reading and writing trees; depends on the core only.

Modules
-------
native            evtree's own schema, in YAML and JSON (docs/format.md): ``read_tree``,
                  ``write_tree``, ``tree_from_dict``, ``tree_to_dict``, located errors
silverdecisions   SilverDecisions JSON files (docs/silverdecisions.md): import, export,
                  and ``compare`` with the values a file stores

Other tools' formats (SilverDecisions JSON, Gambit ``.efg``) get one module each beside
``native``, and ``read_tree``/``write_tree`` choose among them: :func:`read_tree`
recognises a SilverDecisions file by its top-level ``"SilverDecisions"`` key (evtree's
own JSON stays the default), and ``write_tree(tree, path, format="silverdecisions")``
writes one.
"""

from __future__ import annotations

import os
from typing import IO, Any

from . import native, silverdecisions
from .native import tree_from_dict, tree_to_dict

__all__ = ["FORMATS", "read_tree", "tree_from_dict", "tree_to_dict", "write_tree"]

#: Formats :func:`write_tree` writes (and :func:`read_tree` reads).
FORMATS = ("yaml", "json", "silverdecisions")


class _Text:
    """Text already read from ``name``, handed to a reader as an open file."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self._text = text

    def read(self) -> str:
        return self._text


def read_tree(
    source: str | os.PathLike[str] | IO[str],
    *,
    format: str | None = None,
    tree: int | str | None = None,
    criterion: int | str | None = None,
) -> Any:
    """Read a tree from an evtree YAML/JSON file or a SilverDecisions JSON file.

    Parameters
    ----------
    source : path, file object or str
        A path, an open text file, or the document itself (see
        :func:`evtree.formats.native.read_tree`).
    format : {"yaml", "json", "silverdecisions"}, optional
        Overrides the format inferred from the file name or content.  A JSON
        document with a top-level ``"SilverDecisions"`` key is read as
        SilverDecisions unless ``format="yaml"``.
    tree, criterion : int or str, optional
        For SilverDecisions files: which tree (index or root name) and which payoff
        (see :func:`evtree.formats.silverdecisions.read_silverdecisions`).

    Returns
    -------
    DecisionTree
    """
    if format == "silverdecisions":
        return silverdecisions.read_silverdecisions(source, tree=tree, criterion=criterion)
    name, text = native._read_source(source)
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
    """Write a tree as evtree YAML/JSON or as a SilverDecisions JSON file.

    Parameters
    ----------
    tree : DecisionTree
    target : path or file object, optional
        Where to write (a path atomically); the text is returned when omitted.
    format : {"yaml", "json", "silverdecisions"}, optional
        Inferred from the path's suffix (``.json`` is evtree's JSON); YAML otherwise.
    """
    if format == "silverdecisions":
        return silverdecisions.write_silverdecisions(tree, target)
    return native.write_tree(tree, target, format=format)
