"""The value of keeping options open, proved never negative."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sympy

from ..core import model
from .check import _check
from .context import _Context
from .results import ClaimResult
from .spec import Claim, ValueOf, _policy_tuple


# ===================================================================== option value
@dataclasses.dataclass(frozen=True, eq=False)
class OptionValue:
    """A tree's value against the same tree with some decisions fixed.

    Attributes
    ----------
    node : str or None
        Where values are compared (``None``: the root).
    fixed_policy : dict
        The decisions fixed in the comparison tree.
    value : sympy number
        The option value at ``values`` (defaults), exact: free minus fixed.
    free_value, fixed_value : sympy number
        The two values, from exact evaluations of the tree.
    expression : sympy.Expr
        The option value in every parameter (symbolic).
    proof : ClaimResult
        The claim that the option value is never negative, checked over the
        whole parameter space.
    method : str
    """

    node: str | None
    fixed_policy: Mapping[str, str]
    value: Any
    free_value: Any
    fixed_value: Any
    expression: Any
    proof: ClaimResult
    method: str = "exact and symbolic evaluation"

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "node": self.node or "root",
                    "fixed": ", ".join(f"{k}={v}" for k, v in self.fixed_policy.items()),
                    "free value": self.free_value,
                    "fixed value": self.fixed_value,
                    "option value": self.value,
                    "never negative": self.proof.verdict,
                    "proof method": self.proof.method,
                }
            ]
        )

    def summary(self) -> str:
        """Return a readable line or two."""
        where = self.node or "the tree"
        return (
            f"option value at {where}: {self.free_value} - {self.fixed_value} = {self.value}; "
            f"never negative: {self.proof.verdict} ({self.proof.method})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return f"<p>{self.summary()}</p>" + self.to_frame().to_html(index=False)


def option_value(
    tree: model.DecisionTree,
    fixed_policy: Mapping[str, str],
    *,
    node: str | None = None,
    values: Mapping[str, Any] | None = None,
    search: bool = True,
) -> OptionValue:
    """Return the value of keeping options open: the tree against the tree with decisions fixed.

    Parameters
    ----------
    tree : DecisionTree
    fixed_policy : mapping of decision to label
        The decisions taken away (fixed) in the comparison, e.g. every
        post-talks decision fixed to ``"accept"``.
    node : str, optional
        Compare values at this node (name, path or unique label); the root by
        default, i.e. the whole tree, where the decision maker may also
        re-plan the earlier choices.
    values : mapping, optional
        Parameter values for the exact ``value`` (defaults otherwise).

    Returns
    -------
    OptionValue
        Exact value, the symbolic expression, and the proof it is never negative.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> accept = {"after_complies": "accept", "after_flouts": "accept", "after_defect": "accept"}
    >>> ov = option_value(korea_talks(), accept)
    >>> ov.value, ov.proof.verdict
    (41/2, 'proven')
    >>> option_value(korea_talks(), accept, node="talks").value
    30
    """
    from ..core.evaluate import evaluate

    ctx = _Context(tree)
    key = ctx.node_key(node)
    policy = _policy_tuple(fixed_policy)
    claim = Claim(
        ValueOf(node),
        ">=",
        ValueOf(node, policy),
        name="keeping the options is worth something",
        kind="dominance",
    )
    proof = _check(ctx, claim, search=search, seed=0, region=None)
    free = evaluate(tree, values, method="exact")
    fixed = evaluate(tree, values, method="exact", policy=dict(fixed_policy))
    fv = free.value if key is None else free.value_of(key)
    xv = fixed.value if key is None else fixed.value_of(key)
    return OptionValue(
        node=node,
        fixed_policy=dict(fixed_policy),
        value=sympy.sympify(fv - xv),
        free_value=sympy.sympify(fv),
        fixed_value=sympy.sympify(xv),
        expression=proof.difference,
        proof=proof,
    )
