"""evtree: decision trees and expected-value analysis, exact, symbolic and fast.

Build a tree in code or read it from a file, then evaluate it in float, exact or
symbolic arithmetic::

    >>> import evtree
    >>> tree = evtree.library.texaco_pennzoil()
    >>> evtree.evaluate(tree, method="exact").value
    11587/2500

Model classes live at the top level; analyses are functions of a tree in their own
modules, each returning a result record:

    evtree.sensitivity  one-way, thresholds, two-way, tornado, spider, derivatives
    evtree.risk         risk profiles and stochastic dominance
    evtree.voi          value of perfect information and of control
    evtree.bayes        tests, Bayes revision, EVSI, flipping chance nodes
    evtree.claims       claims proved, refuted or undecided over the parameter space
    evtree.psa          probabilistic sensitivity analysis, EVPPI (distributions: evtree.distributions)
    evtree.draw         SVG drawings; evtree.report: the HTML report; evtree.explore: widgets
"""

from __future__ import annotations

from . import bayes, claims, distributions, draw, library, psa, report, risk, sensitivity, voi
from .errors import (
    EvaluationError,
    EvtreeError,
    ExpressionError,
    FileFormatError,
    ModelError,
    ProbabilityError,
    UnknownNameError,
    ValidationError,
)
from .evaluate import Evaluation, count_strategies, evaluate, evaluate_strategy, strategies
from .expressions import parse_expression, symbol
from .io import read_tree, write_tree
from .model import REST, Branch, Chance, Decision, DecisionTree, Node, Parameter, Terminal, building

__all__ = [
    "REST",
    "Branch",
    "Chance",
    "Decision",
    "DecisionTree",
    "Evaluation",
    "EvaluationError",
    "EvtreeError",
    "ExpressionError",
    "FileFormatError",
    "ModelError",
    "Node",
    "Parameter",
    "ProbabilityError",
    "Terminal",
    "UnknownNameError",
    "ValidationError",
    "bayes",
    "building",
    "claims",
    "count_strategies",
    "distributions",
    "draw",
    "evaluate",
    "evaluate_strategy",
    "library",
    "parse_expression",
    "psa",
    "read_tree",
    "report",
    "risk",
    "sensitivity",
    "strategies",
    "symbol",
    "voi",
    "write_tree",
]

__version__ = "0.1.0"
