"""Atomic writes: modes, umask, symlinks, stale temporaries, protected inputs (issue 13, item 5)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from evtree.core.atomic import atomic_write
from evtree.core.errors import OutputError


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.html"
    path.write_text("old")
    os.chmod(path, 0o644)
    atomic_write(path, "new")
    assert path.read_text() == "new"
    assert mode(path) == 0o644


def test_a_new_file_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.svg", "<svg/>")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.svg") == 0o640  # 0666 & ~0027


def test_a_symlink_is_written_through_and_kept(tmp_path):
    target = tmp_path / "real.yaml"
    target.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    atomic_write(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_bytes_are_written_as_they_are(tmp_path):
    atomic_write(tmp_path / "x.png", b"\x89PNG\r\n")
    assert (tmp_path / "x.png").read_bytes() == b"\x89PNG\r\n"


def test_the_input_is_never_overwritten(tmp_path):
    tree = tmp_path / "t.yaml"
    tree.write_text("tree")
    with pytest.raises(OutputError, match="refusing to overwrite the input"):
        atomic_write(tree, "svg", protect=[tree])
    link = tmp_path / "alias.yaml"
    link.symlink_to(tree)
    with pytest.raises(OutputError, match="refusing to overwrite the input"):
        atomic_write(link, "svg", protect=[tree])
    assert tree.read_text() == "tree"


def test_a_missing_folder_is_a_named_refusal(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        atomic_write(tmp_path / "nowhere" / "x.svg", "x")
    with pytest.raises(OutputError, match="is a folder"):
        atomic_write(tmp_path, "x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_named_refusal(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            atomic_write(folder / "x.svg", "x")
    finally:
        os.chmod(folder, 0o755)


def test_a_killed_writer_leaves_nothing_behind_after_the_next_write(tmp_path):
    target = tmp_path / "report.html"
    # A writer killed mid-write: a child process leaves its temporary file and dies.
    code = (
        "import os, tempfile, sys; d = sys.argv[1]; "
        "fd, p = tempfile.mkstemp(prefix=f'.report.html.{os.getpid()}.', suffix='.tmp', dir=d); "
        "os.write(fd, b'half'); os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    atomic_write(target, "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert target.read_text() == "whole"


def test_a_failed_write_removes_its_temporary(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match="No space left"):
        atomic_write(tmp_path / "x.svg", "x")
    assert list(tmp_path.iterdir()) == []
