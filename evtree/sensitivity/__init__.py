"""Sensitivity analysis: sweeps, exact thresholds, two-way regions, tornado and spider.

    one_way            vary one parameter: the strategies' values and the optimal one
    thresholds         the exact points where the optimal policy changes
    two_way            a grid over two parameters: where each strategy is optimal, exact boundaries
    tornado            each parameter at its low and high bound, sorted by swing
    spider             each parameter moved by relative steps
    local_sensitivity  exact derivatives and elasticities at the base case
    strategy_functions the strategies' values as sympy expressions (small trees)

No analysis lists the strategies to find the optimum.  Thresholds roll the
tree back once, exactly, with every node's value a piecewise polynomial of the
varied parameter (``_piecewise``): sums at chance nodes, upper envelopes at
decisions, breakpoints isolated exactly as real roots.  Sweeps, grids, tornado
bars and spider lines are the float rollback, vectorised over all their points
at once; exact arithmetic is spent on the crossings and boundaries.  Where a
value is not a polynomial in the parameter, crossings are bracketed on a grid
and found with scipy's ``brentq``, and the result says so.

Probabilities that move together
--------------------------------
When the varied parameter is the probability of a chance branch, its siblings
must still sum to 1.  If the chance node has a ``rest`` branch, that branch
absorbs the change (this is the default, ``probability_mode="auto"``); if not,
the other branches are rescaled in proportion (``"proportional"``), unless the
node's probabilities already sum to 1 identically.  Either can be asked for.
Ranges that would push any probability outside [0, 1] are clipped to the
feasible interval, and the result reports the clipping.
"""

from __future__ import annotations

from ._bars import SpiderResult, TornadoResult, local_sensitivity, spider, strategy_functions, tornado
from ._common import MAX_STRATEGY_LINES, PROBABILITY_MODES, StrategyFunction, strategy_name
from ._one_way import OneWayResult, Threshold, ThresholdResult, one_way, thresholds
from ._two_way import TwoWayResult, two_way

__all__ = [
    "MAX_STRATEGY_LINES",
    "PROBABILITY_MODES",
    "OneWayResult",
    "SpiderResult",
    "StrategyFunction",
    "Threshold",
    "ThresholdResult",
    "TornadoResult",
    "TwoWayResult",
    "local_sensitivity",
    "one_way",
    "spider",
    "strategy_functions",
    "strategy_name",
    "thresholds",
    "tornado",
    "two_way",
]
