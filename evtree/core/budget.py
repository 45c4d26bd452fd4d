"""Size limits of exact and symbolic work: checked before computing, never after.

Exact and symbolic arithmetic can be asked for results that cannot be computed in
any reasonable time or memory: ``3**w`` at ``w = 10**8`` (a number of 48 million
digits), ``(p + v + w + 1)**1000`` expanded (167 million terms), or
``exp(exp(exp(exp(10))))``.  Every such computation is sized here *before* it is
run, from the structure of the expression and the sizes of the numbers, and
refused over the limit with a message naming what is too large; the callers add
the node and the field.  The limits (documented in ``docs/format.md``, "Limits"):

=========================  =========  ==================================================
limit                      value      what it bounds
=========================  =========  ==================================================
:data:`MAX_EXPONENT`       1000       a constant exponent, in absolute value
:data:`MAX_RESULT_BITS`    100,000    the bits of an exact power's numerator/denominator
:data:`MAX_DEGREE`         64         an expression's total degree as a polynomial
:data:`MAX_TERMS`          20,000     the terms of an expression (or a symbolic node
                                      value) once expanded
:data:`MAX_MAGNITUDE`      1.8e308    every value: the float range, in every arithmetic
=========================  =========  ==================================================

Degree and term counts are upper bounds computed without expanding
(:func:`expression_size`): a sum has at most the sum of its parts' terms, a product
at most their product, a power ``b**n`` at most ``C(t + n - 1, n)`` terms for ``b``
of ``t`` terms.  Functions (``exp``, ``log``, ``min``, ...) and non-integer powers
count as one opaque atom of degree one (their arguments are sized too).
Substituting parameter values (:func:`substitute`) rebuilds an expression bottom
up and sizes every power and exponential before sympy computes it.

Magnitudes are bounded by the float range in every arithmetic, so that one tree is
accepted or refused alike in float, exact and symbolic arithmetic (float arithmetic
would turn a larger value into infinity), and every exact value can be shown as a
decimal.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, NamedTuple

import sympy

from .errors import EvaluationError

__all__ = [
    "MAX_DEGREE",
    "MAX_EXPONENT",
    "MAX_MAGNITUDE",
    "MAX_RESULT_BITS",
    "MAX_TERMS",
    "BudgetError",
    "Size",
    "expression_size",
    "number_problem",
    "power_problem",
    "size_problem",
    "substitute",
]

#: Largest absolute value of a constant exponent.
MAX_EXPONENT = 1000
#: Largest size, in bits, of the numerator or denominator of an exact power.
MAX_RESULT_BITS = 100_000
#: Largest total degree of an expression as a polynomial in its parameters (and opaque atoms).
#: Exact sensitivity isolates the real roots of such polynomials: degree 50 takes about a
#: second with hostile coefficients, degree 100 several.
MAX_DEGREE = 64
#: Most terms an expression, or a symbolic node value, may have once expanded.
MAX_TERMS = 20_000
#: Largest magnitude of any value, in every arithmetic: the float range.
MAX_MAGNITUDE = sys.float_info.max
#: ``log`` of :data:`MAX_MAGNITUDE`: the largest argument of ``exp`` with a value in range.
MAX_LOG = math.log(MAX_MAGNITUDE)
_MAX_LOG2 = math.log2(MAX_MAGNITUDE)
#: Largest ``|a|`` of an ``exp(a)`` kept exactly (utilities of outcomes may leave the float
#: range: ``1 - exp(-x/5)`` at ``x = -5000``); sympy compares such numbers by evaluating them.
MAX_EXP_ARGUMENT = 1e6
_MAX_FRACTION = Fraction(MAX_MAGNITUDE)


class BudgetError(EvaluationError):
    """A computation would exceed evtree's size limits (:mod:`evtree.core.budget`); refused unrun."""


class Size(NamedTuple):
    """Upper bounds on an expression's expanded form."""

    degree: int
    terms: int


_ONE = Size(0, 1)
_ATOM = Size(1, 1)


def _power_size(base: Size, n: int) -> Size:
    if n == 0:
        return _ONE
    degree = base.degree * n
    if base.terms == 1:
        return Size(degree, 1)
    # monomials of degree n in t terms: C(t + n - 1, n); stop early, it only has to exceed MAX_TERMS
    if n > MAX_TERMS or base.terms > MAX_TERMS:
        return Size(degree, MAX_TERMS + 1)
    return Size(degree, min(math.comb(base.terms + n - 1, n), MAX_TERMS + 1))


@functools.lru_cache(maxsize=16384)
def expression_size(expr: sympy.Basic) -> Size:
    """Return upper bounds on the degree and the number of terms of ``expr`` expanded.

    Computed from the structure alone (nothing is expanded).

    Examples
    --------
    >>> p, v = sympy.symbols("p v")
    >>> expression_size((p + v + 1) ** 10)
    Size(degree=10, terms=66)
    >>> expression_size(p * sympy.exp(v))
    Size(degree=2, terms=1)
    """
    if expr.is_Number or expr.is_NumberSymbol or not expr.free_symbols:
        return _ONE
    if expr.is_Symbol:
        return _ATOM
    if expr.is_Add:
        parts = [expression_size(a) for a in expr.args]
        return Size(max(s.degree for s in parts), min(sum(s.terms for s in parts), MAX_TERMS + 1))
    if expr.is_Mul:
        degree, terms = 0, 1
        for a in expr.args:
            s = expression_size(a)
            degree += s.degree
            terms = min(terms * s.terms, MAX_TERMS + 1)
        return Size(degree, terms)
    if expr.is_Pow:
        base, exponent = expr.args
        inner = expression_size(base)
        if exponent.is_Integer:
            if exponent.is_negative:  # a rational function: its denominator is expanded by solvers
                return Size(inner.degree * abs(int(exponent)), 1)
            return _power_size(inner, int(exponent))
        if exponent.is_Rational:  # a root: opaque, but its numerator power is computed
            n = abs(int(exponent.p))
            return Size(max(1, _power_size(inner, n).degree // int(exponent.q)), 1)
        expression_size(exponent)  # sized for its own sake; the power is opaque
        return _ATOM
    for a in expr.args:  # functions: opaque atoms whose arguments must be within the limits too
        if isinstance(a, sympy.Basic):
            s = expression_size(a)
            if s.degree > MAX_DEGREE or s.terms > MAX_TERMS:
                return Size(s.degree, s.terms)
    return _ATOM


def size_problem(expr: sympy.Basic) -> str | None:
    """Return why ``expr`` is too large for exact and symbolic work, or ``None``."""
    s = expression_size(expr)
    if s.degree > MAX_DEGREE:
        return (
            f"its degree as a polynomial is {s.degree}, more than {MAX_DEGREE} "
            "(the limit of exact work, evtree.core.budget)"
        )
    if s.terms > MAX_TERMS:
        return f"it expands to more than {MAX_TERMS:,} terms (the limit of exact work, evtree.core.budget)"
    return None


def _log2_abs(value: sympy.Expr) -> float | None:
    """Return ``log2 |value|`` of a number (``-inf`` at zero), or ``None`` when not computable."""
    if value.is_Rational:
        if value == 0:
            return -math.inf
        p, q = abs(int(value.p)), int(value.q)
        return (p.bit_length() - q.bit_length()) + math.log2(
            (p / 2 ** (p.bit_length() - 1)) / (q / 2 ** (q.bit_length() - 1))
        )
    try:
        f = complex(value.evalf(20))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    a = abs(f)
    if a == 0:
        return -math.inf
    return math.log2(a) if math.isfinite(a) else math.inf


def number_problem(value: Any) -> str | None:
    """Return why a number is not usable (complex, infinite, beyond the float range), or ``None``."""
    if not isinstance(value, sympy.Basic):
        try:
            value = sympy.sympify(value)
        except (sympy.SympifyError, TypeError):  # pragma: no cover - callers pass numbers
            return "is not a number"
    if value.is_Rational:
        p, q = abs(int(value.p)), int(value.q)
        d = p.bit_length() - q.bit_length()
        if d > 1025 or (d > 1020 and Fraction(p, q) > _MAX_FRACTION):
            return f"is too large (beyond the float range, about {MAX_MAGNITUDE:.3g})"
        return None
    if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return "is not a finite number"
    real = value.is_real
    if real is False:
        return "is not a real number"
    if real is None:
        try:
            c = complex(value.evalf(30))
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            return "cannot be decided to be a finite real number"
        if c.imag != 0:
            return "is not a real number"
    size = _log2_abs(value)
    if size is None:
        return "cannot be decided to be a finite real number"
    if size > _MAX_LOG2:
        return f"is too large (beyond the float range, about {MAX_MAGNITUDE:.3g})"
    return None


def power_problem(base: sympy.Expr, exponent: sympy.Expr, *, in_float_range: bool = True) -> str | None:
    """Return why ``base**exponent`` of two numbers must not be computed, or ``None``.

    Sized before computing: the exact result's bits (a rational power) must be within
    :data:`MAX_RESULT_BITS` and its magnitude (any power) within the float range.

    Examples
    --------
    >>> power_problem(sympy.Integer(3), sympy.Integer(10**8))
    'the power 3**100000000 is too large to compute exactly'
    >>> power_problem(sympy.Integer(2), sympy.Integer(10)) is None
    True
    """
    if not (base.is_number and exponent.is_number):
        return None
    if base.is_zero:
        return "division by zero" if exponent.is_negative else None
    shown = f"{base}**{exponent}" if base.is_Integer and base >= 0 else f"({base})**{exponent}"
    unit = base.is_Rational and abs(base) == 1
    if unit and exponent.is_Integer:
        return None
    if base.is_Rational and exponent.is_Rational and not unit:
        bits = max(abs(int(base.p)).bit_length(), int(base.q).bit_length()) * abs(float(exponent))
        if bits > MAX_RESULT_BITS:
            return f"the power {shown} is too large to compute exactly"
    if not in_float_range:
        return None
    lb = _log2_abs(base)
    try:
        e = float(exponent.evalf(20)) if not exponent.is_Rational else float(exponent)
    except (TypeError, ValueError, OverflowError):
        e = math.inf
    if lb is None:
        return f"the power {shown} cannot be sized"
    if lb != 0 and (not math.isfinite(e) or lb * e > _MAX_LOG2 + 1):
        return f"the power {shown} is too large (beyond the float range)"
    return None


def exp_problem(argument: sympy.Expr, *, in_float_range: bool = True) -> str | None:
    """Return why ``exp(argument)`` of a number is out of range, or ``None``.

    With ``in_float_range=False`` (utilities, whose values exact arithmetic keeps
    symbolically) the argument is bounded by :data:`MAX_EXP_ARGUMENT` instead.
    """
    try:
        a = complex(argument.evalf(20)) if not argument.is_Rational else complex(float(argument))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return f"exp({argument}) cannot be sized"
    if in_float_range and a.real > MAX_LOG:
        return f"exp({argument}) is too large (beyond the float range)"
    if not in_float_range and math.isfinite(a.real) and abs(a.real) > MAX_EXP_ARGUMENT:
        return f"exp({argument}) is too large to compare exactly (|argument| above {MAX_EXP_ARGUMENT:g})"
    return None


def substitute(
    expr: sympy.Expr, values: Mapping[sympy.Symbol, Any], *, in_float_range: bool = True
) -> sympy.Expr:
    """Return ``expr`` with ``values`` substituted, every power and exponential sized first.

    Like ``expr.xreplace(values)``, but a power or ``exp`` whose arguments become
    numbers is only computed when :func:`power_problem` / :func:`exp_problem` allow
    (``in_float_range=False``: sized for exact work only, the magnitude left unbounded).

    Raises
    ------
    BudgetError
        If a power or exponential would be too large, naming it.
    """
    if not values or not (expr.free_symbols & values.keys()):
        return expr
    memo: dict[Any, Any] = {}

    def walk(e: sympy.Basic) -> sympy.Basic:
        if e in memo:
            return memo[e]
        if e.is_Symbol:
            out = values.get(e, e)
        elif not e.args or not (e.free_symbols & values.keys()):
            out = e
        else:
            args = [walk(a) for a in e.args]
            if e.is_Pow:
                reason = power_problem(args[0], args[1], in_float_range=in_float_range)
                if reason:
                    raise BudgetError(reason)
            elif isinstance(e, sympy.exp) and args[0].is_number:
                reason = exp_problem(args[0], in_float_range=in_float_range)
                if reason:
                    raise BudgetError(reason)
            out = e.func(*args)
        memo[e] = out
        return out

    return walk(expr)
