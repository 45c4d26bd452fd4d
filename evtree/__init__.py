"""evtree: decision trees and expected-value analysis, exact, symbolic and fast.

Build a tree in code or read it from a file, then evaluate it in float, exact or
symbolic arithmetic::

    >>> import evtree
    >>> tree = evtree.library.texaco_pennzoil()
    >>> evtree.evaluate(tree, method="exact").value
    11587/2500

The package is laid out as the pipeline (docs/DEVELOPERS.md), each stage importing only
the ones below it:

    evtree.core          expressions, model, compile, rollback, evaluate, utilities, errors
    evtree.formats       files: evtree's YAML/JSON (and other tools' formats)
    evtree.library       reference trees in code
    evtree.sensitivity   one-way, thresholds, two-way, tornado, spider, derivatives
    evtree.risk          risk profiles and stochastic dominance
    evtree.voi           value of perfect information and of control
    evtree.bayes         tests, Bayes revision, EVSI, flipping chance nodes
    evtree.claims        claims proved, refuted or undecided over the parameter space
    evtree.distributions distributions of parameters; evtree.psa: PSA, EVPPI, Dask
    evtree.presentation  drawings, rich display, widgets, report, text, plots
    evtree.cli           the ``evtree`` command

Model classes and ``evaluate``, ``read_tree``, ``write_tree`` are also at the top level.
The modules of evtree 0.1's flat layout (``evtree.model``, ``evtree.draw``,
``evtree.io``, ...) stay importable under their old names.
"""

from __future__ import annotations

import sys as _sys

from . import (  # noqa: F401  (the stages, as attributes)
    bayes,
    claims,
    core,
    distributions,
    formats,
    games,
    library,
    presentation,
    psa,
    risk,
    scenarios,
    sensitivity,
    voi,
)
from .core import _random, compile, errors, expressions, model, rollback, utility  # noqa: F401
from .core.components import Criterion, Payoffs, Player
from .core.errors import (
    EvaluationError,
    EvtreeError,
    ExpressionError,
    FileFormatError,
    ModelError,
    ProbabilityError,
    UnknownNameError,
    ValidationError,
)
from .core.evaluate import Evaluation, count_strategies, evaluate, evaluate_strategy, strategies
from .core.expressions import parse_expression, symbol
from .core.model import REST, Branch, Chance, Decision, DecisionTree, Node, Parameter, Terminal, Use, building
from .core.table import tree_from_table
from .formats import native as io  # noqa: F401
from .formats import read_tree, write_tree
from .presentation import display, draw, explore, plots, render, report  # noqa: F401

# evtree 0.1's flat module paths stay importable (``from evtree.draw import tree_svg``).
_FLAT_PATHS = {
    "_random": "core._random",
    "compile": "core.compile",
    "errors": "core.errors",
    "evaluate": "core.evaluate",
    "expressions": "core.expressions",
    "model": "core.model",
    "rollback": "core.rollback",
    "utility": "core.utility",
    "io": "formats.native",
    "display": "presentation.display",
    "draw": "presentation.draw",
    "explore": "presentation.explore",
    "render": "presentation.render",
    "report": "presentation.report",
    "plots": "presentation.plots",
    "plots.claims": "presentation.plots.claims",
    "plots.psa": "presentation.plots.psa",
    "plots.risk": "presentation.plots.risk",
    "plots.sensitivity": "presentation.plots.sensitivity",
    "plots.style": "presentation.plots.style",
}
for _old, _new in _FLAT_PATHS.items():
    __import__(f"{__name__}.{_new}")
    _sys.modules.setdefault(f"{__name__}.{_old}", _sys.modules[f"{__name__}.{_new}"])
del _old, _new

__all__ = [
    "REST",
    "Branch",
    "Chance",
    "Criterion",
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
    "Payoffs",
    "Player",
    "ProbabilityError",
    "Terminal",
    "Use",
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
    "games",
    "library",
    "parse_expression",
    "psa",
    "read_tree",
    "report",
    "risk",
    "sensitivity",
    "strategies",
    "symbol",
    "tree_from_table",
    "voi",
    "write_tree",
]

__version__ = "0.1.0"
