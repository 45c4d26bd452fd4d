"""The core: the model, its expressions, and the one rollback in three arithmetics.

Everything else in evtree is built on these modules, and they import nothing above them.

Modules
-------
errors       exception classes; every message names the node path, field and file place
expressions  the whitelist parser (text -> sympy, never ``eval``); ``symbol(name)``
model        Node (anytree), Decision, Chance, Terminal, Branch, Parameter, DecisionTree, REST
compile      FlatTree: breadth-first arrays of a tree, structure checks, parameter points
rollback     THE rollback, level by level, over float (numpy), exact and symbolic arithmetic
evaluate     ``evaluate(tree, values, method=...)`` -> Evaluation, strategies, counts
utility      utility functions (linear, exponential, expression) with their inverses
presenters   hooks through which the presentation layer shows core and analysis records
atomic       atomic file writes, for every layer that writes a file
files        reading input files within bounds (regular files, size cap)
_random      the one seed normaliser of every sampling function
"""

from __future__ import annotations

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
    "parse_expression",
    "strategies",
    "symbol",
]
