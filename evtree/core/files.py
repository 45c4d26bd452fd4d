"""Reading input files within bounds: regular files only, with a size cap.

Functions
---------
read_text   the text of a regular file, refusing FIFOs, devices, folders and files over the cap

``MAX_FILE_BYTES`` is the default cap; every reader takes ``limit=`` and the command line
raises it with ``--max-file-size``.
"""

from __future__ import annotations

import os
import stat

from .errors import FileFormatError

__all__ = ["MAX_FILE_BYTES", "read_text"]

#: Largest input file read by default, in bytes (256 MiB; the 1.7-million-terminal
#: benchmark tree is 174 MB of JSON).
MAX_FILE_BYTES = 256 * 2**20


def _size_text(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} bytes"


def read_text(path: str | os.PathLike[str], *, limit: int | None = None) -> str:
    """Return the UTF-8 text of the regular file ``path``, at most ``limit`` bytes long.

    Parameters
    ----------
    path : path-like
        The file to read.
    limit : int, optional
        Largest size accepted, in bytes; :data:`MAX_FILE_BYTES` by default.

    Raises
    ------
    FileFormatError
        If the path does not exist, is not a regular file (a folder, a FIFO, a device
        such as ``/dev/zero``), is larger than ``limit``, or is not UTF-8; the message
        names the path and, for a size, the cap and how to raise it.
    """
    limit = MAX_FILE_BYTES if limit is None else int(limit)
    where = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileFormatError("no such file", where=where) from None
    except OSError as err:
        raise FileFormatError(f"cannot read: {err.strerror or err}", where=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileFormatError("is a folder, not a tree file", where=where)
    if not stat.S_ISREG(info.st_mode):
        raise FileFormatError("not a regular file (a FIFO, socket or device); give a tree file", where=where)
    if info.st_size > limit:
        raise FileFormatError(
            f"the file is {_size_text(info.st_size)}, over the limit of {_size_text(limit)}; "
            "raise it with --max-file-size (or limit= in Python)",
            where=where,
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise FileFormatError(f"cannot read: {err.strerror or err}", where=where) from None
    if len(data) > limit:  # grew while we looked
        raise FileFormatError(f"the file is over the limit of {_size_text(limit)}", where=where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FileFormatError(f"not UTF-8 text (byte {err.start + 1})", where=f"{where}:{line}") from None
