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
    saying what decided it (``decided_by``): the difference is a constant;
    bounds propagated up the tree; an exact certificate
    ``D = c0 + sum_k y_k g_k`` re-checked by expansion; or z3, which finds the
    negation (space and ``D < 0``) unsatisfiable in nonlinear real arithmetic
    (decision values as nested ``If``, denominators of known sign cleared).
    ``by_construction`` flags a proof that survives freeing every chance
    node's probabilities on the simplex (see :mod:`evtree.claims.construction`);

refuted
    with a counterexample point (exact rationals) where the claim fails,
    re-checked by evaluating the tree there in exact arithmetic;

undecided
    only on a solver time-out or non-algebraic terms, with the worst case found by global optimisation
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
