"""Whitelist parser for payoff and probability expressions.

Expression text such as ``p_comply * (v_deal - c_talk)`` or ``1 - p_flout - p_defect``
is turned into a sympy expression *without ever calling* :func:`eval`,
:func:`sympy.sympify` or :func:`sympy.parsing.sympy_parser.parse_expr`.  The text
is parsed by :func:`ast.parse` (which only builds a syntax tree) and each syntax node
is checked against a whitelist before the matching sympy object is built:

- numbers, kept exact: ``1/3`` is the rational one third, ``0.1`` is ``1/10``;
- parameter names (identifiers not starting with an underscore);
- ``+ - * / **``, unary ``+`` and ``-``, and parentheses;
- the functions ``min``, ``max``, ``exp``, ``log``, ``sqrt`` and ``abs``.

Anything else (attribute access, subscripts, other calls, keywords, lambdas,
strings, comparisons, giant exponents, overlong or deeply nested text) is refused
with an :class:`~evtree.core.errors.ExpressionError` naming the position.
"""

from __future__ import annotations

import ast
import functools
import math
import numbers
from fractions import Fraction
from typing import Any

import sympy

from . import budget
from .budget import MAX_EXPONENT, MAX_RESULT_BITS
from .errors import ExpressionError

__all__ = [
    "decimal_fraction",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_RESULT_BITS",
    "FUNCTIONS",
    "as_expr",
    "exact_number",
    "expression_text",
    "parse_expression",
    "symbol",
]

#: Longest expression text accepted, in characters.
MAX_LENGTH = 1000
#: Deepest nesting of parentheses and operators accepted.
MAX_NESTING = 40
# MAX_EXPONENT (largest absolute value of a constant exponent) and MAX_RESULT_BITS (largest
# size, in bits, of a power of two constants) live in evtree.core.budget with the other limits.

#: Named functions an expression may call, and the sympy function each one builds.
FUNCTIONS: dict[str, Any] = {
    "min": sympy.Min,
    "max": sympy.Max,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
}
_ARITY = {"min": (2, 64), "max": (2, 64), "exp": (1, 1), "log": (1, 1), "sqrt": (1, 1), "abs": (1, 1)}
_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}


@functools.lru_cache(maxsize=4096)
def symbol(name: str) -> sympy.Symbol:
    """Return the sympy symbol evtree uses for parameter ``name`` (real-valued).

    Examples
    --------
    >>> symbol("p") is symbol("p")
    True
    >>> symbol("p").is_real
    True
    """
    return sympy.Symbol(name, real=True)


#: A decimal is read as the simplest fraction that rounds to the same float when that
#: fraction's denominator is at most this (see :func:`decimal_fraction`).
MAX_DECIMAL_DENOMINATOR = 10**6


def _simplest_in(lo: Fraction, hi: Fraction) -> Fraction:
    """Return the fraction with the smallest denominator in ``[lo, hi]`` (``0 <= lo <= hi``)."""
    floor = lo.numerator // lo.denominator
    if floor == lo or floor + 1 <= hi:
        return Fraction(floor if floor == lo else floor + 1)
    # lo and hi share the integer part: continue with the reciprocals of the fractional parts.
    return floor + 1 / _simplest_in(1 / (hi - floor), 1 / (lo - floor))


def decimal_fraction(text: str | float) -> Fraction:
    """Read a decimal as an exact fraction: the simplest one that rounds to the same float.

    The rule, for exact and symbolic arithmetic: let ``x`` be the float nearest the
    decimal.  Among the fractions that round to ``x`` (its rounding interval), take
    the one with the smallest denominator; if that denominator is at most
    :data:`MAX_DECIMAL_DENOMINATOR` the decimal means that fraction, otherwise it
    means exactly what it says.  So the float repr of a simple fraction is read as
    the fraction (``0.17647058823529413`` is 3/17, ``0.3333333333333333`` is 1/3),
    while short decimals keep their value.  Two guarantees follow, because two
    fractions with denominators ``q`` and ``r`` differ by at least ``1/(q*r)`` and
    the rounding interval is narrower than ``2**-52 * |x|``:

    - a fraction ``p/q`` with ``q <= 10**6`` and ``|p/q| < 4000``, written as the
      repr of its float, is read back as ``p/q``;
    - a decimal with ``k`` digits after the point and ``|x| * 10**(2*k) < 4e15`` is
      read as written (``0.1`` is 1/10, ``0.123456789`` is 123456789/10**9).

    Examples
    --------
    >>> decimal_fraction("0.17647058823529413")
    Fraction(3, 17)
    >>> decimal_fraction(0.1), decimal_fraction("0.123456789")
    (Fraction(1, 10), Fraction(123456789, 1000000000))
    """
    return _decimal_fraction(repr(text) if isinstance(text, float) else text)


@functools.lru_cache(maxsize=65536)
def _decimal_fraction(text: str) -> Fraction:
    written = Fraction(text)
    x = float(text)
    if x == 0.0 or x != x or x in (float("inf"), float("-inf")):
        return written
    q = written.denominator
    if q == 1 or (q < 10**8 and abs(x) * q * q < 4e15):
        # No other fraction with a denominator up to q is within the rounding interval
        # (narrower than 2**-52 |x| < 1/q**2), so the decimal itself is the simplest.
        return written
    ax = abs(x)
    sign = -1 if x < 0 else 1
    if ax < 4000 and ax != 2.0 ** math.frexp(ax)[1] / 2:
        # Fast path: the interval is symmetric about x, so a fraction with denominator up to
        # 10**6 inside it is the closest such fraction; below 4000 there is at most one.
        near = Fraction(ax).limit_denominator(MAX_DECIMAL_DENOMINATOR)
        return sign * near if float(near) == ax else written
    centre = Fraction(ax)
    lo = (centre + Fraction(math.nextafter(ax, 0.0))) / 2
    hi = (centre + Fraction(math.nextafter(ax, math.inf))) / 2
    simplest = _simplest_in(lo, hi)
    if simplest.denominator <= min(MAX_DECIMAL_DENOMINATOR, written.denominator) and float(simplest) == ax:
        return sign * simplest
    return written


def exact_number(value: Any) -> sympy.Expr:
    """Convert a number to an exact sympy number.

    Floats go through their shortest decimal text, so ``0.1`` becomes ``1/10``
    exactly (as pygambit does); strings such as ``"1/3"`` or ``"0.25"`` are parsed
    by :func:`parse_expression` and must be constant.

    Examples
    --------
    >>> exact_number(0.1)
    1/10
    >>> exact_number("1/3")
    1/3
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a finite number")
        f = decimal_fraction(float(value))
        return sympy.Rational(f.numerator, f.denominator)
    if isinstance(value, numbers.Real):  # numpy scalars and the like
        return (
            exact_number(float(value))
            if not isinstance(value, numbers.Integral)
            else sympy.Integer(int(value))
        )
    if isinstance(value, str):
        expr = parse_expression(value)
        if expr.free_symbols:
            raise ExpressionError("a constant number was expected", expression=value)
        return expr
    raise TypeError(f"cannot read {value!r} as a number")


def as_expr(value: Any) -> sympy.Expr:
    """Return ``value`` (number, expression text or sympy expression) as a sympy expression."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, str):
        return parse_expression(value)
    return exact_number(value)


def expression_text(value: Any) -> Any:
    """Return the text form used when saving ``value`` to a file.

    Numbers stay numbers (ints as ints, floats as floats); strings are kept as
    written; sympy expressions are printed so that :func:`parse_expression`
    reads them back to an equal expression.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float):
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, sympy.Basic):
        return _sympy_text(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"cannot write {value!r} as an expression")


def _sympy_text(expr: sympy.Basic) -> str:
    text = sympy.sstr(expr, order="none")
    return text.replace("Min(", "min(").replace("Max(", "max(").replace("Abs(", "abs(")


def parse_expression(text: str, parameters: Any = None) -> sympy.Expr:
    """Parse expression text into a sympy expression through a whitelist.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"p_comply * (v_deal - c_talk)"``.
    parameters : collection of str, optional
        Names allowed in the expression.  When given, any other name is refused.

    Returns
    -------
    sympy.Expr
        The expression, with exact rational numbers and real-valued symbols.

    Raises
    ------
    ExpressionError
        If the text is not a whitelisted expression, with the offending position.

    Examples
    --------
    >>> parse_expression("1 - p_flout - p_defect")
    -p_defect - p_flout + 1
    >>> parse_expression("1/3 + 0.1")
    13/30
    >>> parse_expression("x.__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evtree.core.errors.ExpressionError: expression 'x.__class__' at position 2: attribute access ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected text, got {type(text).__name__}", expression=repr(text))
    expr = _parse_cached(text)
    if parameters is not None:
        allowed = set(parameters)
        unknown = sorted(s.name for s in expr.free_symbols if s.name not in allowed)
        if unknown:
            position = _find_name(text, unknown[0])
            raise ExpressionError(f"unknown parameter '{unknown[0]}'", expression=text, position=position)
    return expr


def _find_name(text: str, name: str) -> int | None:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:  # pragma: no cover - already parsed once
        return None
    offset = len(text) - len(text.lstrip())
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return node.col_offset + 1 + offset
    return None


@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> sympy.Expr:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"too long ({len(text)} characters, at most {MAX_LENGTH})",
            expression=text,
            position=MAX_LENGTH + 1,
        )
    if "\n" in text or "\r" in text or "\x00" in text:
        pos = min(i for i, c in enumerate(text) if c in "\n\r\x00") + 1
        raise ExpressionError("line breaks and NUL are not allowed", expression=text, position=pos)
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("empty expression", expression=text)
    if not text.isascii():  # ast.parse folds 'ｐ' to 'p' and 'ｅｘｐ' to 'exp' (NFKC) before any check
        pos = next(i for i, c in enumerate(text) if not c.isascii())
        raise ExpressionError(
            f"non-ASCII character {text[pos]!r} (names and operators are ASCII)",
            expression=text,
            position=pos + 1,
        )
    offset = len(text) - len(text.lstrip())
    depth = 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(
                    f"nested too deeply (more than {MAX_NESTING} levels)",
                    expression=text,
                    position=i + 1,
                )
        elif char in ")]}":
            depth -= 1
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        pos = (err.offset or 1) + offset if err.offset else None
        raise ExpressionError(f"not a valid expression ({err.msg})", expression=text, position=pos) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("not a valid expression", expression=text) from None
    builder = _Builder(stripped, text, offset)
    expr = builder.build(tree.body, 0)
    too_large = budget.size_problem(expr)
    if too_large:
        raise ExpressionError(f"too large: {too_large}", expression=text)
    return expr


class _Builder:
    """Walk a Python syntax tree, accepting only whitelisted nodes."""

    def __init__(self, source: str, original: str, offset: int) -> None:
        self.source = source
        self.original = original
        self.offset = offset

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        col = getattr(node, "col_offset", None)
        if isinstance(node, ast.Attribute):  # point at the dot
            col = node.value.end_col_offset
        position = None if col is None else col + 1 + self.offset
        return ExpressionError(message, expression=self.original, position=position)

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_NESTING:
            raise self.fail(node, f"nested too deeply (more than {MAX_NESTING} levels)")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, f"operator '{_OPERATOR_NAMES.get(type(node.op), '?')}' is not allowed")
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(node, _REFUSALS.get(type(node), f"{type(node).__name__} is not allowed"))

    def number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or value is None:
            raise self.fail(node, f"{value!r} is not a number")
        if isinstance(value, int):
            return sympy.Integer(value)
        if isinstance(value, float):
            literal = ast.get_source_segment(self.source, node) or repr(value)
            literal = literal.replace("_", "")
            if value != value or abs(value) == float("inf"):
                raise self.fail(node, "the number is too large")
            f = decimal_fraction(literal)
            return sympy.Rational(f.numerator, f.denominator)
        if isinstance(value, complex):
            raise self.fail(node, "complex numbers are not allowed")
        if isinstance(value, (str, bytes)):
            raise self.fail(node, "strings are not allowed")
        raise self.fail(node, f"{type(value).__name__} constants are not allowed")

    def name(self, node: ast.Name) -> sympy.Expr:
        ident = node.id
        if ident.startswith("_"):
            raise self.fail(node, f"name '{ident}' is not allowed (leading underscore)")
        if ident in _CONSTANTS:
            return _CONSTANTS[ident]
        if ident in FUNCTIONS:
            raise self.fail(node, f"function '{ident}' must be called")
        if not ident.isascii():
            raise self.fail(node, f"name '{ident}' is not allowed (non-ASCII)")
        return symbol(ident)

    def binary(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        # A long chain such as a + b + c + ... nests to the left; walk it without recursion.
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp) and type(spine[-1].left.op) is not ast.Pow:
            spine.append(spine[-1].left)
        value = self.build(spine[-1].left, depth + 1)
        for link in reversed(spine):
            value = self.combine(link, value, self.build(link.right, depth + 1))
        return value

    def combine(self, node: ast.BinOp, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
        op = type(node.op)
        if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):
            raise self.fail(node, f"operator '{_OPERATOR_NAMES.get(op, '?')}' is not allowed")
        if op is ast.Add:
            return self.checked(node, left + right) if left.is_number and right.is_number else left + right
        if op is ast.Sub:
            return self.checked(node, left - right) if left.is_number and right.is_number else left - right
        if op is ast.Mult:
            return self.checked(node, left * right) if left.is_number and right.is_number else left * right
        if op is ast.Div:
            if right.is_zero:
                raise self.fail(node, "division by zero")
            return self.checked(node, left / right) if left.is_number and right.is_number else left / right
        if right.is_Number and abs(right) > MAX_EXPONENT:
            raise self.fail(node, f"exponent {right} is too large (at most {MAX_EXPONENT})")
        if left.is_number and right.is_number:
            reason = budget.power_problem(left, right)
            if reason:
                raise self.fail(node, reason)
        return self.checked(node, left**right)

    def checked(self, node: ast.AST, value: sympy.Expr) -> sympy.Expr:
        """Return ``value``, refused when it is a constant that is complex, infinite or too large.

        So every constant is a finite real number in the float range, in every arithmetic
        (``sqrt(-1)``, ``(-8)**(1/3)`` and ``10**308*10`` are refused where they are written).
        """
        if value.is_number:
            reason = budget.number_problem(value)
            if reason:
                raise self.fail(node, f"the value {_short(value)} {reason}")
        return value

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(
                node, "this call is not allowed (only the functions min, max, exp, log, sqrt and abs)"
            )
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise self.fail(node, f"function '{fname}' is not allowed (only min, max, exp, log, sqrt, abs)")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "starred arguments are not allowed")
        low, high = _ARITY[fname]
        if not low <= len(node.args) <= high:
            want = str(low) if low == high else f"{low} or more"
            raise self.fail(node, f"{fname}() takes {want} argument{'s' if high > 1 else ''}")
        args = [self.build(a, depth + 1) for a in node.args]
        if fname == "log" and args[0].is_number and args[0].is_positive is False:
            raise self.fail(node, "log of a non-positive number")
        if fname == "exp" and args[0].is_number:
            reason = budget.exp_problem(args[0])
            if reason:
                raise self.fail(node, reason)
        value = FUNCTIONS[fname](*args)
        return self.checked(node, value) if all(a.is_number for a in args) else value


def _short(value: sympy.Expr) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"about {sympy.N(value, 4)}"


_OPERATOR_NAMES = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
    ast.USub: "-",
    ast.UAdd: "+",
}

_REFUSALS = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and'/'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.NamedExpr: "assignment is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Starred: "starred expressions are not allowed",
}
