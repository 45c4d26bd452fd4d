"""The report and the drawing in a real browser: headless Chromium from the system packages.

``make test`` installs Chromium when it is missing.  Without it these tests are
skipped, unless ``EVTREE_REQUIRE_ALL_DEPS`` is set, when they fail.  Pages are
opened from file:// addresses only; Chromium runs with networking features off.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from evtree.cli.main import main

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
OPTIMAL_RGB = (0x00, 0x72, 0xB2)  # evtree.plots.style.COLORS[0], the optimal strategy's colour
DECISION_FILL = (0xFD, 0xE6, 0xB0)


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("EVTREE_REQUIRE_ALL_DEPS"):
            pytest.fail("chromium is not installed")
        pytest.skip("chromium is not installed (make test installs it)")
    return exe


def run_chromium(exe: str, page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    profile.mkdir()
    return subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    """Messages the page wrote to the console (errors, uncaught exceptions, refusals)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def screenshot(exe: str, page: Path, tmp: Path, size: str) -> np.ndarray:
    png = tmp / "shot.png"
    done = run_chromium(exe, page, tmp, f"--window-size={size}", f"--screenshot={png}")
    assert png.exists(), done.stderr[-2000:]
    from matplotlib.image import imread

    return (imread(png)[..., :3] * 255).round().astype(int)


def pixels_near(image: np.ndarray, rgb: tuple[int, int, int], tol: int = 12) -> int:
    return int((np.abs(image - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_the_console_check_sees_errors(chromium, tmp_path):
    # a control: the same check must catch a page that does write errors
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); notDefined();</script>")
    done = run_chromium(chromium, page, tmp_path, "--dump-dom")
    messages = console_messages(done.stderr)
    assert any("boom" in m for m in messages)
    assert any("notDefined" in m for m in messages)


def test_report_renders_without_errors_and_shows_the_tree(chromium, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(ROOT / "trees" / "korea_talks.yaml"), "-o", str(out)]) == 0
    done = run_chromium(chromium, out, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    dom = done.stdout
    # the browser parsed the inline SVG into the DOM: the essays' tree has 4 decisions,
    # 1 chance node and 7 end points
    assert len(re.findall(r'<svg[^>]*class="evtree-tree"', dom)) == 1
    assert len(re.findall(r'<rect class="evt-decision"', dom)) == 4
    assert len(re.findall(r'<circle class="evt-chance"', dom)) == 1
    assert len(re.findall(r'<polygon class="evt-terminal"', dom)) == 7
    for section in ("model", "answer", "tree", "strategies", "symbolic", "sensitivity", "claims"):
        assert f'id="{section}"' in dom
    assert "<math" in dom
    # and drew it: the optimal strategy's blue and the decision squares' fill are on screen
    image = screenshot(chromium, out, tmp_path, "1200,1400")
    assert pixels_near(image, OPTIMAL_RGB) > 500
    assert pixels_near(image, DECISION_FILL, tol=6) > 4 * 100  # four 18x18 squares, less borders


def test_rendered_svg_opens_on_its_own(chromium, tmp_path):
    out = tmp_path / "tree.svg"
    assert main(["render", str(ROOT / "trees" / "texaco_pennzoil.yaml"), "-o", str(out), "--exact"]) == 0
    done = run_chromium(chromium, out, tmp_path, "--dump-dom")
    assert console_messages(done.stderr) == []
    image = screenshot(chromium, out, tmp_path, "1000,600")
    assert pixels_near(image, OPTIMAL_RGB) > 300
    # the background is white, and not everything is: something was drawn on it
    white = pixels_near(image, (255, 255, 255), tol=2)
    assert 0.5 * image.shape[0] * image.shape[1] < white < image.shape[0] * image.shape[1] - 5000
