"""Rich display: numbers, expressions, LaTeX, MathML and HTML tables.

This module owns how evtree writes a number, everywhere a person reads one: the
command line's tables and text, the drawings, the explorer and the report (JSON
output keeps full precision and does not come here).  The rules, documented in
``docs/output.md``:

- each kind of quantity has its significant digits (:data:`DIGITS`): values
  (payoffs, expected values, certainty equivalents, EVPI, thresholds) 6,
  probabilities 4 (counted on the smaller of p and 1 - p, so 0.99995 stays
  0.99995), standard errors 2, counts are whole numbers;
- thousands are separated by commas (``1,676,761``), whole parts are never cut;
- a float within :data:`TOLERANCE` of zero (times the scale of the quantities
  it came from) is float noise and is shown as ``0``;
- exact values are the fraction and its decimal, ``11587/2500 = 4.6348`` or
  ``1/3 ≈ 0.333333``, where space allows (``exact="both"``, used by tables and
  text); drawings show the short form (``4.6348``, ``1/3``);
- a tree's unit (``metadata: {units: ...}`` in the file) follows values in text;
- minus signs are typographic (U+2212) in HTML and SVG, ASCII on the command line
  (``ascii=True``) so that numbers can be pasted back into ``--set``.

    format_number     a value as short text: ``4.6348``, ``1/3``, ``−2``, an expression
    number_text       the same with the command line's defaults (fraction and decimal, ASCII)
    tree_unit         the unit a tree's payoffs are in, or None
    quantity_text     a probability or payoff as given on a node, ready to show
    expression_display  a symbolic value collected by probability/parameter, for reading
    wrap_expression   an expression's text wrapped to a width at its top-level terms
    text_table        a DataFrame as aligned text with every number formatted
    empty_note        one line saying why a table is empty
    latex             LaTeX of a value or expression
    mathml            presentation MathML of a value or expression (no script needed)
    frame_html        a DataFrame as an HTML table with numbers formatted
    evaluation_html   an :class:`~evtree.evaluate.Evaluation` as HTML: value, policy, strategies

Used by the drawing (:mod:`evtree.draw`), the explorer and the report; JupyterLab
shows results through ``_repr_html_`` methods that call these functions.
"""

from __future__ import annotations

import html
import math
import numbers
import shutil
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..core.expressions import expression_text

__all__ = [
    "DIGITS",
    "MINUS",
    "TOLERANCE",
    "column_kind",
    "empty_note",
    "evaluation_html",
    "expression_display",
    "format_number",
    "frame_html",
    "join_notes",
    "labelled_expression",
    "latex",
    "mathml",
    "note_lines",
    "number_text",
    "probability_symbols",
    "quantity_text",
    "text_table",
    "tree_unit",
    "wrap_expression",
]

#: The typographic minus sign used in displayed numbers and expressions.
MINUS = "\u2212"
#: Significant digits by kind of quantity.
DIGITS = {"value": 6, "probability": 4, "se": 2, "count": 0, "parameter": 12}
#: Floats closer to zero than this (times the scale) are float noise, shown as 0.
TOLERANCE = 1e-9


def _minus(text: str, ascii: bool = False) -> str:
    return text if ascii else text.replace("-", MINUS)


def _group(text: str) -> str:
    """Put thousands separators into the whole part of a plain decimal ``text``."""
    sign = "-" if text.startswith("-") else ""
    body = text[len(sign) :]
    whole, dot, frac = body.partition(".")
    if not whole.isdigit() or len(whole) <= 3:
        return text
    return f"{sign}{int(whole):,}{dot}{frac}"


def _float_text(v: float, digits: int, *, kind: str = "value", noise: float | None = None) -> str:
    """Return ``v`` with ``digits`` significant digits (ASCII minus)."""
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if noise is not None and abs(v) <= noise:
        return "0"
    if v == 0:
        return "0"
    a = abs(v)
    if kind == "count":
        return f"{round(v):,}"
    if kind == "probability" and 0 < v < 1:
        small = min(a, 1 - a)
        decimals = max(0, min(15, digits - 1 - math.floor(math.log10(small))))
        text = f"{v:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if float(v).is_integer() and a < 1e15:
        return f"{int(v):,}"
    if a >= 1e15:
        return f"{v:.{max(1, digits - 3)}e}"
    if a >= 10 ** max(digits, 1):
        return f"{round(v):,}"
    if a >= 1e-4:
        text = f"{v:.{digits}g}"
        if "e" in text:  # g switches to exponents once the whole part has more digits than asked
            text = f"{v:.{max(0, digits - len(str(int(a))))}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return _group(text)
    return f"{v:.{max(1, digits - 3)}e}"


def _terminating(den: int) -> bool:
    for f in (2, 5):
        while den % f == 0:
            den //= f
    return den == 1


def _rational_text(num: int, den: int, digits: int, *, exact: str = "short", kind: str = "value") -> str:
    """Return an exact rational (ASCII minus): short form, or fraction and decimal."""
    if den == 1:
        return f"{num:,}"
    decimal = _float_text(num / den, digits, kind=kind)
    if _terminating(den):
        text = str(sympy.Rational(num, den).evalf(40)).rstrip("0").rstrip(".")
        significant = len(text.replace("-", "").replace(".", "").lstrip("0"))
        if significant <= max(digits, 8):
            decimal = _group(text)
            if exact == "short":
                return decimal
            sign = "="
        else:
            sign = "≈"
    else:
        sign = "≈"
    fraction = f"{num}/{den}"
    if exact == "short":
        return fraction if len(fraction) <= 10 else "≈ " + decimal
    if len(fraction) > 24:
        return "≈ " + decimal
    return f"{fraction} {sign} {decimal}"


def _scalar(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.shape in ((), (1,)):
        return value.reshape(())[()]
    return value


def format_number(
    value: Any,
    *,
    digits: int | None = None,
    max_chars: int | None = None,
    kind: str = "value",
    exact: str = "short",
    unit: str | None = None,
    scale: Any = None,
    ascii: bool = False,
) -> str:
    """Return a value as short, readable text.

    Parameters
    ----------
    value : number, sympy expression, array of one element or None
    digits : int, optional
        Significant digits; by default those of ``kind`` (:data:`DIGITS`).
    max_chars : int, optional
        Cut longer expressions with an ellipsis.
    kind : {"value", "probability", "se", "count", "parameter"}, default "value"
        What the number is: sets the digits and, for probabilities, how they are counted.
    exact : {"short", "both"}, default "short"
        How exact non-integer rationals are shown: ``"short"`` a terminating decimal
        or a short fraction (drawings); ``"both"`` the fraction and its decimal.
    unit : str, optional
        Written after the number (``4.6348 billion USD``).
    scale : number, optional
        The size of the quantities a float came from: floats within
        ``TOLERANCE * max(1, |scale|)`` of zero are shown as ``0``.
    ascii : bool, default False
        Use ``-`` rather than the typographic minus (command line).

    Examples
    --------
    >>> format_number(4.634800000000001)
    '4.6348'
    >>> format_number(sympy.Rational(11587, 2500))
    '4.6348'
    >>> format_number(sympy.Rational(11587, 2500), exact="both")
    '11587/2500 = 4.6348'
    >>> format_number(sympy.Rational(-1, 3))
    '−1/3'
    >>> format_number(1234567.891)
    '1,234,568'
    >>> format_number(-3.552713678800501e-15, ascii=True)
    '0'
    >>> format_number(sympy.Symbol("v") - sympy.Symbol("c"))
    'v − c'
    """
    text = _number_text(value, digits, max_chars, kind, exact, scale)
    if unit and text and text not in ("NaN", ""):
        text = f"{text} {unit}"
    return _minus(text, ascii)


def _number_text(value: Any, digits: Any, max_chars: Any, kind: str, exact: str, scale: Any) -> str:
    if kind not in DIGITS:
        raise ValueError(f"kind must be one of {', '.join(DIGITS)}, got {kind!r}")
    d = DIGITS[kind] if digits is None else digits
    noise = TOLERANCE * max(1.0, abs(float(scale))) if scale is not None else TOLERANCE
    if kind in ("se", "parameter"):
        noise = None
    value = _scalar(value)
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value), d, kind=kind, noise=noise)
    if isinstance(value, (int, np.integer)):
        return _rational_text(int(value), 1, d)
    if isinstance(value, Fraction):
        return _rational_text(value.numerator, value.denominator, d, exact=exact, kind=kind)
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return _rational_text(int(value.p), int(value.q), d, exact=exact, kind=kind)
        if value.is_number and value.is_real:
            approx = _float_text(float(value), d, kind=kind)
            if exact == "both":
                shown = _sympy_text(value)
                if len(shown) <= 40:
                    return f"{shown} ≈ {approx}"
            return "≈ " + approx
        text = _sympy_text(value)
        if max_chars is not None and len(text) > max_chars:
            text = text[: max_chars - 1].rstrip() + "…"
        return text
    if isinstance(value, numbers.Real):
        return _float_text(float(value), d, kind=kind, noise=noise)
    return str(value)


def _sympy_text(value: sympy.Basic) -> str:
    text = sympy.sstr(value, order="none")
    return text.replace("Max(", "max(").replace("Min(", "min(").replace("Abs(", "abs(")


def number_text(value: Any, kind: str = "value", **options: Any) -> str:
    """Return a number as the command line writes it: fraction and decimal, ASCII minus.

    Examples
    --------
    >>> number_text(0.34499999999999975, "value")
    '0.345'
    >>> number_text(sympy.Rational(1, 3), "probability")
    '1/3 ≈ 0.3333'
    >>> number_text(1676761.25, unit="USD")
    '1,676,761 USD'
    """
    options.setdefault("exact", "both")
    options.setdefault("ascii", True)
    return format_number(value, kind=kind, **options)


def tree_unit(tree: Any) -> str | None:
    """Return the unit the tree's payoffs are in (``metadata.units``, or ``unit``), or None.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> tree_unit(texaco_pennzoil()) is None or isinstance(tree_unit(texaco_pennzoil()), str)
    True
    """
    meta = getattr(tree, "metadata", None)
    if not isinstance(meta, Mapping):
        return None
    for key in ("units", "unit"):
        v = meta.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def quantity_text(value: Any) -> str:
    """Return a probability or payoff as written on a node, ready to show.

    Examples
    --------
    >>> quantity_text("1 - p_flout")
    '1 − p_flout'
    >>> quantity_text(0.17)
    '0.17'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return _minus(" ".join(value.split()))
    if isinstance(value, float):
        return _minus(_float_text(value, 12))
    if isinstance(value, sympy.Basic) and not value.is_number:
        return _minus(str(expression_text(value)))
    return format_number(value, digits=12)


# -- symbolic values, for reading ---------------------------------------------------------------
def probability_symbols(tree: Any) -> list[sympy.Symbol]:
    """Return the symbols in the tree's chance probabilities, in order of first appearance."""
    from ..core.expressions import as_expr

    seen: dict[sympy.Symbol, None] = {}
    for node in tree.nodes():
        p = getattr(node, "probability", None)
        if p is None or isinstance(p, str) and p.strip() == "rest":
            continue
        try:
            expr = as_expr(p)
        except Exception:  # noqa: BLE001 - a REST marker or anything without symbols
            continue
        for s in sorted(getattr(expr, "free_symbols", ()), key=str):
            seen.setdefault(s, None)
    return list(seen)


def expression_display(expr: Any, symbols: Iterable[Any] | None = None) -> Any:
    """Return a symbolic value rearranged for reading: collected by ``symbols``.

    The value is expanded and its terms gathered by each of ``symbols`` in turn
    (a tree's branch probabilities, say), the coefficients simplified; inside
    ``max``/``min`` each option is treated alike.  The shorter of this and the
    original is returned; it is the same expression, only written differently.

    Parameters
    ----------
    expr : sympy expression (anything else is returned as is)
    symbols : iterable of sympy Symbols or names, optional
        What to collect by; by default every free symbol, alphabetically.

    Examples
    --------
    >>> p, a, b = sympy.symbols("p a b")
    >>> print(expression_display(p * (a - b) + (1 - p) * (a - b + 1), [p]))
    a - b - p + 1
    """
    if not isinstance(expr, sympy.Basic) or expr.is_number:
        return expr
    syms = [sympy.Symbol(s, real=True) if isinstance(s, str) else s for s in (symbols or ())]
    return _collected(expr, syms)


COLLECT_OPERATIONS = 400
"""Largest symbolic value (in sympy operations) collected by parameter for display."""


def _collected(expr: sympy.Basic, syms: list[Any]) -> sympy.Basic:
    if isinstance(expr, (sympy.Max, sympy.Min)):
        return expr.func(*[_collected(a, syms) for a in expr.args], evaluate=False)
    if expr.has(sympy.Max, sympy.Min, sympy.Piecewise):
        if isinstance(expr, (sympy.Add, sympy.Mul)):
            return expr.func(*[_collected(a, syms) for a in expr.args], evaluate=False)
        return expr
    if sympy.count_ops(expr) > COLLECT_OPERATIONS:  # collecting a large value costs more than it shows
        return expr
    free = expr.free_symbols
    order = [s for s in syms if s in free] or sorted(free, key=str)
    try:
        expanded = sympy.expand(expr)
        gathered = sympy.collect(expanded, order, evaluate=False)
    except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - sympy corner cases
        return expr
    terms = []
    for key, coeff in gathered.items():
        c = sympy.factor_terms(sympy.simplify(coeff)) if coeff.free_symbols else coeff
        terms.append(key * c)
    candidate = sympy.Add(*terms)
    return candidate if len(str(candidate)) <= len(str(expr)) else expr


def wrap_expression(text: str, width: int | None = None, *, indent: str = "    ") -> str:
    """Wrap an expression's text at its outermost ``+``, ``-`` and commas to ``width`` columns.

    Breaks are made at the outermost level that has any (the terms of a sum, or
    the options inside ``max(...)``); ``width`` defaults to the terminal's;
    continuation lines start with ``indent``.

    Examples
    --------
    >>> print(wrap_expression("a + b*(c + d) - e", 13, indent="  "))
    a + b*(c + d)
      - e
    >>> print(wrap_expression("max(0, a + b, c)", 8, indent=""))
    max(0,
    a + b,
    c)
    """
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    width = max(1, width)
    if len(text) <= width:
        return text
    breaks: dict[int, list[tuple[int, bool]]] = {}  # depth -> (position to break at, a comma)
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "+-−" and i > 1 and text[i - 1] == " " and text[i + 1 : i + 2] == " ":
            breaks.setdefault(depth, []).append((i - 1, False))
        elif ch == "," and text[i + 1 : i + 2] == " ":
            breaks.setdefault(depth, []).append((i + 1, True))
    if not breaks:
        return text
    pieces, start = [], 0
    chosen = breaks[min(breaks)]
    if any(comma for _, comma in chosen):  # the options of max(...) first, then their terms
        chosen = [b for b in chosen if b[1]]
    for pos, _ in chosen:
        pieces.append(text[start:pos].strip())
        start = pos
    pieces.append(text[start:].strip())
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += " " + piece
            continue
        room = width - len(indent)
        sub = wrap_expression(piece, room, indent="  ").splitlines() if len(piece) > room else [piece]
        if not lines:
            lines.append(sub[0])
            sub = sub[1:]
        lines.extend(indent + line for line in sub)
    return "\n".join(lines)


def labelled_expression(label: str, text: str, width: int | None = None) -> str:
    """Return ``label`` then the expression's text, wrapped so that continuation lines align under it.

    Examples
    --------
    >>> print(labelled_expression("  EVPI: ", "alpha + beta + gamma", 24))
      EVPI: alpha + beta
              + gamma
    """
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    wrapped = wrap_expression(text, max(10, width - len(label)), indent="  ")
    return label + wrapped.replace("\n", "\n" + " " * len(label))


# -- text tables ---------------------------------------------------------------------------------
def column_kind(name: Any) -> str:
    """Return the kind of number a column holds, from its name (``probability_optimal`` -> probability).

    Examples
    --------
    >>> [column_kind(c) for c in ("value", "probability_optimal", "se", "draws", "evpi_se")]
    ['value', 'probability', 'se', 'count', 'se']
    """
    text = str(name).lower()
    if text in ("se", "sd_se") or text.endswith("_se") or text.startswith("se ") or "standard error" in text:
        return "se"
    if "probab" in text or text in ("p", "share", "share of grid", "reach", "cumulative"):
        return "probability"
    if text in ("n", "draws", "count", "inner", "outer", "nodes", "n_strategies"):
        return "count"
    return "value"


def text_table(
    frame: Any,
    *,
    kinds: Mapping[Any, str] | None = None,
    exact: str = "both",
    unit: str | None = None,
    max_chars: int | None = 60,
) -> str:
    """Return a DataFrame as aligned text, every number written by :func:`format_number`.

    Column kinds come from ``kinds`` or the column's name (:func:`column_kind`);
    ``True`` is written ``yes`` and ``False`` left blank; an empty frame gives
    :func:`empty_note`.  The numbers are ASCII (the command line's).
    """
    import pandas as pd

    if frame is None or len(frame) == 0:
        return empty_note("table", "no rows")
    kinds = dict(kinds or {})
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        kind = kinds.get(col) or column_kind(col)
        series = frame[col]
        sizes = [
            abs(float(v))
            for v in series
            if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) and v == v
        ]
        scale = max(sizes) if sizes else None  # float noise is judged against the column's numbers

        def cell(v: Any, kind: str = kind, scale: Any = scale) -> str:
            if isinstance(v, (bool, np.bool_)):
                return "yes" if v else ""
            if v is None or (isinstance(v, float) and v != v):
                return ""
            if isinstance(v, (numbers.Number, sympy.Basic, Fraction, np.number)):
                return format_number(v, kind=kind, exact=exact, ascii=True, max_chars=max_chars, scale=scale)
            return str(v)

        out[col] = [cell(v) for v in series]
    index = frame.index
    if not isinstance(index, pd.MultiIndex) and index.dtype.kind == "f":  # a swept parameter, say
        kind = kinds.get(index.name) or "value"
        out.index = pd.Index([format_number(v, kind=kind, ascii=True) for v in index], name=index.name)
    if unit:
        numeric = {
            c
            for c in frame.columns
            if (kinds.get(c) or column_kind(c)) == "value"
            and any(
                isinstance(v, (numbers.Number, sympy.Basic, Fraction)) and not isinstance(v, (bool, np.bool_))
                for v in frame[c]
            )
        }
        out.columns = [f"{c} ({unit})" if c in numeric else c for c in out.columns]
    with pd.option_context("display.max_rows", 500, "display.max_columns", 60, "display.width", 250):
        return out.to_string()


def empty_note(what: str, why: str) -> str:
    """Return one line saying that ``what`` is empty and why (never ``Empty DataFrame``).

    Examples
    --------
    >>> empty_note("tornado", "no parameter has both bounds")
    'tornado: nothing to show (no parameter has both bounds)'
    """
    return f"{what}: nothing to show ({why})"


def join_notes(notes: Iterable[str]) -> list[str]:
    """Return notes without repeats, joining ``at A, X`` and ``at B, X`` into ``at A and B, X``.

    Analyses add one caveat per place it applies (a chance node, say); a reader needs it once.

    Examples
    --------
    >>> join_notes(["at n1, the 'rest' branch absorbs p", "clipped", "at n2, the 'rest' branch absorbs p"])
    ["at n1 and n2, the 'rest' branch absorbs p", 'clipped']
    """
    import re

    groups: dict[str, list[str]] = {}
    for note in notes:
        note = note.strip()
        if not note:
            continue
        m = re.fullmatch(r"at (\S+), (.+)", note, flags=re.S)
        what, where = (m.group(2), m.group(1)) if m else (note, "")
        places = groups.setdefault(what, [])
        if where and where not in places:
            places.append(where)
    out = []
    for what, places in groups.items():
        if not places:
            out.append(what)
        else:
            joined = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
            out.append(f"at {joined}, {what}")
    return out


def note_lines(*notes: str | Iterable[str] | None, indent: str = "  ") -> list[str]:
    """Return an analysis' notes as printed lines, ``note: ...``, each caveat once.

    Each argument is a note, a ``"; "``-joined string of notes (as the sensitivity records
    keep them), or a list of notes; repeats are merged by :func:`join_notes`, so the
    command line and the report print the same notes the same way.

    Examples
    --------
    >>> note_lines("at n1, the 'rest' branch absorbs p; clipped", ["at n2, the 'rest' branch absorbs p"])
    ["  note: at n1 and n2, the 'rest' branch absorbs p", '  note: clipped']
    """
    pieces: list[str] = []
    for note in notes:
        if not note:
            continue
        for part in [note] if isinstance(note, str) else note:
            pieces.extend(str(part).split("; "))
    return [f"{indent}note: {n}" for n in join_notes(pieces)]


# -- LaTeX, MathML, HTML -------------------------------------------------------------------------
def latex(value: Any, symbols: Iterable[Any] | None = None) -> str:
    r"""Return LaTeX for a number or expression (``\frac{1}{3}``, ``\max(...)``).

    Expressions are first rearranged by :func:`expression_display` (collected by
    ``symbols``, a tree's probabilities say).

    Examples
    --------
    >>> latex(sympy.Rational(1, 3))
    '\\frac{1}{3}'
    >>> latex(1676761.25)
    '1{,}676{,}761'
    """
    if isinstance(value, (float, np.floating)):
        return format_number(value, ascii=True).replace(",", "{,}")
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    expr = sympy.sympify(value) if not isinstance(value, sympy.Basic) else value
    if symbols is not None:
        expr = expression_display(expr, symbols)
    return sympy.latex(expr)


def mathml(value: Any, *, display: str = "inline", symbols: Iterable[Any] | None = None) -> str:
    """Return presentation MathML for a number or expression, wrapped in ``<math>``.

    Browsers render MathML without any script, so a saved report can show
    symbolic values without fetching MathJax.  ``display`` is ``"inline"`` or
    ``"block"``; expressions are collected by ``symbols`` when given.
    """
    from sympy.printing.mathml import mathml as _mathml

    if isinstance(value, (float, np.floating)):
        return f"<math><mn>{html.escape(format_number(value))}</mn></math>"
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    expr = value if isinstance(value, sympy.Basic) else sympy.sympify(value)
    if symbols is not None:
        expr = expression_display(expr, symbols)
    body = _mathml(expr, printer="presentation")
    return f'<math display="{display}">{body}</math>'


def _cell(v: Any, kind: str = "value", symbols: Any = None, exact: str = "short") -> str:
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if symbols is not None and isinstance(v, sympy.Basic) and not v.is_number:
        return f"${latex(v, symbols)}$"  # JupyterLab typesets it
    if isinstance(v, (numbers.Number, sympy.Basic, Fraction, np.number)):
        return format_number(v, max_chars=120, kind=kind, exact=exact)
    return str(v)


_TABLE_CSS = (
    "border-collapse:collapse;font-variant-numeric:tabular-nums;"
    "font-family:'DejaVu Sans',Verdana,sans-serif;font-size:12px"
)


def frame_html(
    frame: Any,
    *,
    highlight: str | None = "optimal",
    index: bool = True,
    kinds: Mapping[Any, str] | None = None,
    why_empty: str | None = None,
    symbols: Iterable[Any] | None = None,
    exact: str = "both",
) -> str:
    """Return a DataFrame as an HTML table with numbers formatted for reading.

    Rows whose ``highlight`` column is true are shown in bold; numbers are
    written by :func:`format_number` with the kind of their column (``kinds``, or
    :func:`column_kind` of its name).  An empty frame gives one line saying so
    (``why_empty``).  With ``symbols``, symbolic cells are LaTeX (``$...$``) collected
    by those symbols, for notebooks.  Exact values are the fraction and its decimal
    (``exact="both"``), as everywhere a table is read.
    """
    if len(frame) == 0:
        return f"<p class='note'>{html.escape(empty_note('table', why_empty or 'no rows'))}</p>"
    kinds = dict(kinds or {})
    cols = list(frame.columns)
    col_kind = {c: kinds.get(c) or column_kind(c) for c in cols}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    if index:
        head = f"<th>{html.escape(str(frame.index.name or ''))}</th>" + head
    th = "border-bottom:1px solid #444;padding:3px 8px;text-align:left"
    td = "border-bottom:1px solid #e4e4e4;padding:3px 8px"
    rows = []
    for idx, row in frame.iterrows():
        bold = highlight in cols and bool(row[highlight])
        style = f"{td};font-weight:bold" if bold else td
        cells = []
        if index:
            cells.append(f'<td style="{style}">{html.escape(_cell(idx))}</td>')
        for c in cols:
            v = row[c]
            align = ";text-align:right" if isinstance(v, (numbers.Number, sympy.Basic, np.number)) else ""
            cells.append(
                f'<td style="{style}{align}">{html.escape(_cell(v, col_kind[c], symbols, exact))}</td>'
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = head.replace("<th>", f'<th style="{th}">')
    body = "".join(rows)
    return (
        f'<table class="evtree-table" style="{_TABLE_CSS}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def evaluation_html(result: Any, *, picture: bool = True, max_nodes: int = 200) -> str:
    """Return an evaluation as HTML: value (LaTeX when symbolic), policy, strategies, picture.

    Parameters
    ----------
    result : Evaluation
        A single-point evaluation (a broadcast one shows its head line only).
    picture : bool, default True
        Include the tree drawing with values when the tree has at most
        ``max_nodes`` nodes.
    """
    from ..core.errors import EvtreeError

    tree = result.tree
    unit = tree_unit(tree)
    name = html.escape(tree.name or "tree")
    kind = "certainty equivalent" if result.utility is not None else "expected value"
    parts = [
        f"<div class='evtree-evaluation'><p><b>{name}</b> — {kind} ({html.escape(result.method)} arithmetic)"
    ]
    if result.shape != ():
        parts.append(f" over {math.prod(result.shape)} points, shape {result.shape}</p></div>")
        return "".join(parts)
    if result.method == "symbolic":
        symbols = probability_symbols(tree)
        parts.append(f":</p><p>$$ {latex(result.value, symbols)} $$</p>")
        parts.append(
            "<p>At the default parameters: "
            f"{html.escape(format_number(result._base.value, exact='both', unit=unit))}</p>"
        )
    else:
        parts.append(f": <b>{html.escape(format_number(result.value, exact='both', unit=unit))}</b></p>")
    if result.policy:
        items = []
        for k, v in result.policy.items():
            tie = f" (tied: {', '.join(result.ties[k])})" if k in result.ties else ""
            items.append(f"<li>{html.escape(str(k))}: <b>{html.escape(str(v))}</b>{html.escape(tie)}</li>")
        parts.append(f"<p>Optimal policy:</p><ul>{''.join(items)}</ul>")
    try:
        symbols = probability_symbols(tree) if result.method == "symbolic" else None
        parts.append(frame_html(result.strategies, symbols=symbols))
    except EvtreeError as err:
        parts.append(f"<p>{html.escape(str(err))}</p>")
    if picture and sum(1 for _ in tree.nodes()) <= max_nodes:
        from .draw import tree_svg

        parts.append(tree_svg(tree, result, legend=False))
    parts.append("</div>")
    return "".join(parts)
