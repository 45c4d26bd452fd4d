"""Utility functions: the decision maker's attitude to risk.

A utility maps an outcome ``x`` to a utility ``u(x)``; the rollback then
maximises expected utility, and the value reported at each node is the
certainty equivalent ``u⁻¹(E[u(x)])``.  A utility is stated on a tree (the
``utility`` field of a tree file) or passed to :func:`evtree.evaluate`:

- ``{"type": "linear"}``: risk neutral (the default);
- ``{"type": "exponential", "risk_tolerance": R}``: ``u(x) = 1 - exp(-x / R)``,
  risk averse for ``R > 0``; ``R`` may be a number or an expression over the
  parameters;
- ``{"expression": "log(x + 10)"}``: any increasing expression in ``x`` and the
  parameters, parsed through the whitelist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from .errors import EvaluationError, ModelError
from .expressions import as_expr, parse_expression, symbol

__all__ = ["OUTCOME", "TerminalUtilities", "Utility", "exponential", "resolve_utility", "terminal_utilities"]

#: The symbol that stands for the outcome in a utility expression.
OUTCOME = "x"


@dataclasses.dataclass(frozen=True)
class Utility:
    """A utility function ``u(x)`` with its inverse where sympy finds one.

    Attributes
    ----------
    expr : sympy.Expr
        ``u`` as an expression in the outcome symbol ``x`` and the parameters.
    inverse_expr : sympy.Expr or None
        ``u⁻¹`` as an expression in the utility symbol ``y``; ``None`` when
        sympy cannot invert ``u``, in which case inverses are found numerically.
    spec : dict
        The specification it was made from, as saved in files.
    """

    expr: sympy.Expr
    inverse_expr: sympy.Expr | None
    spec: Mapping[str, Any]

    @property
    def is_linear(self) -> bool:
        """Whether ``u(x) = x``: a risk-neutral decision maker."""
        return self.expr == symbol(OUTCOME)

    @property
    def has_delta_property(self) -> bool:
        """Whether adding a sure amount to every outcome adds it to the certainty equivalent.

        True for linear and exponential utilities (and any increasing affine
        transformation of them); then the price of information equals the
        difference of certainty equivalents.

        Examples
        --------
        >>> exponential(10).has_delta_property
        True
        >>> resolve_utility({"expression": "log(x + 10)"}).has_delta_property
        False
        """
        x = symbol(OUTCOME)
        d1 = sympy.diff(self.expr, x)
        if d1 == 0:
            return False
        ratio = sympy.simplify(sympy.diff(self.expr, x, 2) / d1)  # -(Arrow-Pratt risk aversion)
        return bool(not ratio.has(x))

    # forward and inverse in each arithmetic ----------------------------------------------
    def forward(self, outcomes: Any, method: str, point: Mapping[str, Any]) -> Any:
        """Return ``u`` of every entry of ``outcomes``."""
        return self._apply(self.expr, symbol(OUTCOME), outcomes, method, point)

    def inverse(self, utilities: Any, method: str, point: Mapping[str, Any]) -> Any:
        """Return ``u⁻¹`` of every entry of ``utilities`` (the certainty equivalents)."""
        y = sympy.Symbol("_y", real=True)
        if self.inverse_expr is not None:
            return self._apply(
                self.inverse_expr.xreplace({sympy.Symbol("y", real=True): y}), y, utilities, method, point
            )
        if method == "symbolic":
            raise EvaluationError(f"sympy cannot invert the utility {self.expr}; use float arithmetic")
        return self._numeric_inverse(utilities, point, exact=method == "exact")

    def _apply(
        self, expr: sympy.Expr, var: sympy.Symbol, values: Any, method: str, point: Mapping[str, Any]
    ) -> Any:
        params = {symbol(k): v for k, v in point.items() if symbol(k) in expr.free_symbols}
        if method == "float":
            names = sorted(params, key=str)
            f = sympy.lambdify([var, *names], expr, "numpy")
            with np.errstate(all="ignore"):
                out = np.asarray(f(values, *(point[s.name] for s in names)), dtype=float) + 0.0  # no -0.0
            return np.broadcast_to(out, np.shape(values)).copy()
        fixed = expr.xreplace(
            {k: sympy.nsimplify(v) if not isinstance(v, sympy.Basic) else v for k, v in params.items()}
        )
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            v = sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
            r = fixed.xreplace({var: v})
            if method == "exact":
                r = sympy.nsimplify(r) if r.is_Float else r
                if r.is_Rational:
                    r = Fraction(int(r.p), int(r.q))
            out[i] = r
        return out

    def _numeric_inverse(self, utilities: Any, point: Mapping[str, Any], *, exact: bool) -> Any:
        from scipy.optimize import brentq

        x = symbol(OUTCOME)
        names = sorted((symbol(k) for k in point if symbol(k) in self.expr.free_symbols), key=str)
        f = sympy.lambdify([x, *names], self.expr, "math")
        args = [float(point[s.name]) if np.ndim(point[s.name]) == 0 else None for s in names]
        if any(a is None for a in args):
            raise EvaluationError("numeric inversion of a utility needs scalar parameters")
        flat = np.asarray(utilities, dtype=float).reshape(-1)
        out = np.empty_like(flat)
        for i, target in enumerate(flat):
            lo, hi = -1.0, 1.0
            for _ in range(200):
                if f(lo, *args) <= target <= f(hi, *args):
                    break
                lo, hi = lo * 2, hi * 2
            out[i] = brentq(lambda v, t=target: f(v, *args) - t, lo, hi, xtol=1e-14, rtol=1e-15)
        return out.reshape(np.shape(utilities)) if not exact else np.array(list(out), dtype=object)


@dataclasses.dataclass(frozen=True)
class TerminalUtilities(Utility):
    """Utilities given per terminal (Howard's u-values) instead of a function of the payoff.

    Decisions maximise expected utility over the terminals' u-values.  Values in
    payoff units (certainty equivalents) come from the tree's utility function
    when it has one, else by piecewise-linear interpolation between the
    terminals' (outcome, u-value) points, which exists when the u-values
    increase strictly with the outcome (equal outcomes having equal u-values);
    otherwise they are NaN (float) or ``None`` (exact), and only expected
    utilities are reported.
    """

    flat: Any = None
    quantity: Any = None
    function: Utility | None = None

    @property
    def is_linear(self) -> bool:
        return False

    @property
    def has_delta_property(self) -> bool:
        return False

    def forward(self, outcomes: Any, method: str, point: Mapping[str, Any]) -> Any:
        from .rollback import arithmetic

        q = self.quantity
        if method == "float":
            n = max([outcomes.shape[1], *(np.size(v) for v in point.values())])
            values = np.repeat(q.const[:, None], n, axis=1)
            if q.exprs:
                names = sorted({s.name for e in q.exprs for s in e.free_symbols})
                f = sympy.lambdify([symbol(s) for s in names], list(q.exprs), "numpy")
                with np.errstate(all="ignore"):
                    table = [
                        np.broadcast_to(np.asarray(v, dtype=float).reshape(-1), (n,))
                        for v in f(*(point[s] for s in names))
                    ]
                for r in np.flatnonzero(q.expr_index >= 0):
                    values[r] = table[int(q.expr_index[r])]
        else:
            values = arithmetic(method, 1).quantity(self.flat, q, point)
        object.__setattr__(self, "_outcomes", outcomes)
        object.__setattr__(self, "_utilities", values)
        return values

    def inverse(self, utilities: Any, method: str, point: Mapping[str, Any]) -> Any:
        if self.function is not None:
            return self.function.inverse(utilities, method, point)
        terms = self.flat.terminal_indices
        xs, us = self._outcomes[terms], self._utilities[terms]
        if method == "float":
            out = np.full(np.shape(utilities), np.nan)
            us = np.broadcast_to(us, (len(terms), utilities.shape[1]))
            xs = np.broadcast_to(xs, (len(terms), utilities.shape[1]))
            for col in range(utilities.shape[1]):
                pts = _increasing_points(list(xs[:, col]), list(us[:, col]))
                if pts is not None:
                    px, pu = zip(*pts)
                    inside = (utilities[:, col] >= pu[0]) & (utilities[:, col] <= pu[-1])
                    out[inside, col] = np.interp(utilities[inside, col], pu, px)
            return out
        pts = _increasing_points(list(xs), list(us))
        out = np.empty(len(utilities), dtype=object)
        for i, y in enumerate(utilities):
            out[i] = None if pts is None else _interpolate(pts, y)
        return out


def _increasing_points(xs: list[Any], us: list[Any]) -> list[tuple[Any, Any]] | None:
    """Return the (outcome, utility) points by outcome, or ``None`` if u is not strictly increasing."""
    pts: dict[Any, Any] = {}
    for x, u in zip(xs, us):
        if x in pts and pts[x] != u:
            return None
        pts[x] = u
    try:
        ordered = sorted(pts.items())
    except TypeError:  # symbolic values cannot be ordered
        return None
    if any(not b[1] > a[1] for a, b in zip(ordered, ordered[1:])):
        return None
    return ordered


def _interpolate(pts: list[tuple[Any, Any]], y: Any) -> Any:
    for (x0, u0), (x1, u1) in zip(pts, pts[1:]):
        if u0 <= y <= u1:
            return x0 + (x1 - x0) * (y - u0) / (u1 - u0)
    return pts[0][0] if len(pts) == 1 and y == pts[0][1] else None


def terminal_utilities(tree: Any, function: Utility | None) -> TerminalUtilities:
    """Return the :class:`TerminalUtilities` of a tree whose terminals carry u-values.

    Raises
    ------
    ModelError
        If some terminals have a utility and others do not.
    """
    from .compile import compile_tree, terminal_utility_quantity

    flat = compile_tree(tree)
    missing = [n for n in tree.terminals if getattr(n, "_utility", None) is None]
    if missing:
        raise ModelError(
            f"{len(missing)} terminals have no utility while others do; give every terminal one "
            "(or none, to use a utility function)",
            node=missing[0].path,
            field="utility",
        )
    quantity = terminal_utility_quantity(tree, flat)
    for j, e in enumerate(quantity.exprs):
        unknown = sorted(s.name for s in e.free_symbols if s.name not in tree.parameters)
        if unknown:
            i = int(np.flatnonzero(quantity.expr_index == j)[0])
            from .errors import UnknownNameError

            raise UnknownNameError(
                f"unknown parameter {unknown[0]!r} in {quantity.raw[i]!r}",
                node=flat.nodes[i].path,
                field="utility",
            )
    x = sympy.Symbol("u_terminal", real=True)
    return TerminalUtilities(x, None, {"type": "terminal"}, flat, quantity, function)


def exponential(risk_tolerance: Any) -> Utility:
    """Return the exponential utility ``u(x) = 1 - exp(-x / R)`` with risk tolerance ``R``.

    Examples
    --------
    >>> u = exponential(100)
    >>> u.expr
    1 - exp(-x/100)
    """
    return resolve_utility({"type": "exponential", "risk_tolerance": risk_tolerance})


def resolve_utility(spec: Any, parameters: Any = None) -> Utility | None:
    """Return the :class:`Utility` a specification describes (``None`` for risk neutral).

    Raises
    ------
    ModelError
        If the specification is malformed, naming the field.
    """
    if spec is None or isinstance(spec, Utility):
        return spec
    if not isinstance(spec, Mapping):
        raise ModelError(f"a utility is a mapping, got {type(spec).__name__}", field="utility")
    allowed = None if parameters is None else set(parameters) | {OUTCOME}
    x = symbol(OUTCOME)
    y = sympy.Symbol("y", real=True)
    kind = spec.get("type", "expression" if "expression" in spec else "linear")
    unknown_keys = set(spec) - {"type", "risk_tolerance", "expression"}
    if unknown_keys:
        raise ModelError(f"unknown key {sorted(unknown_keys)[0]!r}", field="utility")
    if kind == "linear":
        return Utility(x, y, dict(spec))
    if kind == "exponential":
        if "risk_tolerance" not in spec:
            raise ModelError("an exponential utility needs a risk_tolerance", field="utility.risk_tolerance")
        raw = spec["risk_tolerance"]
        r = parse_expression(raw, allowed) if isinstance(raw, str) else as_expr(raw)
        if r.is_number and not r.is_positive:
            raise ModelError(f"risk tolerance must be positive, got {raw}", field="utility.risk_tolerance")
        return Utility(1 - sympy.exp(-x / r), -r * sympy.log(1 - y), dict(spec))
    if kind == "expression":
        text = spec.get("expression")
        if not isinstance(text, str):
            raise ModelError("give the utility as expression text in x", field="utility.expression")
        expr = parse_expression(text, allowed)
        if x not in expr.free_symbols:
            raise ModelError(f"utility {text!r} does not depend on the outcome x", field="utility.expression")
        try:
            sols = sympy.solve(sympy.Eq(expr, y), x)
        except (NotImplementedError, ValueError):
            sols = []
        inverse = sols[0] if len(sols) == 1 else None
        return Utility(expr, inverse, dict(spec))
    raise ModelError(f"unknown utility type {kind!r} (linear, exponential, expression)", field="utility.type")
