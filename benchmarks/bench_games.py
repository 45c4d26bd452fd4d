"""Games speed (issue 19): subgame-perfect equilibrium of the 1,679,616-terminal alternating tree.

The tree is bench_core's: 16 levels alternating 2-option decisions and 3-outcome chance
nodes (0.2/0.5/0.3).  In the game version the decision levels alternate between two
players (levels 0, 4, 8, 12 are A's; 2, 6, 10, 14 are B's) and every terminal pays both
(seeded random payoffs).  Baseline, measured in the same run: the one-player float
rollback (``evaluate``) of the same tree with one payoff per terminal.

pygambit's loading time is measured here too, on a smaller tree of the same shape
(``pygambit.read_efg`` of 6**6 = 46,656 terminals), and extrapolated linearly to the
full tree; whatever that gives is printed, so no claim about Gambit rests on a guess.
"""

from __future__ import annotations

import gc
import io
import sys
import time

import numpy as np
from _common import Row
from bench_core import LEVELS, N_TERMINALS, PROBS, build_api, payoffs

import evtree
from evtree import Branch, Chance, Decision, DecisionTree, Payoffs, Terminal
from evtree.games import subgame_perfect


def build_game(a: np.ndarray, b: np.ndarray, levels: int = LEVELS) -> DecisionTree:
    pairs = iter(zip(a.tolist(), b.tolist()))
    counter = iter(range(10**9))

    def node(level: int):
        if level == levels:
            x, y = next(pairs)
            return Terminal(Payoffs({"A": x, "B": y}))
        k = next(counter)
        if level % 2 == 0:
            player = "A" if level % 4 == 0 else "B"
            return Decision(f"d{k}", [Branch(f"o{i}", node(level + 1)) for i in range(2)], player=player)
        return Chance(f"c{k}", [Branch(f"s{i}", node(level + 1), probability=p) for i, p in enumerate(PROBS)])

    return DecisionTree(node(0), name="synthetic game", players=["A", "B"])


def spe_numpy(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Hand-written backward induction over level arrays (terminals in breadth-first order)."""
    probs = np.array(PROBS)
    va, vb = a, b
    for level in range(LEVELS - 1, -1, -1):
        if level % 2 == 1:
            va, vb = va.reshape(-1, 3) @ probs, vb.reshape(-1, 3) @ probs
        else:
            mover = va if level % 4 == 0 else vb
            pick = mover.reshape(-1, 2).argmax(axis=1)
            rows = np.arange(len(pick))
            va, vb = va.reshape(-1, 2)[rows, pick], vb.reshape(-1, 2)[rows, pick]
    return float(va[0]), float(vb[0])


def _gambit_load_extrapolated() -> list[tuple[int, float, float]] | None:
    """Time ``pygambit.read_efg`` on the 8- and 10-level versions of the tree: (terminals, wall s, CPU s)."""
    try:
        import pygambit
    except ImportError:  # pragma: no cover
        return None
    from evtree.formats.efg import write_efg

    out = []
    for levels in (8, 10):
        rng = np.random.default_rng(1)
        n = 6 ** (levels // 2)
        small = build_game(rng.uniform(0, 100, n).round(2), rng.uniform(0, 100, n).round(2), levels)
        text = write_efg(small)
        wall, cpu = time.perf_counter(), time.process_time()
        pygambit.read_efg(io.StringIO(text))
        out.append((n, time.perf_counter() - wall, time.process_time() - cpu))
    return out


def _best(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (the collector stays off: millions of nodes make it slow)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def run() -> list[Row]:
    rows: list[Row] = []
    measured = _gambit_load_extrapolated()  # first: while no large tree is alive
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        values = payoffs()
        other = np.random.default_rng(20261201).uniform(0, 100, N_TERMINALS)
        one = build_api(values)
        game = build_game(values, other)
        t_compile_game, _ = _best(lambda: evtree.compile.compile_tree(game), 1)
        print(f"  (built both trees; game compiled in {t_compile_game:.1f} s)", file=sys.stderr, flush=True)
        evtree.evaluate(one)  # compile and check once, as the game's first solve does
        first = subgame_perfect(game)
        hand = spe_numpy(values, other)
        assert abs(first.payoffs["A"] - hand[0]) < 1e-9 * abs(hand[0]), (first.payoffs, hand)
        assert abs(first.payoffs["B"] - hand[1]) < 1e-9 * abs(hand[1]), (first.payoffs, hand)
        t_eval, _ = _best(lambda: evtree.evaluate(one), 5)
        t_spe, _ = _best(lambda: subgame_perfect(game), 5)
        t_hand, _ = _best(lambda: spe_numpy(values, other), 5)
        print(f"  (SPE {t_spe:.4f} s, one-player rollback {t_eval:.4f} s)", file=sys.stderr, flush=True)
    finally:
        if was_enabled:
            gc.enable()
    rows.append(Row("compile the two-player game (once)", t_compile_game, "-", None, "(reported)", None))
    rows.append(
        Row(
            "SPE, 1,679,616 terminals, two players (float)",
            t_spe,
            "one-player float rollback",
            t_eval,
            "within 2x of the one-player rollback",
            t_spe <= 2 * t_eval,
        )
    )
    rows.append(Row("SPE, same tree", t_spe, "hand numpy backward induction", t_hand, "(reported)", None))
    if measured is not None:
        (n1, _, c1), (n2, w2, c2) = measured
        growth = np.log(c2 / c1) / np.log(n2 / n1)
        full = c2 * N_TERMINALS / n2  # linear: a lower bound when Gambit's reading grows faster
        verdict = "more" if full > 900 else "less"
        print(
            f"  pygambit.read_efg of this tree shape, measured now: {n1:,} terminals {c1:.2f} s CPU,"
            f" {n2:,} terminals {c2:.2f} s CPU ({w2:.2f} s wall); time grows as terminals^{growth:.2f}."
            f" Linear extrapolation to {N_TERMINALS:,} terminals: {full:.0f} s CPU,"
            f" {verdict} than 15 minutes."
            " (pygambit has no subgame-perfect solver; loading is the comparison.)",
            flush=True,
        )
    return rows
