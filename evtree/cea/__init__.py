"""Cost-effectiveness analysis: dominance, extended dominance, ICERs and willingness-to-pay thresholds.

cea        the analysis of a tree with cost and effect criteria: every strategy, then the frontier
net_benefit_tree, incremental_net_benefit   net monetary benefit as the objective / a target
icers      the frontier of given strategies (cost, effect): float, exact or symbolic
CEAResult  the result record: every strategy's status and reason, the frontier, the thresholds

See :mod:`evtree.cea.frontier` for the rules (those of dampack, with the reasons).
"""

from __future__ import annotations

from .frontier import (
    DOMINATED,
    EXTENDED_DOMINATED,
    FRONTIER,
    TOLERANCE,
    CEAResult,
    StrategyCE,
    WTPSwitch,
    icers,
)
from .tree import (
    cea,
    cost_effect_criteria,
    incremental_net_benefit,
    net_benefit_tree,
    strategy_costs_effects,
)

__all__ = [
    "DOMINATED",
    "EXTENDED_DOMINATED",
    "FRONTIER",
    "TOLERANCE",
    "CEAResult",
    "StrategyCE",
    "WTPSwitch",
    "cea",
    "cost_effect_criteria",
    "icers",
    "incremental_net_benefit",
    "net_benefit_tree",
    "strategy_costs_effects",
]
