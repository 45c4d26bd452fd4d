"""The parameter space a claim is checked over: bounds, probability simplex, assumptions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from ..core import model
from ..core.errors import ModelError
from ..core.expressions import exact_number, symbol
from .context import _Context
from .exact import _exact_value
from .spec import _split_relation


# ===================================================================== parameter space
@dataclasses.dataclass(frozen=True)
class Constraint:
    """One constraint of a parameter space: ``expr >= 0`` (``> 0`` when strict).

    Attributes
    ----------
    expr : sympy.Expr
    strict : bool
    origin : str
        Where it comes from: a parameter's bounds, a probability, an assumption.
    """

    expr: sympy.Expr
    strict: bool = False
    origin: str = ""

    def __str__(self) -> str:
        return f"{self.expr} {'>' if self.strict else '>='} 0"

    def holds(self, point: Mapping[sympy.Symbol, Any]) -> bool:
        """Whether it holds at an exact point (symbols to exact numbers)."""
        v = _exact_value(self.expr, point)
        return bool(v > 0) if self.strict else bool(v >= 0)


@dataclasses.dataclass(frozen=True, eq=False)
class ParameterSpace:
    """The parameter points a claim is checked over.

    Attributes
    ----------
    tree : DecisionTree
    bounds : dict
        Free parameter name to exact ``(low, high)``; ``None`` where unbounded.
    fixed : dict
        Parameters held at exact values (fixed, or not varied).
    constraints : tuple of Constraint
        The probability simplex (every non-constant chance probability in
        [0, 1]) and the assumptions, with the fixed values substituted.
    """

    tree: model.DecisionTree
    bounds: Mapping[str, tuple[Any, Any]]
    fixed: Mapping[str, Any]
    constraints: tuple[Constraint, ...]

    @property
    def free(self) -> tuple[str, ...]:
        """Names of the parameters that vary."""
        return tuple(self.bounds)

    def all_constraints(self) -> list[Constraint]:
        """Bounds as constraints, then the other constraints."""
        out = []
        for name, (lo, hi) in self.bounds.items():
            x = symbol(name)
            if lo is not None:
                out.append(Constraint(sympy.expand(x - lo), False, f"bounds of {name}"))
            if hi is not None:
                out.append(Constraint(sympy.expand(hi - x), False, f"bounds of {name}"))
        return out + list(self.constraints)

    def contains(self, point: Mapping[str, Any]) -> bool:
        """Whether an exact point lies in the space (parameters not given at their defaults)."""
        pt = {symbol(k): v for k, v in self.full_point(point).items()}
        return all(c.holds(pt) for c in self.all_constraints())

    def full_point(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's exact value: ``point``, then fixed values, then defaults."""
        out = {name: p.exact for name, p in _base(self.tree).items()}
        out.update(self.fixed)
        out.update({k: exact_number(v) for k, v in point.items()})
        return out

    def to_frame(self) -> Any:
        """One row per constraint: the constraint and where it comes from."""
        import pandas as pd

        rows = [{"constraint": str(c), "origin": c.origin} for c in self.all_constraints()]
        rows += [{"constraint": f"{k} = {v}", "origin": "fixed"} for k, v in self.fixed.items()]
        return pd.DataFrame(rows, columns=["constraint", "origin"])

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return "<p><b>Parameter space</b></p>" + self.to_frame().to_html(index=False)


def parameter_space(
    tree: model.DecisionTree,
    *,
    assuming: Iterable[str] = (),
    fix: Mapping[str, Any] | None = None,
    vary: Iterable[str] | None = None,
) -> ParameterSpace:
    """Return the space claims are checked over.

    Parameters
    ----------
    tree : DecisionTree
    assuming : iterable of str
        Extra constraints as text (``"g_flout >= c_talk"``); they may refer to
        values as ``EV(...)``.  ``==`` constrains both ways.
    fix : mapping, optional
        Parameters held at exact values.
    vary : iterable of str, optional
        Only these vary; the others (not fixed) stay at their defaults.

    Raises
    ------
    UnknownNameError
        If a parameter is not known.
    ModelError
        If a fixed value is outside its parameter's bounds, or the fixed
        values contradict a probability or an assumption.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> space = parameter_space(korea_talks(), vary=["p_defect"])
    >>> space.bounds
    {'p_defect': (0, 1)}
    >>> [str(c) for c in space.constraints]
    ['1/2 - p_defect >= 0', 'p_defect + 1/2 >= 0', 'p_defect >= 0', '1 - p_defect >= 0']
    """
    return _space(_Context(tree), tuple(assuming), dict(fix or {}), None if vary is None else tuple(vary))


def _base(tree: model.DecisionTree) -> Mapping[str, Any]:
    """Return the parameters a claim quantifies over: the base ones (formulas follow them)."""
    return getattr(tree, "base_parameters", tree.parameters)


def _space(
    ctx: _Context, assuming: tuple[str, ...], fix: Mapping[str, Any], vary: tuple[str, ...] | None
) -> ParameterSpace:
    tree = ctx.tree
    fixed: dict[str, Any] = {}
    for name, value in fix.items():
        p = tree.parameter(name)
        try:
            v = exact_number(value)
        except (TypeError, ValueError) as err:
            raise ModelError(f"cannot fix {name} to {value!r}: {err}", field=f"fix.{name}") from None
        lo, hi = p.bounds
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ModelError(f"{name} = {v} is outside its bounds [{lo}, {hi}]", field=f"fix.{name}")
        fixed[name] = v
    if vary is not None:
        for name in vary:
            tree.parameter(name)
        for name, p in _base(tree).items():
            if name not in vary and name not in fixed:
                fixed[name] = p.exact
    subs = {symbol(k): v for k, v in fixed.items()}
    bounds = {name: p.bounds for name, p in _base(tree).items() if name not in fixed}
    constraints: list[Constraint] = []
    for path, q in ctx.probabilities():
        q = sympy.expand(q.xreplace(subs))
        if q.is_number:
            if not 0 <= q <= 1:
                raise ModelError(f"the fixed values give probability {q}, outside [0, 1]", node=path)
            continue
        origin = f"probability of {path} in [0, 1]"
        constraints.append(Constraint(q, False, origin))
        constraints.append(Constraint(sympy.expand(1 - q), False, origin))
    for text in assuming:
        left, op, right = _split_relation(text)
        lhs = ctx.side_expr(left).xreplace(subs)
        rhs = ctx.side_expr(right).xreplace(subs)
        pieces = {
            ">=": [(lhs - rhs, False)],
            ">": [(lhs - rhs, True)],
            "<=": [(rhs - lhs, False)],
            "<": [(rhs - lhs, True)],
            "==": [(lhs - rhs, False), (rhs - lhs, False)],
        }[op]
        for expr, strict in pieces:
            expr = sympy.expand(expr)
            if expr.is_number:
                if (expr <= 0) if strict else (expr < 0):
                    raise ModelError(f"assumption {text!r} is false at the fixed values", field="assuming")
                continue
            constraints.append(Constraint(expr, strict, f"assumption {text}"))
    return ParameterSpace(tree=tree, bounds=bounds, fixed=fixed, constraints=tuple(constraints))
