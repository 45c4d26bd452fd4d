"""The one number format (issue 18): every kind of value, with the expected text written by hand.

Minus signs: typographic (U+2212) in HTML and SVG, ASCII on the command line (``number_text``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import sympy

from evtree.presentation.display import (
    column_kind,
    empty_note,
    expression_display,
    format_number,
    join_notes,
    labelled_expression,
    number_text,
    text_table,
    tree_unit,
    wrap_expression,
)

M = "\u2212"


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        # values (payoffs, expected values, certainty equivalents): 6 significant digits
        (0.34499999999999975, "value", "0.345"),  # voi texaco EVPI, float noise in the last place
        (3.614251595582683, "value", "3.61425"),  # a certainty equivalent
        (1676761.0, "value", "1,676,761"),  # dollars: thousands separated
        (740747.4, "value", "740,747"),  # the drawing used to show 740747 beside 1,676,761
        (12345.678, "value", "12,345.7"),
        (-9.5, "value", "-9.5"),
        (98.0, "value", "98"),
        # float noise within the tolerance of zero is 0
        (-3.552713678800501e-15, "value", "0"),  # an EVSI that is zero up to rounding
        (2e-10, "value", "0"),
        # probabilities: 4 significant digits counted on the smaller of p and 1 - p
        (1 / 3, "probability", "0.3333"),
        (0.17, "probability", "0.17"),
        (0.99995, "probability", "0.99995"),
        (0.000123456, "probability", "0.0001235"),
        (1.0, "probability", "1"),
        # standard errors: 2 significant digits; counts: whole numbers
        (0.104567, "se", "0.1"),
        (0.0567, "se", "0.057"),
        (2000, "count", "2,000"),
        (2000.0, "count", "2,000"),
        # exact values: the fraction and its decimal
        (sympy.Rational(11587, 2500), "value", "11587/2500 = 4.6348"),
        (sympy.Rational(1, 3), "value", "1/3 ≈ 0.333333"),
        (sympy.Rational(1, 3), "probability", "1/3 ≈ 0.3333"),
        (sympy.Rational(-41, 2), "value", "-41/2 = -20.5"),
        (Fraction(9075, 4), "value", "9075/4 = 2,268.75"),
        (sympy.Integer(1676761), "value", "1,676,761"),
        (sympy.sqrt(16804014) / 1250, "value", "sqrt(16804014)/1250 ≈ 3.27942"),  # the risk std
        (None, "value", ""),
        (float("nan"), "value", "NaN"),
    ],
)
def test_number_text_per_kind(value, kind, text):
    assert number_text(value, kind) == text


def test_exact_values_on_drawings_are_short_and_typographic():
    assert format_number(sympy.Rational(11587, 2500)) == "4.6348"
    assert format_number(sympy.Rational(-1, 3)) == f"{M}1/3"
    assert format_number(-1676761.2) == f"{M}1,676,761"
    assert format_number(sympy.Rational(11587, 2500), exact="both") == "11587/2500 = 4.6348"


def test_units_follow_the_number():
    assert number_text(4.6348, unit="billion USD") == "4.6348 billion USD"
    assert number_text(None, unit="USD") == ""

    class T:
        metadata = {"units": "billion USD"}

    assert tree_unit(T()) == "billion USD"
    T.metadata = {}
    assert tree_unit(T()) is None


def test_tolerance_scales_with_the_quantities():
    # 1e-7 is noise next to values of a billion, not next to values of one
    assert number_text(1e-7, scale=1e9) == "0"
    assert number_text(1e-7) == "1.000e-07"


def test_bad_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        format_number(1.0, kind="money")


def test_column_kinds():
    assert [column_kind(c) for c in ("value", "mean", "probability_optimal", "se", "evpi_se", "draws")] == [
        "value",
        "value",
        "probability",
        "se",
        "se",
        "count",
    ]


def test_text_table_formats_every_cell_and_says_why_it_is_empty():
    frame = pd.DataFrame(
        {
            "value": [sympy.Rational(103, 25), 1676761.3],
            "probability_optimal": [1 / 3, 0.0],
            "optimal": [True, False],
        },
        index=pd.Index(["a", "b"], name="strategy"),
    )
    lines = text_table(frame, unit="USD").splitlines()
    assert lines[0].split() == ["value", "(USD)", "probability_optimal", "optimal"]
    assert lines[2].split() == ["a", "103/25", "=", "4.12", "0.3333", "yes"]
    assert lines[3].split() == ["b", "1,676,761", "0"]
    assert text_table(frame.iloc[:0]) == "table: nothing to show (no rows)"
    assert empty_note("tornado", "no parameter has both bounds") == (
        "tornado: nothing to show (no parameter has both bounds)"
    )


def test_symbolic_values_are_collected_by_probability():
    # strategy 1 of the essays' tree, as the rollback writes it, and collected by hand:
    #   p_d (v_soft - c) + p_f (v_dem - c) + (1 - p_d - p_f)(v_deal - c)
    #   = v_deal - c + p_d (v_soft - v_deal) + p_f (v_dem - v_deal)
    pd_, pf, c, vs, vm, vd = sympy.symbols("p_defect p_flout c_talk v_soft v_demands v_deal", real=True)
    raw = pd_ * (-c + vs) + pf * (-c + vm) + (-c + vd) * (-pd_ - pf + 1)
    shown = expression_display(raw, [pf, pd_])
    assert sympy.expand(shown - raw) == 0  # the same value
    assert shown == vd - c + pd_ * (vs - vd) + pf * (vm - vd)
    assert len(str(shown)) < len(str(raw))
    assert expression_display(sympy.Integer(3)) == 3


def test_wrapping_keeps_within_the_width():
    text = " + ".join(f"p{i}*(v{i} - c)" for i in range(12))
    wrapped = wrap_expression(text, 40)
    assert all(len(line) <= 40 for line in wrapped.splitlines())
    assert " ".join(wrapped.split()) == text
    labelled = labelled_expression("  EVPI: ", text, 50)
    assert all(len(line) <= 50 for line in labelled.splitlines())
    assert all(line.startswith(" " * 8) for line in labelled.splitlines()[1:])


def test_notes_repeated_per_chance_node_are_joined():
    notes = [
        "p clipped from [0, 1] to [0, 1/2]",
        "at north_response, the 'rest' branch absorbs changes in p",
        "at north_again, the 'rest' branch absorbs changes in p",
    ]
    assert join_notes(notes) == [
        "p clipped from [0, 1] to [0, 1/2]",
        "at north_response and north_again, the 'rest' branch absorbs changes in p",
    ]


def test_arrays_of_one_value_and_numpy_scalars():
    assert number_text(np.array([98.0])) == "98"
    assert number_text(np.float64(0.25), "probability") == "0.25"


def test_text_table_judges_noise_against_its_column():
    # in a column of billions, 2e-7 is rounding noise; alone it is a number
    frame = pd.DataFrame({"value": [2.5e9, 2e-7]})
    assert text_table(frame).splitlines()[2].split() == ["1", "0"]
    assert text_table(pd.DataFrame({"value": [2e-7]})).splitlines()[1].split() == ["0", "2.000e-07"]


def test_html_tables_show_fractions_and_decimals():
    from evtree.presentation.display import frame_html

    html = frame_html(pd.DataFrame({"value": [sympy.Rational(1, 3)], "probability": [0.25]}))
    assert "1/3 ≈ 0.333333" in html and ">0.25<" in html


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.floats(min_value=-1e14, max_value=1e14, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_a_value_read_back_is_within_its_digits(v):
    # the text, commas removed, is the number to 6 significant digits (or to the unit, above 10**6)
    back = float(number_text(v).replace(",", ""))
    tolerance = 0.5 if abs(v) >= 1e6 else 5.000001e-6 * abs(v)
    assert abs(back - v) <= tolerance


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_probability_read_back_keeps_four_digits_of_the_smaller_side(p):
    text = number_text(p, "probability")
    back = float(text)
    small = min(p, 1 - p)
    assert 0 <= back <= 1
    assert abs(back - p) <= max(5.000001e-4 * small, 1e-9)
