"""Rich display: numbers, expressions, LaTeX, MathML and HTML tables.

    format_number     a value as short text: ``4.6348``, ``1/3``, ``−2``, an expression
    quantity_text     a probability or payoff as given on a node, ready to show
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
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..core.expressions import expression_text

__all__ = [
    "MINUS",
    "evaluation_html",
    "format_number",
    "frame_html",
    "latex",
    "mathml",
    "quantity_text",
]

#: The typographic minus sign used in displayed numbers and expressions.
MINUS = "\u2212"


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def _float_text(v: float, digits: int) -> str:
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else MINUS + "∞"
    if v == 0:
        return "0"
    a = abs(v)
    if float(v).is_integer() and a < 1e15:
        text = f"{int(v):,}" if a >= 1e6 else str(int(v))
    elif 1e-4 <= a < 1e6:
        text = f"{v:.{digits}g}"
        if "e" in text:  # .6g switches to exponents from 1e6 up
            text = f"{v:.{max(0, digits - len(str(int(a))))}f}".rstrip("0").rstrip(".")
    elif 1e6 <= a < 1e15:
        text = f"{round(v):,}"
    else:
        text = f"{v:.{max(1, digits - 3)}e}"
    return _minus(text)


def _rational_text(num: int, den: int, digits: int) -> str:
    if den == 1:
        return _minus(f"{num:,}" if abs(num) >= 1_000_000 else str(num))
    d = den
    for f in (2, 5):
        while d % f == 0:
            d //= f
    if d == 1:  # a terminating decimal: show it when it is short
        text = str(sympy.Rational(num, den).evalf(30)).rstrip("0")
        significant = len(text.replace("-", "").replace(".", "").lstrip("0"))
        if significant <= max(digits, 8):
            return _minus(text)
    text = f"{num}/{den}"
    if len(text) <= 10:
        return _minus(text)
    return "≈ " + _float_text(num / den, digits)


def format_number(value: Any, *, digits: int = 6, max_chars: int | None = None) -> str:
    """Return a value as short, readable text.

    Floats get ``digits`` significant digits; exact rationals are shown as a
    terminating decimal when short, else as a fraction (``1/3``), else
    approximately; expressions are printed and cut at ``max_chars``.  Minus
    signs are typographic (U+2212).

    Examples
    --------
    >>> format_number(4.634800000000001)
    '4.6348'
    >>> format_number(sympy.Rational(11587, 2500))
    '4.6348'
    >>> format_number(sympy.Rational(-1, 3))
    '−1/3'
    >>> format_number(1234567.891)
    '1,234,568'
    >>> format_number(sympy.Symbol("v") - sympy.Symbol("c"))
    'v − c'
    """
    if value is None:
        return ""
    if isinstance(value, np.ndarray) and value.shape in ((), (1,)):
        value = value.reshape(())[()]
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value), digits)
    if isinstance(value, (int, np.integer)):
        return _rational_text(int(value), 1, digits)
    if isinstance(value, Fraction):
        return _rational_text(value.numerator, value.denominator, digits)
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return _rational_text(int(value.p), int(value.q), digits)
        if value.is_number and value.is_real:
            return "≈ " + _float_text(float(value), digits)
        text = _minus(sympy.sstr(value, order="none"))
        text = text.replace("Max(", "max(").replace("Min(", "min(").replace("Abs(", "abs(")
        if max_chars is not None and len(text) > max_chars:
            text = text[: max_chars - 1].rstrip() + "…"
        return text
    if isinstance(value, numbers.Real):
        return _float_text(float(value), digits)
    return str(value)


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
        return _float_text(value, 12)
    if isinstance(value, sympy.Basic) and not value.is_number:
        return _minus(str(expression_text(value)))
    return format_number(value, digits=12)


def latex(value: Any) -> str:
    r"""Return LaTeX for a number or expression (``\frac{1}{3}``, ``\max(...)``).

    Examples
    --------
    >>> latex(sympy.Rational(1, 3))
    '\\frac{1}{3}'
    """
    if isinstance(value, (float, np.floating)):
        return format_number(value).replace(MINUS, "-").replace(",", "{,}")
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    return sympy.latex(sympy.sympify(value) if not isinstance(value, sympy.Basic) else value)


def mathml(value: Any, *, display: str = "inline") -> str:
    """Return presentation MathML for a number or expression, wrapped in ``<math>``.

    Browsers render MathML without any script, so a saved report can show
    symbolic values without fetching MathJax.  ``display`` is ``"inline"`` or
    ``"block"``.
    """
    from sympy.printing.mathml import mathml as _mathml

    if isinstance(value, (float, np.floating)):
        return f"<math><mn>{html.escape(format_number(value))}</mn></math>"
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    expr = value if isinstance(value, sympy.Basic) else sympy.sympify(value)
    body = _mathml(expr, printer="presentation")
    return f'<math display="{display}">{body}</math>'


def _cell(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (numbers.Number, sympy.Basic, Fraction, np.number)):
        return format_number(v, max_chars=120)
    return str(v)


_TABLE_CSS = (
    "border-collapse:collapse;font-variant-numeric:tabular-nums;"
    "font-family:'DejaVu Sans',Verdana,sans-serif;font-size:12px"
)


def frame_html(frame: Any, *, highlight: str | None = "optimal", index: bool = True) -> str:
    """Return a DataFrame as an HTML table with numbers formatted for reading.

    Rows whose ``highlight`` column is true are shown in bold.
    """
    cols = list(frame.columns)
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
            cells.append(f'<td style="{style}{align}">{html.escape(_cell(v))}</td>')
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
    name = html.escape(tree.name or "tree")
    kind = "certainty equivalent" if result.utility is not None else "expected value"
    parts = [
        f"<div class='evtree-evaluation'><p><b>{name}</b> — {kind} ({html.escape(result.method)} arithmetic)"
    ]
    if result.shape != ():
        parts.append(f" over {math.prod(result.shape)} points, shape {result.shape}</p></div>")
        return "".join(parts)
    if result.method == "symbolic":
        parts.append(f":</p><p>$$ {latex(result.value)} $$</p>")
        parts.append(f"<p>At the default parameters: {html.escape(format_number(result._base.value))}</p>")
    else:
        parts.append(f": <b>{html.escape(format_number(result.value))}</b></p>")
    if result.policy:
        items = []
        for k, v in result.policy.items():
            tie = f" (tied: {', '.join(result.ties[k])})" if k in result.ties else ""
            items.append(f"<li>{html.escape(str(k))}: <b>{html.escape(str(v))}</b>{html.escape(tie)}</li>")
        parts.append(f"<p>Optimal policy:</p><ul>{''.join(items)}</ul>")
    try:
        parts.append(frame_html(result.strategies))
    except EvtreeError as err:
        parts.append(f"<p>{html.escape(str(err))}</p>")
    if picture and sum(1 for _ in tree.nodes()) <= max_nodes:
        from .draw import tree_svg

        parts.append(tree_svg(tree, result, legend=False))
    parts.append("</div>")
    return "".join(parts)
