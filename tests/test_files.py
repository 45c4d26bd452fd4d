"""Input files read within bounds (issue 13, item 4)."""

from __future__ import annotations

import os

import pytest

from evtree.core.errors import FileFormatError
from evtree.core.files import read_text


def test_a_regular_file_is_read(tmp_path):
    (tmp_path / "t.yaml").write_text("évtree: 1\n", encoding="utf-8")
    assert read_text(tmp_path / "t.yaml") == "évtree: 1\n"


def test_devices_fifos_and_folders_are_refused_without_reading(tmp_path):
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_text("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: opening it would block for ever
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_text(fifo)
    with pytest.raises(FileFormatError, match="is a folder"):
        read_text(tmp_path)
    with pytest.raises(FileFormatError, match="no such file"):
        read_text(tmp_path / "missing.yaml")


def test_the_size_cap_is_named_with_the_way_to_raise_it(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(
        FileFormatError, match=r"2048 bytes, over the limit of 1024 bytes; raise it with --max-file-size"
    ):
        read_text(big, limit=1024)
    assert len(read_text(big, limit=4096)) == 2048


def test_bytes_that_are_not_utf8_are_located(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(FileFormatError, match=r"bad.yaml:2: not UTF-8 text \(byte 9\)"):
        read_text(bad)


def test_read_tree_refuses_devices_and_fifos_without_hanging(tmp_path):
    from evtree import read_tree

    fifo = tmp_path / "t.yaml"
    os.mkfifo(fifo)
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_tree(fifo)
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_tree("/dev/zero")
