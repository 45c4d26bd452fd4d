"""A tree with cached symbolic and exact evaluations, and sides of claims resolved against it."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from ..core import model
from ..core.errors import UnknownNameError
from ..core.expressions import exact_number, symbol
from .exact import _exact_value
from .spec import ValueOf, _parse_side


# ===================================================================== evaluation context
class _Context:
    """A tree with cached symbolic and exact evaluations."""

    def __init__(self, tree: model.DecisionTree) -> None:
        self.tree = tree
        self._symbolic: dict[Any, Any] = {}
        self._params = set(tree.parameters)
        #: Formula parameters, written in base parameters: claims quantify over base parameters only.
        self._formulas = (
            {symbol(k): v for k, v in model.resolve_formulas(tree.parameters).items()}
            if getattr(tree, "formula_parameters", None)
            else {}
        )

    def probabilities(self) -> list[tuple[str, sympy.Expr]]:
        from ..core.compile import compile_tree, parameter_point
        from ..core.rollback import arithmetic

        flat = compile_tree(self.tree)
        probs = arithmetic("symbolic").probabilities(
            flat, parameter_point(self.tree, None, method="symbolic")
        )
        return [
            (flat.nodes[i].path, sympy.sympify(probs[i]))
            for i in range(flat.size)
            if flat.under_chance[i] and not sympy.sympify(probs[i]).is_number
        ]

    def node_key(self, ref: str | None) -> str | None:
        """Resolve a node reference to something :meth:`Evaluation.value_of` accepts."""
        if ref is None:
            return None
        tree = self.tree
        try:
            return tree.node(ref).path
        except UnknownNameError:
            pass
        if "/" in ref:
            first, *labels = model.split_path(ref)
            try:
                node = tree.node(first)
                for label in labels:
                    node = node.branch(label)
                return node.path
            except UnknownNameError:
                pass
        hits = [n for n in tree.nodes() if n.parent is not None and n.label == ref]
        if len(hits) == 1:
            return hits[0].path
        if hits:
            paths = ", ".join(repr(h.path) for h in hits)
            raise UnknownNameError(f"branch label {ref!r} is used {len(hits)} times ({paths}); give a path")
        raise UnknownNameError(f"no node is named {ref!r}, no path leads there, and no branch has that label")

    def _evaluation(self, policy: tuple[tuple[str, str], ...]) -> Any:
        from ..core.evaluate import evaluate

        if policy not in self._symbolic:
            self._symbolic[policy] = evaluate(self.tree, method="symbolic", policy=dict(policy))
        return self._symbolic[policy]

    def value(self, ref: ValueOf) -> sympy.Expr:
        r = self._evaluation(ref.policy)
        node = self.node_key(ref.node)
        return sympy.sympify(r.value if node is None else r.value_of(node))

    def exact_value(self, ref: ValueOf, point: Mapping[str, Any]) -> Any:
        from ..core.evaluate import evaluate

        r = evaluate(self.tree, dict(point), method="exact", policy=dict(ref.policy))
        node = self.node_key(ref.node)
        return r.value if node is None else r.value_of(node)

    def side_expr(self, side: Any) -> sympy.Expr:
        if isinstance(side, ValueOf):
            return self.value(side)
        if isinstance(side, str):
            expr, refs = _parse_side(side)
            self._check_names(expr, set(refs), side)
            return expr.xreplace({s: self.value(v) for s, v in refs.items()}).xreplace(self._formulas)
        expr = sympy.sympify(exact_number(side) if isinstance(side, (int, Fraction)) else side)
        self._check_names(expr, set(), str(side))
        return expr.xreplace(self._formulas)

    def side_exact(self, side: Any, point: Mapping[str, Any]) -> Any:
        """Return a side's exact value at a full point, from exact evaluations of the tree."""
        subs = {symbol(k): v for k, v in point.items()}
        if isinstance(side, ValueOf):
            return self.exact_value(side, point)
        if isinstance(side, str):
            expr, refs = _parse_side(side)
            for s, v in refs.items():
                subs[s] = self.exact_value(v, point)
            return _exact_value(expr.xreplace(self._formulas), subs)
        return _exact_value(sympy.sympify(side).xreplace(self._formulas), subs)

    def _check_names(self, expr: sympy.Expr, refs: set, text: str) -> None:
        unknown = sorted(s.name for s in expr.free_symbols if s not in refs and s.name not in self._params)
        if unknown:
            raise UnknownNameError(f"unknown parameter {unknown[0]!r} in claim {text!r}")
