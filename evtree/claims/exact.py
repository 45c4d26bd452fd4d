"""Exact arithmetic helpers: exact values, compiled exact evaluation, opaque atoms."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from ..core.errors import EvaluationError
from ..core.expressions import exact_number, symbol


# ===================================================================== exact helpers
class _Unsupported(Exception):
    pass


def _exact_value(expr: sympy.Expr, subs: Mapping[sympy.Symbol, Any]) -> Any:
    v = sympy.sympify(expr).xreplace({k: exact_number(x) for k, x in subs.items()})
    if v.free_symbols:
        raise EvaluationError(f"{expr} still has free parameters {sorted(map(str, v.free_symbols))}")
    return v


def _fraction(v: Any) -> Fraction:
    if isinstance(v, Fraction):
        return v
    if isinstance(v, int):
        return Fraction(v)
    v = sympy.sympify(v)
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    raise _Unsupported(str(v))


def _compile_exact(expr: sympy.Expr) -> Any:
    """Compile ``expr`` to a function of a dict name -> Fraction, in exact arithmetic."""

    def build(e: sympy.Expr) -> Any:
        if e.is_Symbol:
            name = e.name
            return lambda p: p[name]
        if e.is_Rational:
            v = _fraction(e)
            return lambda p: v
        if isinstance(e, sympy.Add):
            fs = [build(a) for a in e.args]
            return lambda p: sum((f(p) for f in fs), Fraction(0))
        if isinstance(e, sympy.Mul):
            fs = [build(a) for a in e.args]

            def mul(p: Any) -> Any:
                out = Fraction(1)
                for f in fs:
                    out *= f(p)
                return out

            return mul
        if isinstance(e, sympy.Pow) and e.exp.is_Integer:
            b, n = build(e.base), int(e.exp)
            return lambda p: b(p) ** n
        if isinstance(e, (sympy.Max, sympy.Min)):
            fs = [build(a) for a in e.args]
            pick = max if isinstance(e, sympy.Max) else min
            return lambda p: pick(f(p) for f in fs)
        if isinstance(e, sympy.Abs):
            f = build(e.args[0])
            return lambda p: abs(f(p))
        raise _Unsupported(type(e).__name__)

    try:
        fn = build(sympy.sympify(expr))
    except _Unsupported:
        fn = None

    def call(point: Mapping[str, Any]) -> Any:
        if fn is not None:
            try:
                return fn(point)
            except ZeroDivisionError:
                pass
        return _exact_value(expr, {symbol(k): v for k, v in point.items()})

    return call


def _top_atoms(expr: sympy.Expr) -> set[sympy.Expr]:
    """Sub-expressions that are not polynomial operations (Max, Min, exp, 1/x, ...)."""
    if expr.is_Number or expr.is_Symbol:
        return set()
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        out: set[sympy.Expr] = set()
        for a in expr.args:
            out |= _top_atoms(a)
        return out
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp >= 0:
        return _top_atoms(expr.base)
    return {expr}


def _is_maxmin(e: Any) -> bool:
    return isinstance(e, (sympy.Max, sympy.Min))


def _prepare(expr: sympy.Expr) -> sympy.Expr:
    expr = sympy.sympify(expr)
    if expr.has(sympy.Abs):
        expr = expr.replace(sympy.Abs, lambda a: sympy.Max(a, -a))
    return expr


def _fraction_or_sym(v: Any) -> Any:
    try:
        return _fraction(v)
    except _Unsupported:
        return sympy.sympify(v)
