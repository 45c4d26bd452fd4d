"""Probabilistic sensitivity analysis: every uncertain input drawn at once, at scale.

    psa             draw every distribution N times, value every strategy at every draw -> PSAResult
    acceptability   probability each strategy is optimal, and EVPI, against one parameter -> Acceptability
    evppi           expected value of partial perfect information, by regression metamodel
                    or by nested Monte Carlo -> EVPPIResult
    CompiledTree    a tree compiled once into a vectorised function of all its inputs
    PSAResult, Acceptability, EVPPIResult   frozen result records with ``to_frame()``

The inputs are the tree's distributions (see :mod:`evtree.distributions`): a
parameter's own ``distribution``, and Dirichlets over the branches of chance
nodes listed in ``tree.distributions`` (these override the branch probabilities
written on the node, numbers included).  Parameters without a distribution keep
their default values.

A *strategy* is a complete policy: a choice at every decision node it can reach,
fixed before the uncertainty is resolved.  By default every strategy of the tree
is analysed (at most :data:`MAX_STRATEGIES`); pass ``strategies=`` to choose.

Draws come in canonical blocks of :data:`BLOCK` draws.  Each block and each
input has its own random stream, keyed by the block's index and the input's name
(:mod:`evtree._random`), so the same ``seed`` gives the same numbers whatever the
evaluation chunk size, and whether the blocks run here or on a Dask cluster.

Modules
-------
compiled        strategies and :class:`CompiledTree`
backends        canonical blocks, jobs, local and Dask execution
simulation      :func:`psa` and :class:`PSAResult`
acceptability   :func:`acceptability` and :class:`Acceptability`
evppi           :func:`evppi` and :class:`EVPPIResult`
cea             :func:`cost_effect_psa` (two criteria), :class:`CostEffectPSA`, :class:`CEACurves`
"""

from __future__ import annotations

from .acceptability import Acceptability, acceptability
from .cea import CEACurves, CostEffectPSA, cost_effect_psa
from .compiled import BLOCK, CHUNK_MEMORY, MAX_STRATEGIES, CompiledTree
from .evppi import EVPPIResult, evppi
from .simulation import PSAResult, psa

__all__ = [
    "BLOCK",
    "CHUNK_MEMORY",
    "MAX_STRATEGIES",
    "Acceptability",
    "CEACurves",
    "CompiledTree",
    "CostEffectPSA",
    "EVPPIResult",
    "PSAResult",
    "acceptability",
    "cost_effect_psa",
    "evppi",
    "psa",
]
