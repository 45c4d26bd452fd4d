"""Atomic file writes, used by every layer that writes a file.

Functions
---------
atomic_write   write text or bytes to a path through a temporary file in the same folder

What a reader can rely on:

- readers see the old file or the new one, never a part of either;
- an existing file keeps its permission bits; a new file gets ``0666`` less the umask,
  as with ``open()``;
- writing to a symbolic link writes its target and keeps the link;
- a temporary file is removed on every failure, and a stale one left by a killed
  writer (its process gone) is removed by the next write to the same path;
- a path that is also an input (``protect=``) is refused, so a command never
  overwrites the tree it reads;
- failures raise :class:`~evtree.core.errors.OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = ["atomic_write", "deliver_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(directory: Path, name: str) -> None:
    """Remove ``.NAME.PID.*.tmp`` files of ``name`` whose writing process no longer exists."""
    prefix = f".{name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            pid_text = entry.name[len(prefix) :].split(".", 1)[0]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            except PermissionError:
                continue


def _same_file(a: str | os.PathLike[str], b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.realpath(a)) == b


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    Parameters
    ----------
    path : path-like
        Where to write; a symbolic link is followed and its target replaced.
    data : str or bytes
        Text (written as UTF-8) or bytes.
    protect : iterable of path-like, optional
        Paths that must not be overwritten (a command's inputs).

    Raises
    ------
    OutputError
        If ``path`` is a protected input, a folder, or in a folder that is missing or
        not writable, or the write fails; the message names the path.
    """
    requested = Path(path)
    target = Path(os.path.realpath(requested))
    if any(_same_file(other, target) for other in protect):
        raise OutputError(f"{requested}: refusing to overwrite the input file; choose another output")
    if target.is_dir():
        raise OutputError(f"{requested}: is a folder, not a file")
    directory = target.parent
    if not directory.is_dir():
        raise OutputError(f"{requested}: the folder {directory} does not exist")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as err:
        raise OutputError(f"{requested}: {err.strerror or err}") from None
    _remove_stale_temporaries(directory, target.name)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise OutputError(f"{requested}: cannot write in {directory}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise OutputError(f"{requested}: {err.strerror or err}") from None
        raise


def deliver_text(text: str, target: str | os.PathLike[str] | Any | None) -> str | None:
    """Return ``text`` when ``target`` is ``None``, write it to an open file, or write a path atomically.

    The one ending of every ``write_*`` of :mod:`evtree.formats`.
    """
    if target is None:
        return text
    if hasattr(target, "write"):
        target.write(text)
        return None
    atomic_write(Path(target), text)
    return None
