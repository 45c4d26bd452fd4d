"""The one place where evtree turns a ``seed`` argument into random streams.

Every sampling function takes a single ``seed`` and passes it through
:func:`seed_sequence`.  Draws are then made from *keyed streams*: a stream is
identified by the seed and a tuple of integer keys (for PSA: the block of draws
and the distribution), so the numbers a block receives do not depend on which
blocks were drawn before it, how they are grouped into chunks, or on which
machine they are drawn.

    seed_sequence   normalise a seed into a :class:`numpy.random.SeedSequence`
    stream          the generator of one keyed stream
    key_of          a stable integer key for a name (for streams keyed by name)
    rng             a generator for simple one-stream uses
"""

from __future__ import annotations

import numbers
import zlib
from typing import Any

import numpy as np

__all__ = ["key_of", "rng", "seed_sequence", "stream"]


def seed_sequence(seed: Any = None) -> np.random.SeedSequence:
    """Normalise a seed.

    Parameters
    ----------
    seed : {None, int, numpy.random.SeedSequence, numpy.random.Generator}, default None
        ``None`` draws fresh entropy from the operating system (the result
        records it, so the run can be repeated); a non-negative integer is used
        as the entropy; a ``SeedSequence`` is used as is; a ``Generator``
        contributes one 128-bit draw as the entropy (and advances).

    Returns
    -------
    numpy.random.SeedSequence

    Raises
    ------
    TypeError
        If ``seed`` is of another type (floats and booleans included).
    ValueError
        If ``seed`` is a negative integer.

    Examples
    --------
    >>> seed_sequence(42).entropy
    42
    >>> seed_sequence(seed_sequence(7)).entropy
    7
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        hi, lo = (int(x) for x in seed.integers(0, 2**64, size=2, dtype=np.uint64))
        return np.random.SeedSequence((hi << 64) | lo)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None, a non-negative integer or a SeedSequence, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.SeedSequence(int(seed))


def stream(seq: np.random.SeedSequence, *keys: int) -> np.random.Generator:
    """Return the generator of the stream keyed by ``keys`` under ``seq``.

    The same ``seq`` and keys always give the same numbers, and different keys
    give independent streams (they are SeedSequence children, as
    :meth:`~numpy.random.SeedSequence.spawn` makes them, addressed directly).

    Examples
    --------
    >>> a = stream(seed_sequence(1), 0, 5).random()
    >>> b = stream(seed_sequence(1), 0, 5).random()
    >>> a == b, a == stream(seed_sequence(1), 1, 5).random()
    (True, False)
    """
    child = np.random.SeedSequence(
        seq.entropy, spawn_key=tuple(seq.spawn_key) + tuple(int(k) for k in keys), pool_size=seq.pool_size
    )
    return np.random.Generator(np.random.PCG64(child))


def key_of(name: str) -> int:
    """Return a stable 32-bit key for a name (CRC-32 of its UTF-8 bytes).

    Examples
    --------
    >>> key_of("p_flout") == key_of("p_flout")
    True
    """
    return zlib.crc32(name.encode("utf-8"))


def rng(seed: Any = None) -> np.random.Generator:
    """Return a generator for ``seed`` (a ``Generator`` is returned unchanged).

    Examples
    --------
    >>> float(rng(3).random()) == float(rng(3).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.Generator(np.random.PCG64(seed_sequence(seed)))
