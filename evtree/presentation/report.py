"""One self-contained HTML page about a tree, to share.

    report_html    the page as text
    write_report   the page saved to a file, atomically

The page needs nothing but a browser: styles are inline, the tree is inline SVG,
plots are SVG images in ``data:`` addresses, symbolic values are MathML (which
browsers render without scripts).  It holds, in order:

- the model: name, description, source, parameters with their bounds;
- the answer: value (exact and float), optimal policy, ties;
- the tree drawing with values, the optimal strategy and pruned options;
- every strategy's value (exact);
- symbolic values: the root and every decision's options, in the parameters;
- sensitivity: the exact thresholds where the optimal strategy changes,
  a tornado diagram and one-way plots for the parameters with thresholds;
- the risk profile of the optimal strategy;
- the verdicts on the claims stated with the tree.

Sections whose analysis cannot run on a tree (say, a tree without parameters has
no thresholds) say so in a line instead.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core import model
from ..core.errors import EvtreeError
from .display import format_number, frame_html, mathml, probability_symbols, tree_unit

__all__ = ["report_html", "write_report"]

#: Symbolic values are shown for trees of at most this many nodes.
MAX_SYMBOLIC_NODES = 400
#: Longest symbolic expression (in characters of text) shown as MathML.
MAX_SYMBOLIC_CHARS = 1500
#: Strategy tables list at most this many rows.
MAX_TABLE_ROWS = 200

_CSS = """
body{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:14px;color:#1a1a1a;max-width:1180px;
margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;
margin-top:32px}h3{font-size:15px;margin-bottom:4px}
.sub{color:#555}.value{font-size:20px;font-weight:bold;color:#0b3d6b}
.figure{overflow-x:auto;border:1px solid #e4e4e4;padding:6px;background:#fff}
.note{color:#666;font-size:12px}.verdict-proven{color:#00734d;font-weight:bold}
.verdict-refuted{color:#b3261e;font-weight:bold}.verdict-undecided{color:#8a5a00;font-weight:bold}
table{margin:6px 0;border-collapse:collapse}th{text-align:left}
table.symbolic td,table.claims td,table.thresholds td{border-bottom:1px solid #e4e4e4;padding:4px 8px;
vertical-align:top}
td.math{overflow-x:auto;max-width:900px}math{font-size:15px}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plots img{max-width:100%;border:1px solid #eee}
dl.params dt{font-weight:bold}
footer{margin-top:40px;color:#777;font-size:12px;border-top:1px solid #ddd;padding-top:6px}
"""


def _esc(text: Any) -> str:
    return html.escape(str(text))


def figure_uri(fig: Any) -> str:
    """Return a matplotlib figure as an SVG ``data:`` address, and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(ax_or_fig: Any, alt: str) -> str:
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    if hasattr(fig, "get_figure") and fig.get_figure() is not None and not hasattr(fig, "savefig"):
        fig = fig.get_figure()
    return f'<img alt="{_esc(alt)}" src="{figure_uri(fig)}"/>'


def _section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>'


def _note(text: str) -> str:
    return f'<p class="note">{_esc(text)}</p>'


# -- sections ------------------------------------------------------------------------------------
def _header(tree: model.DecisionTree, title: str | None, source: str | None) -> str:
    name = title or tree.name or "Decision tree"
    parts = [f"<h1>{_esc(name)}</h1>"]
    if tree.description:
        parts.append(f'<p class="sub">{_esc(tree.description)}</p>')
    meta = dict(tree.metadata) if isinstance(tree.metadata, Mapping) else {}
    facts = []
    if source:
        facts.append(f"file <code>{_esc(source)}</code>")
    facts.append(f"objective: {'maximise' if tree.objective == 'max' else 'minimise'}")
    for k, v in meta.items():
        if isinstance(v, (str, int, float)):
            facts.append(f"{_esc(k)}: {_esc(v)}")
    n = sum(1 for _ in tree.nodes())
    facts.append(
        f"{n} nodes ({len(tree.decision_nodes)} decisions, {len(tree.chance_nodes)} chance, "
        f"{len(tree.terminals)} end points)"
    )
    parts.append(f'<p class="sub">{" · ".join(facts)}</p>')
    return "".join(parts)


def _parameters(tree: model.DecisionTree, values: Mapping[str, Any]) -> str:
    if not tree.parameters:
        return _note("The tree has no parameters.")
    import pandas as pd

    rows = []
    for p in tree.parameters.values():
        low, high = p.bounds
        rows.append(
            {
                "parameter": p.name,
                "value": values.get(p.name, p.exact),
                "default": p.exact,
                "low": low,
                "high": high,
                "description": p.description,
            }
        )
    frame = pd.DataFrame(rows).set_index("parameter")
    if not values:
        frame = frame.drop(columns="default")
    return frame_html(frame, highlight=None)


def _answer(result: Any, fresult: Any) -> str:
    kind = "Certainty equivalent" if result.utility is not None else "Expected value"
    exact = format_number(result.value, exact="both", unit=tree_unit(result.tree))
    parts = [f'<p>{kind}: <span class="value">{_esc(exact)}</span>']
    text = str(result.value)
    if text not in exact.replace("\u2212", "-"):
        parts.append(f' <span class="note">(exactly {_esc(text)})</span>')
    parts.append("</p>")
    if result.policy:
        items = []
        for k, v in result.policy.items():
            tie = f" (tied: {', '.join(result.ties[k])})" if k in result.ties else ""
            reach = fresult.reach_probability(k)
            where = "" if reach > 0 else " <span class='note'>(not reached)</span>"
            items.append(f"<li>{_esc(k)}: <b>{_esc(v)}</b>{_esc(tie)}{where}</li>")
        parts.append(f"<p>Optimal policy:</p><ul>{''.join(items)}</ul>")
    return "".join(parts)


def _strategies(result: Any) -> str:
    n = result.n_strategies
    if n > MAX_TABLE_ROWS:
        return _note(f"The tree has {n} strategies; the table lists at most {MAX_TABLE_ROWS}.")
    frame = result.strategies
    return frame_html(frame) + _note("Values in exact arithmetic; the optimal strategies are in bold.")


def _symbolic(tree: model.DecisionTree, values: Mapping[str, Any]) -> str:
    from ..core.evaluate import evaluate

    if not tree.parameters:
        return _note("The tree has no parameters: its values are the numbers above.")
    if sum(1 for _ in tree.nodes()) > MAX_SYMBOLIC_NODES:
        return _note(f"Not shown for trees of more than {MAX_SYMBOLIC_NODES} nodes.")
    result = evaluate(tree, method="symbolic")
    symbols = probability_symbols(tree)  # values collected by the branch probabilities
    rows = []

    def show(label: str, value: Any) -> None:
        text = str(value)
        shown = (
            _esc(f"expression of {len(text)} characters")
            if len(text) > MAX_SYMBOLIC_CHARS
            else mathml(value, symbols=symbols)
        )
        rows.append(f"<tr><td>{_esc(label)}</td><td class='math'>{shown}</td></tr>")

    show(f"the tree ({tree.root.key})", result.value)
    for key, options in result.option_values.items():
        for label, value in options.items():
            show(f"{key}: {label}", value)
    return (
        _note(
            "Values as functions of the parameters, gathered by the branch probabilities: max is the "
            "decision maker's choice, and a probability written 'rest' is one minus its siblings'."
        )
        + '<table class="evtree-table symbolic"><thead><tr><th>value of</th><th>expression</th></tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _claims(tree: model.DecisionTree, progress: bool) -> str:
    from ..claims import check_claims

    if not tree.claims:
        return _note("No claims are stated with this tree (add them under 'claims:' in the file).")
    report = check_claims(tree, progress=progress)
    rows = []
    for r in report:
        row = r._row()  # a claim about values or about equilibria: the same reading
        text = r.claim if hasattr(r.claim, "title") else r.text
        rows.append(
            "<tr>"
            f"<td>{_esc(row['claim'])}<br><span class='note'>{_esc(text)}</span></td>"
            f"<td class='verdict-{_esc(r.verdict)}'>{_esc(r.verdict)}</td>"
            f"<td>{_esc(r.method)}</td><td>{_esc(r.conditions())}</td><td>{_esc(row['detail'])}</td>"
            "</tr>"
        )
    th = "".join(f"<th>{h}</th>" for h in ("claim", "verdict", "method", "conditions", "detail"))
    return (
        '<table class="evtree-table claims" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


# -- the page ------------------------------------------------------------------------------------
def report_html(
    tree: model.DecisionTree,
    values: Mapping[str, Any] | None = None,
    *,
    title: str | None = None,
    source: str | None = None,
    max_depth: int | None = None,
    sensitivity: bool = True,
    claims: bool = True,
    progress: bool = False,
) -> str:
    """Return a self-contained HTML report on the tree.

    Parameters
    ----------
    tree : DecisionTree
    values : mapping, optional
        Parameter values to report at instead of the defaults.
    title : str, optional
        Page title; the tree's name by default.
    source : str, optional
        Where the tree came from (a file name), shown in the header.
    max_depth : int, optional
        Collapse the drawing below this depth.
    sensitivity, claims : bool, default True
        Include the sensitivity section and the claims' verdicts.
    progress : bool, default False
        Show progress bars for the slower analyses.

    Returns
    -------
    str
        A complete HTML document with no external references.
    """
    from ..core.evaluate import evaluate
    from .draw import tree_svg

    values = dict(values or {})
    original = tree
    if values:  # analyses run around the values given, as the new base case
        tree = tree.with_parameters(**values)
    if tree.players:
        sections = _game_sections(
            original, tree, values, max_depth=max_depth, claims=claims, progress=progress
        )
        return _page(tree, title, source, sections)
    result = evaluate(tree, method="exact")
    fresult = evaluate(tree)
    sections = [
        _section("Model", _parameters(original, values), "model"),
        _section("Answer", _answer(result, fresult), "answer"),
        _section(
            "Tree",
            f'<div class="figure">{tree_svg(tree, result, max_depth=max_depth)}</div>',
            "tree",
        ),
        _section("Strategies", _strategies(result), "strategies"),
        _section("Symbolic values", _guard(_symbolic, tree, values), "symbolic"),
    ]
    if sensitivity:
        sections.append(_section("Sensitivity", _guard(_sensitivity, tree, progress), "sensitivity"))
        sections.append(_section("Risk profile", _guard(_risk, tree, values), "risk"))
    if claims:
        sections.append(_section("Claims", _guard(_claims, tree, progress), "claims"))
    return _page(tree, title, source, sections)


def _game_sections(
    original: model.DecisionTree,
    tree: model.DecisionTree,
    values: Mapping[str, Any],
    *,
    max_depth: int | None,
    claims: bool,
    progress: bool,
) -> list[str]:
    """Return a game's page: its parameters, equilibria, drawing with one of them, and claims."""
    from ..games import solve
    from .draw import tree_svg

    try:
        solution = solve(tree)
        found = frame_html(solution.to_frame(), highlight=None) + _note(
            f"{len(solution)} equilibri{'um' if len(solution) == 1 else 'a'} by {solution.method}"
            + ("" if solution.complete else "; not necessarily all")
        )
    except EvtreeError as err:
        solution, found = None, _note(f"Not solved: {str(err).splitlines()[0]}")
    drawing = tree_svg(tree, max_depth=max_depth, equilibrium=solution if solution else None)
    sections = [
        _section("Model", _parameters(original, values), "model"),
        _section("Equilibria", found, "equilibria"),
        _section("Game tree", f'<div class="figure">{drawing}</div>', "tree"),
    ]
    if claims:
        sections.append(_section("Claims", _guard(_claims, tree, progress), "claims"))
    return sections


def _page(tree: model.DecisionTree, title: str | None, source: str | None, sections: list[str]) -> str:
    from .. import __version__

    name = title or tree.name or "Decision tree"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(name)} — evtree report</title><style>{_CSS}</style></head><body>"
        + _header(tree, title, source)
        + "".join(sections)
        + f"<footer>Made by evtree {__version__} on {stamp}.</footer></body></html>\n"
    )


def _guard(section: Any, *args: Any) -> str:
    """Run a section; an evtree error becomes a one-line note (the rest of the page stands)."""
    try:
        return section(*args)
    except EvtreeError as err:
        return _note(f"Not available: {str(err).splitlines()[0]}")


def write_report(
    tree: model.DecisionTree,
    path: str | os.PathLike[str],
    values: Mapping[str, Any] | None = None,
    **options: Any,
) -> int:
    """Write :func:`report_html` to ``path`` atomically; return the number of bytes written.

    Options are those of :func:`report_html`.
    """
    from ..core.atomic import atomic_write

    text = report_html(tree, values, **options)
    atomic_write(Path(path), text)
    return len(text.encode("utf-8"))


def _sensitivity(tree: model.DecisionTree, progress: bool) -> str:
    """Exact thresholds of every bounded parameter, a tornado, and one-way plots where the answer changes."""
    from ..sensitivity import one_way, thresholds, tornado
    from .plots.sensitivity import plot_one_way, plot_tornado
    from .plots.style import strategy_palette

    names = [n for n, p in tree.parameters.items() if None not in p.bounds]
    if not names:
        return _note("No parameter has both bounds: there is nothing to vary.")
    items: Any = names
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(names, desc="thresholds", unit="parameter")
    rows, changing = [], []
    for name in items:
        found = thresholds(tree, name)
        lo, hi = found.range
        span = f"[{format_number(lo)}, {format_number(hi)}]"
        if not found.thresholds:
            rows.append(
                f"<tr><td>{_esc(name)}</td><td>{_esc(span)}</td><td colspan='3' class='note'>"
                f"{_esc(found.strategy_at_low)} is optimal throughout</td></tr>"
            )
            continue
        changing.append(name)
        for t in found.thresholds:
            exact = mathml(t.exact) if t.exact is not None else ""
            value = f"{exact} ≈ {_esc(format_number(t.value))}" if exact else _esc(format_number(t.value))
            check = "" if t.verified else " <span class='verdict-refuted'>(not verified)</span>"
            rows.append(
                f"<tr><td>{_esc(name)}</td><td>{_esc(span)}</td><td>{value} "
                f"<span class='note'>({_esc(t.method)})</span>{check}</td>"
                f"<td>{_esc(t.below_strategy)}</td><td>{_esc(t.above_strategy)}</td></tr>"
            )
    head = "".join(
        f"<th>{h}</th>" for h in ("parameter", "range", "threshold", "optimal below", "optimal above")
    )
    table = (
        f'<table class="evtree-table thresholds"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    palette = strategy_palette(tree)  # one colour per strategy in every plot of the page
    plots = [_img(plot_tornado(tornado(tree, parameters=names)), "tornado diagram of the value")]
    for name in changing[:6]:
        plots.append(
            _img(plot_one_way(one_way(tree, name), palette=palette), f"one-way sensitivity to {name}")
        )
    if len(changing) >= 2:
        from ..sensitivity import two_way
        from .plots.sensitivity import plot_two_way

        pair = (changing[0], changing[1])
        plots.append(
            _img(
                plot_two_way(two_way(tree, pair, points=101), tree=tree, palette=palette),
                f"optimal strategy by {pair[0]} and {pair[1]}",
            )
        )
    return (
        "<h3>Thresholds</h3>"
        + _note(
            "Where the optimal strategy changes as one parameter moves over its range, the others at "
            "their base values; exact where a closed form exists, each checked by evaluating the tree on "
            "both sides."
        )
        + table
        + "<h3>Tornado and one-way plots</h3>"
        + f'<div class="plots">{"".join(plots)}</div>'
    )


def _risk(tree: model.DecisionTree, values: Mapping[str, Any]) -> str:
    """Risk profiles of the optimal strategy and of each other option at the root decision."""
    import pandas as pd

    from ..risk import risk_profile
    from .plots.risk import plot_risk_profiles

    profiles = [risk_profile(tree, method="exact", name="optimal")]
    root = tree.root
    if isinstance(root, model.Decision):
        chosen = profiles[0].policy.get(root.key)
        for child in root.children:
            if child.label != chosen:
                profiles.append(risk_profile(tree, {root.key: child.label}, method="exact", name=child.label))
    from .plots.style import strategy_palette

    ax = plot_risk_profiles(profiles, title="Cumulative risk profiles", palette=strategy_palette(tree))
    rows = []
    for prof in profiles:
        stats = prof.statistics()
        rows.append(
            {
                "strategy": prof.name,
                **{k: stats[k] for k in ("mean", "std", "min", "p5", "p50", "p95", "max")},
            }
        )
    frame = pd.DataFrame(rows).set_index("strategy")
    return (
        f'<div class="plots">{_img(ax, "cumulative risk profiles")}</div>'
        + frame_html(frame, highlight=None)
        + _note(
            "P(outcome <= x) under the optimal strategy and under each other choice at the first decision "
            "(later decisions made optimally); exact arithmetic."
        )
    )
