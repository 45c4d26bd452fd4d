"""File formats: reading and writing trees; depends on the core only.

Modules
-------
native   evtree's own schema, in YAML and JSON (docs/format.md): ``read_tree``,
         ``write_tree``, ``tree_from_dict``, ``tree_to_dict``, located errors

Other tools' formats (SilverDecisions JSON, Gambit ``.efg``) get one module each beside
``native``, and ``read_tree``/``write_tree`` choose among them.
"""

from __future__ import annotations

from .native import read_tree, tree_from_dict, tree_to_dict, write_tree

__all__ = ["read_tree", "tree_from_dict", "tree_to_dict", "write_tree"]
