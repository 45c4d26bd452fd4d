"""Presentation: everything a person looks at; it takes records and never computes them.

Modules
-------
display   number formatting, HTML tables, LaTeX/MathML, the rich display of an evaluation
render    the tree as indented text (``str(tree)``, ``evtree show``)
draw      the tree as a textbook SVG drawing (``tree._repr_html_``, ``evtree render``)
explore   the ipywidgets explorer for notebooks
report    the self-contained HTML report (``evtree report``)
plots     matplotlib figures, one module per analysis, in one style

The core and the analyses never import this package. Importing it registers, through
:mod:`evtree.core.presenters`, how their records show themselves: the tree's drawing and
text, the evaluation's HTML, and every record's ``.plot()``.
"""

from __future__ import annotations

from typing import Any

from ..cea import CEAResult
from ..claims import Region
from ..core.evaluate import Evaluation
from ..core.model import DecisionTree
from ..core.presenters import register
from ..psa.cea import CEACurves, CostEffectPSA
from ..risk import RiskProfile
from ..sensitivity import OneWayResult, SpiderResult, TornadoResult, TwoWayResult
from . import display, draw, explore, plots, render, report

__all__ = ["display", "draw", "explore", "plots", "render", "report"]


register("html", DecisionTree)(draw.tree_svg)
register("text", DecisionTree)(render.render_text)
register("html", Evaluation)(display.evaluation_html)


@register("plot", OneWayResult)
def _plot_one_way(result: Any, **options: Any) -> Any:
    from .plots.sensitivity import plot_one_way

    return plot_one_way(result, **options)


@register("plot", TwoWayResult)
def _plot_two_way(result: Any, **options: Any) -> Any:
    from .plots.sensitivity import plot_two_way

    return plot_two_way(result, **options)


@register("plot", TornadoResult)
def _plot_tornado(result: Any, **options: Any) -> Any:
    from .plots.sensitivity import plot_tornado

    return plot_tornado(result, **options)


@register("plot", SpiderResult)
def _plot_spider(result: Any, **options: Any) -> Any:
    from .plots.sensitivity import plot_spider

    return plot_spider(result, **options)


@register("plot", RiskProfile)
def _plot_risk_profile(profile: Any, **options: Any) -> Any:
    from .plots.risk import plot_risk_profiles

    return plot_risk_profiles([profile], **options)


@register("plot", Region)
def _plot_region(region: Any, **options: Any) -> Any:
    from .plots.claims import plot_region

    return plot_region(region, **options)


@register("plot", CEAResult)
def _plot_cea(result: Any, **options: Any) -> Any:
    from .plots.cea import plot_ce_plane

    return plot_ce_plane(result, **options)


@register("plot", CostEffectPSA)
def _plot_ce_scatter(result: Any, **options: Any) -> Any:
    from .plots.cea import plot_ce_scatter

    return plot_ce_scatter(result, **options)


@register("plot", CEACurves)
def _plot_ceac(curves: Any, **options: Any) -> Any:
    from .plots.cea import plot_ceac

    return plot_ceac(curves, **options)
