"""Shared fixtures: the reference trees, as files and as code."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

import evtree

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / "trees"
DATA = Path(__file__).resolve().parent / "data"

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def korea() -> evtree.DecisionTree:
    """The essays' tree, read from trees/korea_talks.yaml."""
    return evtree.read_tree(TREES / "korea_talks.yaml")


@pytest.fixture
def texaco() -> evtree.DecisionTree:
    """Clemen's Texaco-Pennzoil tree, read from trees/texaco_pennzoil.yaml."""
    return evtree.read_tree(TREES / "texaco_pennzoil.yaml")
