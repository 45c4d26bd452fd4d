"""Probability distributions of parameters, for probabilistic sensitivity analysis.

A parameter carries its distribution as a plain mapping (``Parameter.distribution``,
saved in tree files under ``parameters.NAME.distribution``); a tree carries joint
distributions, such as a Dirichlet over the branches of a chance node, in
``DecisionTree.distributions`` (saved under the top-level ``distributions:`` key).
The mappings are kept as given; this module checks them and turns them into
samplers.  The format is described in ``docs/psa.md``.

Spec builders (each checks its arguments and returns the mapping to store)::

    beta          alpha, beta                 or mean, sd
    gamma         shape, scale (or rate)      or mean, sd
    normal        mean, sd
    lognormal     mu, sigma (of the log)      or mean, sd (of the value)
    uniform       low, high                   or mean, sd
    triangular    low, mode, high
    pert          low, mode, high (shape lambda = 4)
    dirichlet     alpha                       or mean, concentration   (joint: node=...)
    empirical     samples (optional weights)

Everywhere ``sd`` may be replaced by ``variance``.

    Distribution           a checked distribution that samples (scipy.stats / numpy Generator)
    parse                  a spec mapping -> Distribution
    Source                 one sampled input of a tree: a parameter, or a Dirichlet over chance nodes
    tree_sources           every Source of a tree, checked against the tree
    with_distributions     a copy of a tree with distributions attached

Examples
--------
>>> spec = beta(mean=0.2, sd=0.05)
>>> spec
{'type': 'beta', 'mean': 0.2, 'sd': 0.05}
>>> d = parse(spec)
>>> round(d.natural["alpha"], 6), round(d.natural["beta"], 6)
(12.6, 50.4)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from .core import model
from .core.errors import ModelError, UnknownNameError

__all__ = [
    "KINDS",
    "Distribution",
    "Source",
    "beta",
    "dirichlet",
    "empirical",
    "gamma",
    "lognormal",
    "normal",
    "parse",
    "pert",
    "tree_sources",
    "triangular",
    "uniform",
    "with_distributions",
]

#: The distribution types, as written in ``type:``.
KINDS = ("beta", "gamma", "normal", "lognormal", "uniform", "triangular", "pert", "dirichlet", "empirical")

_ALIASES = {
    "log-normal": "lognormal",
    "log_normal": "lognormal",
    "gaussian": "normal",
    "triangle": "triangular",
    "betapert": "pert",
    "beta-pert": "pert",
    "beta_pert": "pert",
}

# Accepted keys of each type, besides "type".  Joint keys (node, nodes, name) are
# checked by tree_sources.
_KEYS = {
    "beta": {"alpha", "beta", "mean", "sd", "variance"},
    "gamma": {"shape", "scale", "rate", "mean", "sd", "variance"},
    "normal": {"mean", "sd", "variance"},
    "lognormal": {"mu", "sigma", "mean", "sd", "variance"},
    "uniform": {"low", "high", "mean", "sd", "variance"},
    "triangular": {"low", "mode", "high"},
    "pert": {"low", "mode", "high", "lambda"},
    "dirichlet": {"alpha", "mean", "concentration"},
    "empirical": {"samples", "weights"},
}
_JOINT_KEYS = {"node", "nodes", "name", "truncate"}


class _Fail:
    """Raise ModelError located at one distribution."""

    def __init__(self, field: str | None, node: str | None) -> None:
        self.field = field
        self.node = node

    def __call__(self, message: str) -> ModelError:
        return ModelError(message, field=self.field, node=self.node)


def _number(value: Any, key: str, fail: _Fail) -> float:
    from .core.expressions import exact_number

    if isinstance(value, bool):
        raise fail(f"{key!r} must be a number, got {value!r}")
    try:
        x = float(value) if isinstance(value, (int, float, np.number)) else float(exact_number(value))
    except (TypeError, ValueError, ModelError):
        raise fail(f"{key!r} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise fail(f"{key!r} must be finite, got {value!r}")
    return x


def _numbers(value: Any, key: str, fail: _Fail) -> list[float]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise fail(f"{key!r} must be a list of numbers, got {value!r}")
    return [_number(v, key, fail) for v in value]


def _spread(f: Mapping[str, Any], fail: _Fail, kind: str) -> float:
    """Return the standard deviation given as ``sd`` or ``variance``."""
    if "sd" in f and "variance" in f:
        raise fail(f"{kind}: give 'sd' or 'variance', not both")
    if "variance" in f:
        var = _number(f["variance"], "variance", fail)
        if var < 0:
            raise fail(f"{kind}: negative variance {var:g}")
        if var == 0:
            raise fail(f"{kind}: the variance must be positive, got 0")
        return math.sqrt(var)
    if "sd" not in f:
        raise fail(f"{kind}: 'mean' needs a spread, 'sd' or 'variance'")
    sd = _number(f["sd"], "sd", fail)
    if sd < 0:
        raise fail(f"{kind}: negative spread (sd {sd:g}); the variance sd^2 must come from sd > 0")
    if sd == 0:
        raise fail(f"{kind}: the spread must be positive, got sd 0")
    return sd


def _form(f: Mapping[str, Any], natural: set[str], moments: set[str], fail: _Fail, kind: str) -> str:
    """Say which form a spec uses: 'natural' or 'moments'; refuse mixtures."""
    has_nat = bool(natural & set(f))
    has_mom = bool(moments & set(f))
    nat = ", ".join(sorted(natural))
    if has_nat and has_mom:
        raise fail(f"{kind}: give either {nat}, or mean and sd, not a mixture")
    if not has_nat and not has_mom:
        raise fail(f"{kind}: give {nat}, or mean and sd")
    return "natural" if has_nat else "moments"


def _need(f: Mapping[str, Any], keys: Sequence[str], fail: _Fail, kind: str) -> None:
    missing = [k for k in keys if k not in f]
    if missing:
        raise fail(f"{kind}: missing {', '.join(repr(k) for k in missing)}")


def _natural(kind: str, f: Mapping[str, Any], fail: _Fail) -> dict[str, Any]:
    """Check a spec and return the distribution's natural parameters."""
    if kind == "beta":
        if _form(f, {"alpha", "beta"}, {"mean", "sd", "variance"}, fail, kind) == "natural":
            _need(f, ("alpha", "beta"), fail, kind)
            a, b = _number(f["alpha"], "alpha", fail), _number(f["beta"], "beta", fail)
        else:
            _need(f, ("mean",), fail, kind)
            m = _number(f["mean"], "mean", fail)
            if not 0 < m < 1:
                raise fail(f"beta: the mean {m:g} is outside (0, 1)")
            sd = _spread(f, fail, kind)
            limit = math.sqrt(m * (1 - m))
            if sd >= limit:
                raise fail(
                    f"beta: with mean {m:g} the sd must be below sqrt(mean*(1 - mean)) = {limit:.6g}, "
                    f"got {sd:g}"
                )
            k = m * (1 - m) / sd**2 - 1
            a, b = m * k, (1 - m) * k
        if a <= 0 or b <= 0:
            raise fail(f"beta: alpha and beta must be positive, got {a:g} and {b:g}")
        return {"alpha": a, "beta": b}
    if kind == "gamma":
        if _form(f, {"shape", "scale", "rate"}, {"mean", "sd", "variance"}, fail, kind) == "natural":
            _need(f, ("shape",), fail, kind)
            shape = _number(f["shape"], "shape", fail)
            if ("scale" in f) == ("rate" in f):
                raise fail("gamma: give 'scale' or 'rate' (one of them) with 'shape'")
            scale = _number(f["scale"], "scale", fail) if "scale" in f else None
            if scale is None:
                rate = _number(f["rate"], "rate", fail)
                if rate <= 0:
                    raise fail(f"gamma: the rate must be positive, got {rate:g}")
                scale = 1 / rate
        else:
            _need(f, ("mean",), fail, kind)
            m = _number(f["mean"], "mean", fail)
            if m <= 0:
                raise fail(f"gamma: the mean must be positive, got {m:g}")
            sd = _spread(f, fail, kind)
            shape, scale = (m / sd) ** 2, sd**2 / m
        if shape <= 0 or scale <= 0:
            raise fail(f"gamma: shape and scale must be positive, got {shape:g} and {scale:g}")
        return {"shape": shape, "scale": scale}
    if kind == "normal":
        _need(f, ("mean",), fail, kind)
        return {"mean": _number(f["mean"], "mean", fail), "sd": _spread(f, fail, kind)}
    if kind == "lognormal":
        if _form(f, {"mu", "sigma"}, {"mean", "sd", "variance"}, fail, kind) == "natural":
            _need(f, ("mu", "sigma"), fail, kind)
            mu, sigma = _number(f["mu"], "mu", fail), _number(f["sigma"], "sigma", fail)
            if sigma <= 0:
                raise fail(f"lognormal: sigma must be positive, got {sigma:g}")
        else:
            _need(f, ("mean",), fail, kind)
            m = _number(f["mean"], "mean", fail)
            if m <= 0:
                raise fail(f"lognormal: the mean must be positive, got {m:g}")
            sd = _spread(f, fail, kind)
            s2 = math.log1p((sd / m) ** 2)
            mu, sigma = math.log(m) - s2 / 2, math.sqrt(s2)
        return {"mu": mu, "sigma": sigma}
    if kind == "uniform":
        if _form(f, {"low", "high"}, {"mean", "sd", "variance"}, fail, kind) == "natural":
            _need(f, ("low", "high"), fail, kind)
            low, high = _number(f["low"], "low", fail), _number(f["high"], "high", fail)
        else:
            _need(f, ("mean",), fail, kind)
            m, sd = _number(f["mean"], "mean", fail), _spread(f, fail, kind)
            low, high = m - sd * math.sqrt(3), m + sd * math.sqrt(3)
        if not low < high:
            raise fail(f"uniform: low {low:g} must be below high {high:g}")
        return {"low": low, "high": high}
    if kind in ("triangular", "pert"):
        _need(f, ("low", "mode", "high"), fail, kind)
        low, mode, high = (_number(f[k], k, fail) for k in ("low", "mode", "high"))
        if not low < high:
            raise fail(f"{kind}: low {low:g} must be below high {high:g}")
        if not low <= mode <= high:
            raise fail(f"{kind}: the mode {mode:g} is outside [low, high] = [{low:g}, {high:g}]")
        out = {"low": low, "mode": mode, "high": high}
        if kind == "pert":
            lam = _number(f.get("lambda", 4), "lambda", fail)
            if lam <= 0:
                raise fail(f"pert: lambda must be positive, got {lam:g}")
            out["lambda"] = lam
        return out
    if kind == "dirichlet":
        if "alpha" in f and ("mean" in f or "concentration" in f):
            raise fail("dirichlet: give either alpha, or mean and concentration, not a mixture")
        if "alpha" in f:
            if isinstance(f["alpha"], Mapping):
                labels = [str(k) for k in f["alpha"]]
                alpha = _numbers(list(f["alpha"].values()), "alpha", fail)
            else:
                labels, alpha = None, _numbers(f["alpha"], "alpha", fail)
        else:
            _need(f, ("mean", "concentration"), fail, kind)
            if isinstance(f["mean"], Mapping):
                labels = [str(k) for k in f["mean"]]
                mean = _numbers(list(f["mean"].values()), "mean", fail)
            else:
                labels, mean = None, _numbers(f["mean"], "mean", fail)
            c = _number(f["concentration"], "concentration", fail)
            if c <= 0:
                raise fail(f"dirichlet: the concentration must be positive, got {c:g}")
            if any(not 0 < m < 1 for m in mean):
                raise fail(f"dirichlet: every mean must lie in (0, 1), got {mean}")
            if abs(sum(mean) - 1) > 1e-9:
                raise fail(f"dirichlet: the means sum to {sum(mean):.12g}, not 1")
            alpha = [m * c for m in mean]
        if len(alpha) < 2:
            raise fail(f"dirichlet: needs at least 2 components, got {len(alpha)}")
        if any(a <= 0 for a in alpha):
            raise fail(f"dirichlet: every alpha must be positive, got {alpha}")
        return {"alpha": tuple(alpha), "labels": None if labels is None else tuple(labels)}
    if kind == "empirical":
        _need(f, ("samples",), fail, kind)
        samples = _numbers(f["samples"], "samples", fail)
        if not samples:
            raise fail("empirical: 'samples' is empty")
        weights = None
        if f.get("weights") is not None:
            weights = _numbers(f["weights"], "weights", fail)
            if len(weights) != len(samples):
                raise fail(f"empirical: {len(weights)} weights for {len(samples)} samples")
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise fail("empirical: weights must be non-negative with a positive sum")
        return {"samples": tuple(samples), "weights": None if weights is None else tuple(weights)}
    raise AssertionError(kind)  # pragma: no cover


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the nearest of ``choices``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _kind(spec: Mapping[str, Any], fail: _Fail) -> str:
    if not isinstance(spec, Mapping):
        raise fail(f"a distribution must be a mapping with a 'type', got {spec!r}")
    if "type" not in spec:
        raise fail(f"a distribution needs a 'type' (one of {', '.join(KINDS)})")
    raw = str(spec["type"]).strip().lower()
    kind = _ALIASES.get(raw, raw)
    if kind not in KINDS:
        raise fail(
            f"unknown distribution type {spec['type']!r}{_did_you_mean(raw, KINDS)} "
            f"(known: {', '.join(KINDS)})"
        )
    return kind


@dataclasses.dataclass(frozen=True, eq=False)
class Distribution:
    """A checked distribution that samples with scipy.stats or numpy.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    natural : dict
        The natural parameters (alpha and beta of a beta, shape and scale of a gamma, ...).
    spec : dict
        The mapping it was made from.
    """

    kind: str
    natural: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def dim(self) -> int:
        """Number of components of one draw: K for a Dirichlet, else 1."""
        return len(self.natural["alpha"]) if self.kind == "dirichlet" else 1

    @cached_property
    def scipy(self) -> Any:
        """The frozen :mod:`scipy.stats` distribution (``None`` for empirical samples)."""
        from scipy import stats

        n = self.natural
        k = self.kind
        if k == "beta":
            return stats.beta(n["alpha"], n["beta"])
        if k == "gamma":
            return stats.gamma(n["shape"], scale=n["scale"])
        if k == "normal":
            return stats.norm(n["mean"], n["sd"])
        if k == "lognormal":
            return stats.lognorm(n["sigma"], scale=math.exp(n["mu"]))
        if k == "uniform":
            return stats.uniform(n["low"], n["high"] - n["low"])
        if k == "triangular":
            width = n["high"] - n["low"]
            return stats.triang((n["mode"] - n["low"]) / width, loc=n["low"], scale=width)
        if k == "pert":
            width = n["high"] - n["low"]
            lam = n["lambda"]
            a = 1 + lam * (n["mode"] - n["low"]) / width
            b = 1 + lam * (n["high"] - n["mode"]) / width
            return stats.beta(a, b, loc=n["low"], scale=width)
        if k == "dirichlet":
            return stats.dirichlet(np.asarray(n["alpha"]))
        return None

    @cached_property
    def mean(self) -> Any:
        """The mean (a vector for a Dirichlet)."""
        if self.kind == "empirical":
            return float(np.average(self.natural["samples"], weights=self.natural["weights"]))
        m = self.scipy.mean()
        return np.asarray(m) if self.kind == "dirichlet" else float(m)

    @cached_property
    def sd(self) -> Any:
        """The standard deviation (a vector for a Dirichlet)."""
        if self.kind == "empirical":
            x = np.asarray(self.natural["samples"])
            w = self.natural["weights"]
            return float(np.sqrt(np.average((x - self.mean) ** 2, weights=w)))
        if self.kind == "dirichlet":
            return np.sqrt(self.scipy.var())
        return float(self.scipy.std())

    def sample(self, generator: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values: shape ``(n,)``, or ``(n, K)`` for a Dirichlet.

        Examples
        --------
        >>> d = parse({"type": "uniform", "low": 2, "high": 3})
        >>> x = d.sample(np.random.default_rng(0), 1000)
        >>> x.shape, bool(((2 <= x) & (x <= 3)).all())
        ((1000,), True)
        """
        if self.kind == "empirical":
            w = self.natural["weights"]
            p = None if w is None else np.asarray(w) / sum(w)
            return generator.choice(np.asarray(self.natural["samples"], dtype=float), size=n, p=p)
        if self.kind == "dirichlet":
            return generator.dirichlet(np.asarray(self.natural["alpha"]), size=n)
        return np.asarray(self.scipy.rvs(size=n, random_state=generator), dtype=float)

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v!r}"
            for k, v in self.natural.items()
            if v is not None and k != "samples"
        )
        if self.kind == "empirical":
            args = f"{len(self.natural['samples'])} samples"
        return f"Distribution({self.kind}: {args})"


def parse(spec: Mapping[str, Any], *, field: str | None = None, node: str | None = None) -> Distribution:
    """Check a distribution spec and return the :class:`Distribution`.

    Parameters
    ----------
    spec : mapping
        ``{"type": ..., ...}`` as documented in ``docs/psa.md``.
    field, node : str, optional
        Where the spec sits, for error messages (e.g. ``parameters.p.distribution``).

    Raises
    ------
    ModelError
        Unknown type or key, a missing or non-numeric field, a negative
        variance, a beta mean outside (0, 1), an impossible beta spread, bounds
        in the wrong order, or a non-positive Dirichlet alpha.

    Examples
    --------
    >>> parse({"type": "gamma", "mean": 4, "sd": 2}).natural
    {'shape': 4.0, 'scale': 1.0}
    >>> parse({"type": "beta", "mean": 1.5, "sd": 0.1}, field="parameters.p.distribution")
    Traceback (most recent call last):
    ...
    evtree.core.errors.ModelError: field 'parameters.p.distribution': beta: the mean 1.5 is outside (0, 1)
    """
    fail = _Fail(field, node)
    kind = _kind(spec, fail)
    fields = {k: v for k, v in spec.items() if k != "type" and k not in _JOINT_KEYS}
    unknown = set(fields) - _KEYS[kind]
    if unknown:
        key = sorted(map(str, unknown))[0]
        allowed = sorted(_KEYS[kind])
        raise fail(
            f"{kind}: unknown key {key!r}{_did_you_mean(key, [*allowed, *_JOINT_KEYS])} "
            f"(allowed: {', '.join(allowed)})"
        )
    return Distribution(kind, _natural(kind, fields, fail), dict(spec))


# -- spec builders -------------------------------------------------------------------------


def _build(kind: str, **fields: Any) -> dict[str, Any]:
    spec = {"type": kind, **{k: v for k, v in fields.items() if v is not None}}
    for k, v in list(spec.items()):
        if isinstance(v, tuple):
            spec[k] = list(v)
    parse(spec)
    return spec


def beta(
    alpha: float | None = None,
    beta: float | None = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    variance: float | None = None,
) -> dict[str, Any]:
    """Spec of a beta distribution, by ``alpha, beta`` or by ``mean`` and ``sd``.

    Examples
    --------
    >>> beta(2, 8)
    {'type': 'beta', 'alpha': 2, 'beta': 8}
    """
    return _build("beta", alpha=alpha, beta=beta, mean=mean, sd=sd, variance=variance)


def gamma(
    shape: float | None = None,
    scale: float | None = None,
    *,
    rate: float | None = None,
    mean: float | None = None,
    sd: float | None = None,
    variance: float | None = None,
) -> dict[str, Any]:
    """Spec of a gamma distribution, by ``shape`` and ``scale`` (or ``rate``), or ``mean`` and ``sd``."""
    return _build("gamma", shape=shape, scale=scale, rate=rate, mean=mean, sd=sd, variance=variance)


def normal(mean: float, sd: float | None = None, *, variance: float | None = None) -> dict[str, Any]:
    """Spec of a normal distribution.

    Examples
    --------
    >>> normal(100, 30)
    {'type': 'normal', 'mean': 100, 'sd': 30}
    """
    return _build("normal", mean=mean, sd=sd, variance=variance)


def lognormal(
    mu: float | None = None,
    sigma: float | None = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    variance: float | None = None,
) -> dict[str, Any]:
    """Spec of a log-normal: ``mu, sigma`` of the log, or ``mean, sd`` of the value itself."""
    return _build("lognormal", mu=mu, sigma=sigma, mean=mean, sd=sd, variance=variance)


def uniform(
    low: float | None = None,
    high: float | None = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    variance: float | None = None,
) -> dict[str, Any]:
    """Spec of a uniform distribution on ``[low, high]`` (or of that mean and sd)."""
    return _build("uniform", low=low, high=high, mean=mean, sd=sd, variance=variance)


def triangular(low: float, mode: float, high: float) -> dict[str, Any]:
    """Spec of a triangular distribution."""
    return _build("triangular", low=low, mode=mode, high=high)


def pert(low: float, mode: float, high: float, *, lam: float | None = None) -> dict[str, Any]:
    """Spec of a PERT distribution: a beta on ``[low, high]`` with mean ``(low + lam*mode + high)/(lam + 2)``.

    ``lam`` (written ``lambda`` in files) is 4 by default.

    Examples
    --------
    >>> parse(pert(0, 10, 50)).mean
    15.0
    """
    return _build("pert", low=low, mode=mode, high=high, **({"lambda": lam} if lam is not None else {}))


def dirichlet(
    alpha: Sequence[float] | Mapping[str, float] | None = None,
    *,
    mean: Sequence[float] | Mapping[str, float] | None = None,
    concentration: float | None = None,
    node: str | None = None,
    nodes: Sequence[str] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Spec of a Dirichlet over the branches of a chance node (for ``DecisionTree.distributions``).

    Give ``alpha`` in branch order (or as a mapping from branch label), or the
    mean branch probabilities and a ``concentration`` (alpha = mean *
    concentration; the sum of the alphas acts as a sample size).  ``nodes``
    lists several chance nodes that share one draw (same number of branches).

    Examples
    --------
    >>> dirichlet([17, 50, 33], node="texaco")
    {'type': 'dirichlet', 'alpha': [17, 50, 33], 'node': 'texaco'}
    """
    alpha = dict(alpha) if isinstance(alpha, Mapping) else (list(alpha) if alpha is not None else None)
    mean = dict(mean) if isinstance(mean, Mapping) else (list(mean) if mean is not None else None)
    return _build(
        "dirichlet",
        alpha=alpha,
        mean=mean,
        concentration=concentration,
        node=node,
        nodes=list(nodes) if nodes is not None else None,
        name=name,
    )


def empirical(samples: Sequence[float], *, weights: Sequence[float] | None = None) -> dict[str, Any]:
    """Spec of an empirical distribution: draws resample ``samples`` (with ``weights``)."""
    return _build("empirical", samples=list(samples), weights=list(weights) if weights is not None else None)


# -- a tree's sampled inputs ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Source:
    """One sampled input of a tree.

    Attributes
    ----------
    name : str
        The parameter's name, or the joint distribution's name (by default its
        first node's name); EVPPI groups refer to it.
    distribution : Distribution
    parameter : str or None
        The parameter it draws, for a parameter distribution.
    nodes : tuple of Node
        The chance nodes whose branch probabilities it draws, for a Dirichlet.
    columns : tuple of str
        Names of the columns of its draws: the parameter name, or
        ``name[label]`` for each component of a Dirichlet.
    orders : tuple of tuple of int
        For each node, the column that gives each of its branches (in branch order).
    """

    name: str
    distribution: Distribution
    parameter: str | None = None
    nodes: tuple[model.Node, ...] = ()
    columns: tuple[str, ...] = ()
    orders: tuple[tuple[int, ...], ...] = ()
    #: ``(low, high)`` when draws are truncated at the parameter's bounds (``truncate: true``).
    bounds: tuple[float, float] | None = None
    #: The correlation group the parameter is drawn in (``type: correlation``), if any.
    correlation: Correlation | None = None

    def sample(self, generator: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values independently of the other sources (truncated at ``bounds`` if set)."""
        if self.bounds is None:
            return self.distribution.sample(generator, n)
        return self.from_uniform(generator.random(n))

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms in (0, 1) to draws by the inverse CDF (within ``bounds`` when truncated)."""
        d = self.distribution
        if d.kind in ("empirical", "dirichlet"):
            raise ModelError(
                f"{d.kind} draws cannot be truncated or correlated",
                field=f"parameters.{self.name}.distribution",
            )
        if self.bounds is not None:
            lo, hi = (float(d.scipy.cdf(b)) for b in self.bounds)
            if hi - lo <= 0:
                raise ModelError(
                    f"the distribution puts no probability within the bounds {list(self.bounds)}",
                    field=f"parameters.{self.name}.distribution",
                )
            u = lo + u * (hi - lo)
        x = np.asarray(d.scipy.ppf(u), dtype=float)
        if self.bounds is not None:
            x = np.clip(x, *self.bounds)
        return x


@dataclasses.dataclass(frozen=True, eq=False)
class Correlation:
    """Parameters drawn jointly through a Gaussian copula.

    Attributes
    ----------
    parameters : tuple of str
        The parameters, in the order of the matrix.
    matrix : ndarray
        The correlation asked for: Spearman rank correlations (``method="rank"``)
        or Pearson correlations of normally distributed parameters (``"normal"``,
        a joint normal).
    method : {"rank", "normal"}
    gaussian : ndarray
        The correlation of the underlying standard normals (for ``rank``,
        ``2 sin(pi r / 6)`` of each rank correlation ``r``, which gives exactly
        that rank correlation).
    """

    parameters: tuple[str, ...]
    matrix: np.ndarray
    method: str
    gaussian: np.ndarray

    @property
    def key(self) -> str:
        return "correlation:" + ",".join(self.parameters)

    def draw(self, generator: np.random.Generator, n: int) -> np.ndarray:
        """Return correlated uniforms, shape ``(n, len(parameters))``."""
        from scipy.special import ndtr

        chol = np.linalg.cholesky(self.gaussian)
        z = generator.standard_normal((n, len(self.parameters))) @ chol.T
        return np.clip(ndtr(z), 1e-300, 1 - 1e-16)


def correlation(
    parameters: Sequence[str], matrix: Sequence[Sequence[float]] | float, *, method: str = "rank"
) -> dict[str, Any]:
    """Spec of correlated draws of parameters (for ``DecisionTree.distributions``).

    ``method="rank"``: a Gaussian copula with these Spearman rank correlations,
    any marginal distributions.  ``method="normal"``: a joint normal, every
    parameter normally distributed, with these (Pearson) correlations.  For two
    parameters ``matrix`` may be the one correlation.

    Examples
    --------
    >>> correlation(["a", "b"], 0.5)
    {'type': 'correlation', 'parameters': ['a', 'b'], 'matrix': [[1.0, 0.5], [0.5, 1.0]], 'method': 'rank'}
    """
    names = list(parameters)
    if np.ndim(matrix) == 0:
        if len(names) != 2:
            raise ModelError("give a matrix for more than two parameters", field="distributions")
        r = float(matrix)  # type: ignore[arg-type]
        matrix = [[1.0, r], [r, 1.0]]
    return {
        "type": "correlation",
        "parameters": names,
        "matrix": [[float(x) for x in row] for row in matrix],
        "method": method,
    }


def _correlations(tree: model.DecisionTree, sources: list[Source]) -> list[Source]:
    """Attach the tree's correlation specs to the parameter sources they name."""
    by_name = {s.name: s for s in sources if s.parameter is not None}
    out = list(sources)
    taken: dict[str, int] = {}
    for i, spec in enumerate(tree.distributions):
        if not (isinstance(spec, Mapping) and spec.get("type") == "correlation"):
            continue
        field = f"distributions[{i}]"
        unknown = set(spec) - {"type", "parameters", "matrix", "method"}
        if unknown:
            raise ModelError(f"correlation: unknown key {sorted(unknown)[0]!r}", field=field)
        names = spec.get("parameters")
        if not isinstance(names, Sequence) or isinstance(names, str) or len(names) < 2:
            raise ModelError("correlation: 'parameters' must list two or more parameters", field=field)
        names = tuple(str(n) for n in names)
        for n in names:
            if n not in by_name:
                raise ModelError(
                    f"correlation: parameter {n!r} has no distribution to correlate", field=field
                )
            if n in taken:
                raise ModelError(f"correlation: {n!r} is already in distributions[{taken[n]}]", field=field)
            taken[n] = i
        method = spec.get("method", "rank")
        if method not in ("rank", "normal"):
            raise ModelError(f"correlation: method must be 'rank' or 'normal', got {method!r}", field=field)
        try:
            m = np.asarray(spec.get("matrix"), dtype=float)
        except (TypeError, ValueError):
            raise ModelError("correlation: 'matrix' must be a matrix of numbers", field=field) from None
        k = len(names)
        if (
            m.shape != (k, k)
            or not np.allclose(m, m.T)
            or not np.allclose(np.diag(m), 1)
            or (abs(m) > 1).any()
        ):
            raise ModelError(
                f"correlation: 'matrix' must be a symmetric {k}x{k} matrix with ones on the diagonal "
                "and entries in [-1, 1]",
                field=field,
            )
        if method == "normal":
            bad = [n for n in names if by_name[n].distribution.kind != "normal"]
            if bad:
                raise ModelError(
                    f"correlation: a joint normal needs normal distributions; {bad[0]!r} is "
                    f"{by_name[bad[0]].distribution.kind} (use method 'rank' for other distributions)",
                    field=field,
                )
            gaussian = m
        else:
            gaussian = 2 * np.sin(np.pi * m / 6)
            np.fill_diagonal(gaussian, 1.0)
        try:
            np.linalg.cholesky(gaussian)
        except np.linalg.LinAlgError:
            raise ModelError("correlation: the matrix is not positive definite", field=field) from None
        group = Correlation(names, m, method, gaussian)
        for j, s in enumerate(out):
            if s.name in names:
                out[j] = dataclasses.replace(s, correlation=group)
    return out


def tree_sources(tree: model.DecisionTree) -> list[Source]:
    """Check a tree's distributions and return its sampled inputs, in a fixed order.

    Parameters come first (in the tree's order), then the joint distributions
    (in list order).

    Raises
    ------
    ModelError
        A bad spec (see :func:`parse`), a joint distribution that is not a
        Dirichlet, a node that is not a chance node, a Dirichlet whose number of
        components (or labels) does not match the node's branches, a node given
        two joint distributions, or a name used twice.
    UnknownNameError
        A node that the tree does not have.

    Examples
    --------
    >>> from evtree.library import texaco_pennzoil
    >>> tree = texaco_pennzoil()
    >>> tree.distributions.append(dirichlet([17, 50, 33], node="texaco"))
    >>> [s.columns for s in tree_sources(tree)]
    [('texaco[accepts 5]', 'texaco[refuses]', 'texaco[counteroffers 3]')]
    """
    sources: list[Source] = []
    for p in tree.parameters.values():
        if p.distribution is None:
            continue
        d = parse(p.distribution, field=f"parameters.{p.name}.distribution")
        if d.kind == "dirichlet":
            raise ModelError(
                "a Dirichlet is a joint distribution over a chance node's branches; "
                "list it under 'distributions' with node: NAME",
                field=f"parameters.{p.name}.distribution",
            )
        bounds = None
        if p.distribution.get("truncate"):
            low, high = p.bounds
            if low is None and high is None:
                raise ModelError(
                    "truncate: the parameter has no bounds to truncate at",
                    field=f"parameters.{p.name}.distribution",
                )
            bounds = (-np.inf if low is None else float(low), np.inf if high is None else float(high))
        sources.append(Source(p.name, d, parameter=p.name, columns=(p.name,), bounds=bounds))
    covered: dict[int, int] = {}
    names = {s.name for s in sources}
    for i, spec in enumerate(tree.distributions):
        field = f"distributions[{i}]"
        fail = _Fail(field, None)
        if isinstance(spec, Mapping) and spec.get("type") == "correlation":
            continue  # attached to the parameters' sources below
        kind = _kind(spec, fail)
        if kind != "dirichlet":
            raise fail(
                f"joint distributions must be Dirichlets over chance nodes, got {kind!r}; "
                "give a parameter's own distribution under parameters.NAME.distribution"
            )
        if ("node" in spec) == ("nodes" in spec):
            raise fail("a Dirichlet needs 'node' (a chance node's name or path) or 'nodes' (a list)")
        keys = [spec["node"]] if "node" in spec else spec["nodes"]
        if isinstance(keys, str) or not isinstance(keys, Sequence) or not keys:
            raise fail("'nodes' must be a non-empty list of chance node names or paths")
        nodes = []
        declared = tree.events
        expanded: list[Any] = []
        events_named: list[str] = []
        for key in keys:  # a shared event (event: NAME on chance nodes) is drawn once for all its copies
            text = str(key)
            event = text[len("event:") :].strip() if text.startswith("event:") else None
            if event is None:
                try:
                    node = tree.node(text)
                except UnknownNameError as err:
                    if text not in declared:
                        raise UnknownNameError(err.message, field=field) from None
                    event = text
                else:
                    event = getattr(node, "_event", None)
                    if event is None:
                        expanded.append(text)
                        continue
            if event not in declared:
                raise UnknownNameError(f"no chance node declares event {event!r}", field=field)
            copies = declared[event]
            given = [c.probability for c in copies[0].children]
            for copy in copies[1:]:
                theirs = {c.label: c.probability for c in copy.children}
                if any(str(theirs[c.label]) != str(g) for c, g in zip(copies[0].children, given)):
                    raise ModelError(
                        f"the copies of event {event!r} have different probabilities here and at "
                        f"{copies[0].path} (posteriors?); a Dirichlet draws one distribution for every "
                        "copy, so write the copies' probabilities as formulas of drawn parameters instead",
                        node=copy.path,
                        field=field,
                    )
            expanded.extend(copies)
            events_named.append(event)
        for key in expanded:
            try:
                node = key if isinstance(key, model.Node) else tree.node(str(key))
            except UnknownNameError as err:
                raise UnknownNameError(err.message, field=field) from None
            if not isinstance(node, model.Chance):
                raise ModelError(
                    f"a Dirichlet needs a chance node, but this is a {node.kind} node",
                    node=node.path,
                    field=field,
                )
            if id(node) in covered:
                raise ModelError(
                    f"the node already has a Dirichlet (distributions[{covered[id(node)]}])",
                    node=node.path,
                    field=field,
                )
            covered[id(node)] = i
            nodes.append(node)
        d = parse(spec, field=field, node=nodes[0].path)
        labels = d.natural["labels"]
        orders = []
        for node in nodes:
            branch_labels = [c.label for c in node.children]
            if len(branch_labels) != d.dim:
                raise ModelError(
                    f"the Dirichlet has {d.dim} components but the node has {len(branch_labels)} branches "
                    f"({', '.join(map(repr, branch_labels))})",
                    node=node.path,
                    field=field,
                )
            if labels is None:
                orders.append(tuple(range(d.dim)))
            elif sorted(labels) != sorted(branch_labels):
                raise ModelError(
                    f"the Dirichlet's labels {list(labels)} do not match the node's branches {branch_labels}",
                    node=node.path,
                    field=field,
                )
            else:
                orders.append(tuple(list(labels).index(b) for b in branch_labels))
        default = events_named[0] if len(events_named) == 1 and len(keys) == 1 else nodes[0].key
        name = str(spec.get("name") or default)
        if name in names:
            raise fail(f"the name {name!r} is already used by another sampled input; give this one a 'name'")
        names.add(name)
        if labels is None:
            columns = tuple(f"{name}[{c.label}]" for c in nodes[0].children)
        else:
            columns = tuple(f"{name}[{label}]" for label in labels)
        sources.append(Source(name, d, nodes=tuple(nodes), columns=columns, orders=tuple(orders)))
    if any(isinstance(s, Mapping) and s.get("type") == "correlation" for s in tree.distributions):
        sources = _correlations(tree, sources)
    return sources


def with_distributions(
    tree: model.DecisionTree,
    parameters: Mapping[str, Mapping[str, Any] | None] | None = None,
    *,
    joint: Sequence[Mapping[str, Any]] = (),
) -> model.DecisionTree:
    """Return a copy of the tree with distributions set on parameters and joint ones appended.

    Examples
    --------
    >>> from evtree.library import korea_talks
    >>> tree = with_distributions(korea_talks(), {"v_deal": normal(100, 30)})
    >>> tree.parameters["v_deal"].distribution
    {'type': 'normal', 'mean': 100, 'sd': 30}
    """
    new = tree.copy()
    for name, spec in (parameters or {}).items():
        p = new.parameter(name)
        if spec is not None:
            parse(spec, field=f"parameters.{name}.distribution")
        new.parameters[name] = p.replace(distribution=None if spec is None else dict(spec))
    new.distributions = [*new.distributions, *(dict(j) for j in joint)]
    tree_sources(new)
    return new
