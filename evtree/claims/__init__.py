"""Claims about a tree, proved, refuted or left undecided over the whole parameter space.

    Claim            a statement about values: dominance, optimality, a bound, any inequality
    ParameterSpace   the parameters' bounds, the probability simplex, and assumptions
    ClaimResult      a verdict with its method and a certificate, counterexample or evidence
    ClaimReport      the results of every claim stated with a tree
    Region           where a claim holds, exactly, in one or two parameters
    OptionValue      a tree's value against the same tree with decisions fixed, proved >= 0
    check            check one claim over the parameter space
    check_claims     check every claim stated with a tree (``tree.claims``)
    parameter_space  the space a claim is checked over
    holds_where      the exact region where a claim holds, in one or two parameters
    option_value     the value of keeping options open

A claim compares two value expressions, ``lhs >= rhs`` (or ``<=``, ``>``, ``<``).
It is checked on the *difference* ``D = lhs - rhs`` (``rhs - lhs`` for ``<=``),
computed symbolically by :func:`evtree.evaluate` (decision values are ``Max``),
over every parameter point allowed: each parameter within its bounds, each
chance node's probabilities in [0, 1] (they sum to 1 identically), and the
claim's assumptions.  The verdict is

proven
    with a certificate a reader can check, from one of these methods:

    * ``constant``: the difference simplifies to a number;
    * ``certificate``: an exact identity ``D = c0 + sum_k y_k g_k`` with
      rational ``y_k >= 0`` and ``c0 >= 0``, where each ``g_k`` is a constraint
      of the space (``g >= 0``), a product of two constraints, or a fact
      ``Max(a, b, ...) - a >= 0`` (Handelman-style, found by linear programming
      and then solved and verified in exact arithmetic);
    * ``vertices``: on a region where ``D`` has no ``Max`` and is affine in each
      block of coupled parameters (multilinear in independent ones), its
      minimum is at a vertex, and every vertex is checked exactly;
    * ``case split``: each ``Max`` is replaced by each of its arguments on the
      region where that argument is the largest, and each region is proven
      by one of the methods above;

refuted
    with a counterexample point (exact rationals) where the claim fails,
    re-checked by evaluating the tree there in exact arithmetic;

undecided
    with the worst case found by global optimisation
    (:func:`scipy.optimize.differential_evolution`) and where.  A proof is
    never reported from sampling alone.
"""

from .check import check, check_claims
from .option_value import OptionValue, option_value
from .regions import Region, holds_where
from .results import ClaimReport, ClaimResult
from .space import Constraint, ParameterSpace, parameter_space
from .spec import PROVEN, REFUTED, SENSES, UNDECIDED, Claim, ValueOf

__all__ = [
    "PROVEN",
    "REFUTED",
    "SENSES",
    "UNDECIDED",
    "Claim",
    "ClaimReport",
    "ClaimResult",
    "Constraint",
    "OptionValue",
    "ParameterSpace",
    "Region",
    "ValueOf",
    "check",
    "check_claims",
    "holds_where",
    "option_value",
    "parameter_space",
]
