"""The whitelist expression parser: exact numbers, refusals with positions, hostile input."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from evtree import ExpressionError, parse_expression, symbol
from evtree.expressions import MAX_LENGTH, exact_number, expression_text

p, q, v = symbol("p"), symbol("q"), symbol("v")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/3", sympy.Rational(1, 3)),
        ("0.1", sympy.Rational(1, 10)),
        ("0.1 + 0.2", sympy.Rational(3, 10)),  # exact: no 0.30000000000000004
        ("1e-3", sympy.Rational(1, 1000)),
        ("2**10", sympy.Integer(1024)),
        ("-(3)", sympy.Integer(-3)),
        ("+4", sympy.Integer(4)),
        ("1 - p - q", 1 - p - q),
        ("p * (v - 2)", p * (v - 2)),
        ("max(p, q)", sympy.Max(p, q)),
        ("min(p, q, 1)", sympy.Min(p, q, 1)),
        ("exp(p)", sympy.exp(p)),
        ("log(v)", sympy.log(v)),
        ("sqrt(4)", sympy.Integer(2)),
        ("abs(-2)", sympy.Integer(2)),
        ("  p  ", p),
        ("1_000", sympy.Integer(1000)),
    ],
)
def test_parses_exactly(text, expected):
    assert sympy.simplify(parse_expression(text) - expected) == 0


def test_symbols_are_real_and_shared():
    expr = parse_expression("p_comply * (v_deal - c_talk)")
    assert {s.name for s in expr.free_symbols} == {"p_comply", "v_deal", "c_talk"}
    assert all(s.is_real for s in expr.free_symbols)
    assert symbol("p_comply") in expr.free_symbols


HOSTILE = [
    ("__import__('os').system('true')", "call is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "call is not allowed"),
    ("p.__class__", "attribute access"),
    ("p.real", "attribute access"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("exec('x=1')", "function 'exec' is not allowed"),
    ("getattr(p, 'x')", "not allowed"),
    ("lambda: 1", "lambda"),
    ("(lambda x: x)(1)", "call is not allowed"),
    ("'text'", "strings"),
    ("b'bytes'", "strings"),
    ("f'{p}'", "strings"),
    ("p[0]", "subscripts"),
    ("[1, 2]", "lists"),
    ("{1: 2}", "dicts"),
    ("(1, 2)", "tuples"),
    ("{1}", "sets"),
    ("[x for x in p]", "comprehensions"),
    ("1 if p else 2", "conditional"),
    ("p < q", "comparisons"),
    ("p and q", "'and'/'or'"),
    ("not p", "operator 'not'"),
    ("~p", "operator '~'"),
    ("p // q", "operator '//'"),
    ("p % q", "operator '%'"),
    ("p @ q", "operator '@'"),
    ("p << 2", "operator '<<'"),
    ("(x := 3)", "assignment"),
    ("9**9**9", "too large"),
    ("2**100000", "too large"),
    ("10**999 ** 999", "too large"),
    ("(10**900)**900", "too large"),
    ("1/0", "division by zero"),
    ("0**-1", "division by zero"),
    ("log(0)", "non-positive"),
    ("1j", "complex"),
    ("True", "not a number"),
    ("None", "not a number"),
    ("_private", "leading underscore"),
    ("__builtins__", "leading underscore"),
    ("max", "must be called"),
    ("max(p)", "takes 2 or more"),
    ("exp(p, q)", "takes 1 argument"),
    ("max(*p)", "starred"),
    ("exp(x=1)", "keyword"),
    ("p +", "not a valid expression"),
    ("", "empty"),
    ("   ", "empty"),
    ("p\nimport os", "line breaks"),
    ("p\x00", "NUL"),
    ("(" * 60 + "1" + ")" * 60, "nested too deeply"),
    ("-" * 80 + "1", "nested too deeply"),
    ("1+" * 600 + "1", "too long"),
    ("p; q", "not a valid expression"),
    ("import os", "not a valid expression"),
    ("yield p", "not a valid expression"),
    ("await p", "not allowed"),
    ("π", "non-ASCII"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_input_is_refused(text, reason):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    message = str(info.value)
    assert reason in info.value.reason
    assert message.count("\n") == 0  # one line, fit for the command line
    assert info.value.expression == text


def test_refusal_names_position():
    err = pytest.raises(ExpressionError, parse_expression, "p + q.x").value
    assert err.position == 6  # the dot
    assert err.caret().splitlines() == ["p + q.x", "     ^"]
    err = pytest.raises(ExpressionError, parse_expression, "1 + foo(2)").value
    assert err.position == 5
    err = pytest.raises(ExpressionError, parse_expression, "  p[1]").value
    assert err.position == 3  # leading blanks count


def test_unknown_parameter_is_refused_with_position():
    err = pytest.raises(ExpressionError, parse_expression, "p + r", ["p", "q"]).value
    assert "unknown parameter 'r'" in str(err)
    assert err.position == 5


def test_length_limit():
    assert parse_expression("1+" * ((MAX_LENGTH - 1) // 2) + "1") > 0
    with pytest.raises(ExpressionError):
        parse_expression("1" * (MAX_LENGTH + 1))


def test_parser_never_calls_eval(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    from evtree.expressions import _parse_cached

    _parse_cached.cache_clear()
    assert parse_expression("p*(1/3) + max(q, 0.5) - sqrt(2)") is not None


def test_exact_number():
    assert exact_number(0.1) == sympy.Rational(1, 10)
    assert exact_number(Fraction(2, 7)) == sympy.Rational(2, 7)
    assert exact_number("3/8") == sympy.Rational(3, 8)
    with pytest.raises(ExpressionError):
        exact_number("p + 1")
    with pytest.raises(ValueError):
        exact_number(float("nan"))
    with pytest.raises(TypeError):
        exact_number(True)


@st.composite
def arithmetic(draw, depth=3):
    """An expression text together with its value, computed independently with Fraction."""
    if depth == 0 or draw(st.booleans()):
        whole = draw(st.integers(0, 50))
        if draw(st.booleans()):
            digits = draw(st.integers(0, 99))
            return f"{whole}.{digits:02d}", Fraction(whole) + Fraction(digits, 100)
        return str(whole), Fraction(whole)
    left, lv = draw(arithmetic(depth=depth - 1))
    right, rv = draw(arithmetic(depth=depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    if op == "/" and rv == 0:
        op = "+"
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else None}[op]
    return f"({left} {op} {right})", value


@given(arithmetic())
def test_arithmetic_is_exact(case):
    text, value = case
    assert parse_expression(text) == sympy.Rational(value.numerator, value.denominator)


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_is_refused_cleanly(text):
    try:
        expr = parse_expression(text)
    except ExpressionError:
        return
    assert isinstance(expr, sympy.Expr)


def test_expression_text_round_trips():
    for text in ["1 - p - q", "max(p, q) + abs(v)", "p*exp(-v/3)", "min(p, 1/3)"]:
        expr = parse_expression(text)
        assert parse_expression(expression_text(expr)) == expr
