"""evtree: decision trees and expected-value analysis, exact, symbolic and fast.

Build a tree in code or read it from a file, then evaluate it in float, exact or
symbolic arithmetic::

    >>> import evtree
    >>> tree = evtree.library.texaco_pennzoil()
    >>> evtree.evaluate(tree, method="exact").value
    11587/2500

Model classes live at the top level; analyses are functions in their own
modules (``evtree.sensitivity``, ``evtree.voi``, ``evtree.claims``, ``evtree.psa``).
"""

from __future__ import annotations

from . import library
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
    "building",
    "count_strategies",
    "evaluate",
    "evaluate_strategy",
    "library",
    "parse_expression",
    "read_tree",
    "strategies",
    "symbol",
    "write_tree",
]

__version__ = "0.1.0"
