"""Hostile input at the command line (issue 13, items 4-6): bounded resources, safe outputs, full validation.

Every refusal is one line, names its place (flag, file:line, field) and exits with status 2.
Expected sizes are worked out by hand from the arrays the analyses allocate.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evtree.cli.main import main
from evtree.core import resources
from evtree.core.errors import FileFormatError, ModelError
from evtree.formats import _parse, read_tree

ROOT = Path(__file__).resolve().parents[1]

#: p has a distribution; v and w have bounds. Two strategies: a (chance: v with p, else 0), b (w).
TREE = """\
name: t
parameters:
  p: {value: 0.5, low: 0, high: 1, distribution: {type: beta, alpha: 2, beta: 2}}
  v: {value: 10, low: 0, high: 20}
  w: {value: 5, low: 0, high: 10}
root:
  decision: d
  branches:
    - label: a
      chance: c
      branches:
        - {label: up, probability: p, terminal: v}
        - {label: down, probability: 1 - p, terminal: 0}
    - label: b
      terminal: w
"""


@pytest.fixture
def tree_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TREE)
    return path


def run(capsys, *args):
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, *args) -> str:
    """Run a command that must be refused: exit 2, one line on standard error; return the line."""
    status, _, err = run(capsys, *args)
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
    return err


def cli(*args, timeout=120):
    """Run the console script in a subprocess under a time limit (hang cases)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "evtree.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


# ============================================================================ 4. resources
def test_parse_size_units():
    assert resources.parse_size("2G") == 2 * 1024**3
    assert resources.parse_size("512 MiB") == 512 * 1024**2
    assert resources.parse_size("1.5k") == 1536
    assert resources.parse_size("10**9") == 1_000_000_000
    assert resources.parse_size("1000") == 1000
    for bad in ("", "-1", "2X", "0"):
        with pytest.raises(ValueError):
            resources.parse_size(bad)


def test_default_memory_limit_is_half_the_ram_at_most_16_gib():
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert resources.default_memory_limit() == int(min(16 * 2**30, total / 2))


def test_psa_draws_refused_with_the_estimate_and_the_flag(capsys, tree_file):
    err = refused(capsys, "psa", tree_file, "--draws", "10**9", "--max-memory", "2G", "--no-progress")
    # values (2 strategies) + best value + optimal index + p's draws: 5 floats a draw,
    # 10^9 draws x 40 bytes = 4.0e10 bytes = 37.25 GiB (plus one chunk of working memory)
    assert "1,000,000,000 draws" in err and "37.3 GB" in err and "limit of 2.0 GB" in err
    assert "--max-memory" in err and "--draws" in err


def test_psa_memory_cap_is_a_flag(capsys, tree_file):
    # 100,000 draws x 40 bytes = 4,000,000 bytes, and one chunk of 65,536 draws (a block) x
    # 8 bytes x (5 nodes + 2 strategies + 8 + 2 x 1 column) = 8,912,896: 12.3 MiB, over 1 MiB
    err = refused(capsys, "psa", tree_file, "--draws", "100000", "--max-memory", "1M", "--no-progress")
    assert "12.3 MB" in err
    status, out, _ = run(capsys, "psa", tree_file, "--draws", "100000", "--max-memory", "64M", "--seed", "1",
                         "--no-progress", "--json")  # fmt: skip
    assert status == 0 and json.loads(out)["draws"] == 100_000


def test_psa_library_refuses_before_allocating(tree_file):
    from evtree.psa import psa

    tree = read_tree(tree_file)
    with resources.limited_memory("1G"), pytest.raises(resources.ResourceLimitError, match="37.3 GB"):
        psa(tree, draws=10**9, progress=False)
    assert resources.memory_limit() == resources.default_memory_limit()  # restored


def test_sweep_and_grid_points_refused(capsys, tree_file):
    err = refused(capsys, "sensitivity", tree_file, "--param", "v", "--points", "10**9", "--max-memory", "2G")
    assert "one-way sweep of 1,000,000,000 points" in err and "--max-memory" in err
    err = refused(
        capsys, "twoway", tree_file, "--params", "v", "w", "--points", "100000", "--max-memory", "2G"
    )
    assert "100,000 x 100,000 points" in err and "TB" in err


def test_sensitivity_library_entry_points_check_memory(tree_file):
    from evtree.sensitivity import one_way, two_way

    tree = read_tree(tree_file)
    with resources.limited_memory("1M"):
        with pytest.raises(resources.ResourceLimitError, match="one-way sweep of 1,000,000 points"):
            one_way(tree, "v", points=10**6)
        with pytest.raises(resources.ResourceLimitError, match="two-way grid of 2,000 x 3,000 points"):
            two_way(tree, ("v", "w"), points=(2000, 3000))


def test_acceptability_grid_refused_before_the_psa(capsys, tree_file):
    err = refused(capsys, "psa", tree_file, "--draws", "100", "--acceptability", "v", "--grid", "10**9",
                  "--max-memory", "2G", "--no-progress")  # fmt: skip
    assert "--grid 1,000,000,000" in err and "--max-memory" in err


def test_nested_evppi_refused_with_an_estimated_time():
    result = cli(*("evppi", ROOT / "tests/data/psa_evppi.yaml", "--method", "nested"),
                 *("--outer", "10**6", "--inner", "10**6", "--draws", "1000", "--no-progress"))  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "would take about" in result.stderr and "--max-time" in result.stderr
    assert "1,000,000 outer x 1,000,000 inner" in result.stderr


def test_nested_evppi_time_limit_in_the_library(tree_file):
    from evtree.psa import evppi

    tree = read_tree(tree_file)
    resources.set_time_limit(1e-9)
    try:
        with pytest.raises(resources.ResourceLimitError, match="would take about"):
            evppi(tree, "p", method="nested", outer=1000, inner=1000, progress=False)
    finally:
        resources.set_time_limit(None)


@pytest.fixture
def silent_listener():
    """A TCP listener that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_dask_listener_that_never_answers_is_refused_quickly(silent_listener, tree_file):
    start = time.monotonic()
    result = cli("psa", tree_file, "--draws", "100", "--dask", silent_listener, "--dask-timeout", "1",
                 "--no-progress", timeout=60)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "cannot reach the scheduler: no answer within 1 s" in result.stderr
    assert "--dask-timeout" in result.stderr and result.stderr.count("\n") == 1
    assert time.monotonic() - start < 45  # startup included; the deadline itself is 1 s


def test_file_size_cap_is_a_flag(capsys, tree_file):
    size = len(TREE.encode())
    err = refused(capsys, "evaluate", tree_file, "--max-file-size", "100")
    assert f"the file is {size} bytes, over the limit of 100 bytes" in err and "--max-file-size" in err
    status, _, _ = run(capsys, "evaluate", tree_file, "--max-file-size", "1K")
    assert status == 0
    with pytest.raises(FileFormatError, match="over the limit"):
        read_tree(tree_file, max_bytes=100)


def test_whole_number_flags_accept_powers(capsys, tree_file):
    status, out, _ = run(capsys, "sensitivity", tree_file, "--param", "v", "--points", "1e1", "--json")
    assert status == 0 and len(json.loads(out)["points"]) == 10


# ============================================================================ 5. outputs
@pytest.mark.parametrize(
    "command",
    [
        ("render", "{in}", "-o", "{in}"),
        ("report", "{in}", "-o", "{in}", "--no-sensitivity", "--no-claims"),
        ("convert", "{in}", "{in}"),
        ("tornado", "{in}", "--plot", "{in}"),
        ("sensitivity", "{in}", "--param", "v", "--plot", "{in}"),
    ],
)
def test_outputs_never_overwrite_the_input(capsys, tree_file, command):
    before = tree_file.read_bytes()
    err = refused(capsys, *(str(tree_file) if a == "{in}" else a for a in command))
    assert "refusing to overwrite the input file" in err and str(tree_file) in err
    assert tree_file.read_bytes() == before


def test_output_through_a_symlink_to_the_input_is_refused(capsys, tree_file, tmp_path):
    link = tmp_path / "link.svg"
    link.symlink_to(tree_file)
    before = tree_file.read_bytes()
    err = refused(capsys, "render", tree_file, "-o", link)
    assert "refusing to overwrite the input file" in err
    assert tree_file.read_bytes() == before


def test_render_png_is_refused_without_a_converter(capsys, tree_file, tmp_path):
    import importlib.util

    if importlib.util.find_spec("cairosvg") is not None:  # pragma: no cover - optional
        pytest.skip("cairosvg is installed: PNG is written")
    target = tmp_path / "x.png"
    err = refused(capsys, "render", tree_file, "-o", target)
    assert "-o " in err and "x.png" in err and "supported: .svg" in err
    assert not target.exists()


def test_plot_extension_refused_before_the_work(capsys, tree_file, tmp_path):
    err = refused(capsys, "tornado", tree_file, "--plot", tmp_path / "x.gif")
    assert "--plot" in err and "'.gif'" in err and ".png, .svg or .pdf" in err


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing/x.svg", "does not exist"), (".", "is a folder")],
)
def test_write_errors_are_located_refusals(capsys, tree_file, tmp_path, target, message):
    path = tmp_path / target if target != "." else tmp_path
    err = refused(capsys, "render", tree_file, "-o", path if target != "." else f"{path}/")
    assert message in err and "-o" in err
    err = refused(capsys, "tornado", tree_file, "--plot", (tmp_path / "missing" / "x.png"))
    assert "does not exist" in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_is_a_located_refusal(capsys, tree_file, tmp_path):  # pragma: no cover - root CI
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        err = refused(capsys, "render", tree_file, "-o", folder / "x.svg")
        assert "not writable" in err
    finally:
        folder.chmod(0o700)


def test_render_svg_still_written(capsys, tree_file, tmp_path):
    target = tmp_path / "x.svg"
    status, out, _ = run(capsys, "render", tree_file, "-o", target)
    assert status == 0 and target.read_text().lstrip().startswith("<svg")
    assert f"({target.stat().st_size:,} bytes)" in out


# ============================================================================ 6. validation
def _validate(capsys, tmp_path, text, name="t.yaml"):
    path = tmp_path / name
    path.write_text(text)
    status, out, err = run(capsys, "validate", path)
    return status, out, [line for line in err.splitlines() if "error:" in line], str(path)


@pytest.mark.parametrize(
    ("extra", "line", "field", "words"),
    [
        ("claims:\n  - claim: 'EV(d=a) >= EV(d=b)'\n    asuming: ['v >= 0']\n", 18, "claims[0].asuming",
         "did you mean 'assuming'?"),
        ("claims:\n  - {kind: dominence, a: {d: a}, b: {d: b}}\n", 17, "claims[0].kind",
         "did you mean 'dominance'?"),
        ("distributions:\n  - {type: dirichlet, node: c, alpha: [-1, 2]}\n", 17, "distributions[0]",
         "alpha must be positive"),
        ("metadata: [ab, cd]\n", 16, "metadata", "must be a mapping"),
        ("metadata: hello\n", 16, "metadata", "must be a mapping"),
        ("objective: [max]\n", 16, "objective", "must be text"),
        ("utility: log\n", 16, "utility", "must be a mapping"),
        ("utility: {type: exponential, risk_tolerance: -5}\n", 16, "utility.risk_tolerance", "positive"),
        ("namee: t2\n", 16, "namee", "did you mean 'name'?"),
    ],
)  # fmt: skip
def test_validate_reports_the_place_and_field(capsys, tmp_path, extra, line, field, words):
    status, _, errors, path = _validate(capsys, tmp_path, TREE + extra)
    assert status == 2 and len(errors) == 1, errors
    assert f"{path}:{line}:" in errors[0] and f"({field})" in errors[0] and words in errors[0]


def test_validate_misspelt_distribution_key(capsys, tmp_path):
    text = TREE.replace("{type: beta, alpha: 2, beta: 2}", "{type: normal, mean: 0.5, sdd: 0.1}")
    status, _, errors, path = _validate(capsys, tmp_path, text)
    assert status == 2 and len(errors) == 1
    assert f"{path}:3:" in errors[0] and "(parameters.p.distribution)" in errors[0]
    assert "unknown key 'sdd'; did you mean 'sd'?" in errors[0]


def test_validate_reports_every_problem_in_one_run(capsys, tmp_path):
    text = """\
parameters:
  p: {value: 0.5, low: 0, hihg: 1}
  q: {value: 0.3, distribution: {type: gama, mean: 1, sd: 1}}
metadata: hello
claims:
  - {kind: dominence, a: {d: a}, b: {d: b}}
  - {exists: separting}
root:
  decison: d
  branches:
    - label: a
      chance: c
      branches:
        - {label: up, probability: p, terminal: pp + 1}
        - {label: down, probability: 1 - p, termnal: 0}
    - label: b
      terminal: 3 +
"""
    status, _, errors, path = _validate(capsys, tmp_path, text)
    assert status == 2
    expected = [
        (2, "parameters.p.hihg", "did you mean 'high'?"),
        (3, "parameters.q.distribution", "did you mean 'gamma'?"),
        (4, "metadata", "must be a mapping"),
        (6, "claims[0].kind", "did you mean 'dominance'?"),
        (7, "claims[1].exists", "did you mean 'separating'?"),
        (9, "root.decison", "did you mean 'decision'?"),
        (14, "root.branches[0].branches[0].terminal", "unknown parameter 'pp'; did you mean 'p'?"),
        (15, "root.branches[0].branches[1].termnal", "did you mean 'terminal'?"),
        (17, "root.branches[1].terminal", "not a valid expression"),
    ]
    for line, field, words in expected:
        assert any(f"{path}:{line}:" in e and f"({field})" in e and words in e for e in errors), (
            field,
            errors,
        )
    assert all(e.startswith(f"evtree validate: error: {path}:") for e in errors)


def test_validate_help_says_every_problem(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "Every problem is reported in one run" in capsys.readouterr().out


def test_equilibrium_claims_are_valid_claims(capsys, tmp_path):
    extra = (
        "claims:\n  - {every: subgame perfect, chooses: {d: a}}\n  - {exists: separating}\n"
        "  - {exists: nash, chooses: {d: b}}\n"
    )
    status, out, errors, _ = _validate(capsys, tmp_path, TREE + extra)
    assert status == 0 and "valid" in out and not errors


def test_validate_places_tree_problems_at_their_node(capsys, tmp_path):
    text = "root:\n  chance: c\n  branches:\n    - {label: a, probability: 2, terminal: 1}\n"
    status, _, errors, path = _validate(capsys, tmp_path, text)
    assert status == 2 and len(errors) == 1
    assert f"{path}:4:" in errors[0] and "probability 2 is outside [0, 1]" in errors[0]


def test_json_duplicate_keys_refused_with_the_place(capsys, tmp_path):
    text = '{"root": {"decision": "d",\n "branches": [{"label": "a", "terminal": 1},\n' \
           ' {"label": "b", "terminal": 2, "terminal": 3}]}}\n'  # fmt: skip
    path = tmp_path / "dup.json"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=r"dup\.json:3:\d+: invalid JSON: duplicate key 'terminal'"):
        read_tree(path)
    err = refused(capsys, "validate", path)
    assert "dup.json:3:" in err


def test_large_json_duplicate_keys_are_refused_too(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MARKED_JSON_BYTES", 10)  # the fast reader, as for a large file
    path = tmp_path / "dup.json"
    path.write_text('{"root": {"terminal": 1,\n "terminal": 2}}')
    with pytest.raises(FileFormatError, match=r"dup\.json:2: invalid JSON: duplicate key 'terminal'"):
        read_tree(path)


def _yaml_tree(label: str, terminal: str) -> str:
    return f"root:\n  decision: d\n  branches:\n    - {{label: {label}, terminal: {terminal}}}\n"


@pytest.mark.parametrize(
    ("label", "terminal", "read_label", "value"),
    [
        ("yes", "1", "yes", 1),  # YAML 1.1: True (then refused as a label)
        ("no", "2", "no", 2),
        ("on", "3", "on", 3),
        ("off", "0x1F", "off", 31),  # 1.2 core: hexadecimal
        ("x", "0o17", "x", 15),  # 1.2 core: octal (1.1: text)
        ("2024-01-01", "4", "2024-01-01", 4),  # 1.1: a date
        ("1_000", "5", "1_000", 5),  # 1.1: the integer 1000
        ("'012'", "6", "012", 6),
    ],
)
def test_yaml_is_read_by_the_1_2_core_schema(label, terminal, read_label, value):
    from evtree.core.evaluate import evaluate

    tree = read_tree(_yaml_tree(label, terminal))
    assert tree.root.children[0].label == read_label
    assert evaluate(tree, method="exact").value == value


def test_yaml_leading_zero_is_refused_with_the_place(capsys, tmp_path):
    path = tmp_path / "z.yaml"
    path.write_text(_yaml_tree("012", "1"))
    err = refused(capsys, "validate", path)
    assert f"{path}:4:15:" in err and "leading zero" in err and "'012'" in err


def test_yaml_sexagesimal_is_text_not_ninety(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_yaml_tree("a", "1:30"))
    with pytest.raises(
        ModelError, match=r"s\.yaml:4:\d+ \(root\.branches\[0\]\.terminal\): expression '1:30'"
    ):
        read_tree(path)


def test_non_ascii_names_are_refused_with_the_place(capsys, tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text("parameters:\n  \uff50: 0.5\nroot: {terminal: 1}\n")
    err = refused(capsys, "evaluate", path)
    assert f"{path}:2:" in err and "not ASCII" in err
    path.write_text(
        "root:\n  decision: d\n  branches:\n    - {label: a, terminal: '\uff45\uff58\uff50(1)'}\n"
    )
    err = refused(capsys, "validate", path)
    assert f"{path}:4:" in err and "non-ASCII character" in err


# ----------------------------------------------------------------------------- deep files
def _deep_json(n: int) -> str:
    """A tree n decisions deep: at level i stop (payoff i) or go on; the last go pays 0."""
    head = "".join(
        f'"decision": "d{i}", "branches": [{{"label": "stop", "terminal": {i}}}, {{"label": "go", '
        for i in range(n)
    )
    return '{"root": {' + head + '"terminal": 0' + "}]" * n + "}}"


def test_json_20000_levels_deep_is_read(tmp_path):
    path = tmp_path / "deep.json"
    n = 20_000
    path.write_text(_deep_json(n))
    result = cli("evaluate", path, "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    # the best is to go on to the last decision and stop there: payoff n - 1
    assert json.loads(result.stdout)["value"] == n - 1


def test_yaml_500_levels_deep_is_read(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(_deep_json(500).replace('"', ""))  # flow-style YAML
    tree = read_tree(path)
    from evtree.core.evaluate import evaluate

    assert evaluate(tree).value == 499


def test_too_deep_yaml_refused_naming_the_line_and_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MAX_YAML_DEPTH", 100)
    path = tmp_path / "deep.yaml"
    path.write_text(_deep_json(60).replace('"', "").replace("[", "\n  ["))
    with pytest.raises(FileFormatError, match=r"deep\.yaml:\d+: nested more than 100 levels deep") as info:
        read_tree(path)
    assert "YAML" in str(info.value)


def test_too_deep_json_refused_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MAX_JSON_DEPTH", 1000)
    path = tmp_path / "deep.json"
    path.write_text(_deep_json(600))
    with pytest.raises(FileFormatError, match=r"deep\.json:1: nested more than 1,000 levels deep"):
        read_tree(path)


def test_flag_values_are_refused_by_name(capsys, tree_file):
    with pytest.raises(SystemExit) as info:
        main(["render", str(tree_file), "--depth", "-1"])
    assert info.value.code == 2 and "--depth: expected a depth of 0 or more" in capsys.readouterr().err
    err = refused(capsys, "twoway", tree_file, "--params", "v", "v")
    assert "--params needs two different parameters" in err


def test_cost_effectiveness_psa_draws_refused(capsys):
    # at least 4 floats a draw: 10^9 x 32 bytes = 29.8 GiB
    err = refused(capsys, "psa", ROOT / "tests/data/psa_cea.yaml", "--wtp", "1000", "--draws", "10**9",
                  "--max-memory", "2G", "--no-progress")  # fmt: skip
    assert "cost-effectiveness PSA of 1,000,000,000 draws" in err and "29.8 GB" in err


def test_objective_names_must_be_text(capsys, tmp_path):
    # found by mutating tests/data/sumatriptan.yaml: an internal error (unhashable dict) before
    path = tmp_path / "o.yaml"
    path.write_text(
        "criteria: {cost: {sense: min}, qaly: {sense: max}}\nparameters: {wtp: 1}\n"
        "objective:\n  net_benefit:\n    cost: cost\n    effect: {}\nroot: {terminal: {cost: 1, qaly: 2}}\n"
    )
    err = refused(capsys, "evaluate", path)
    assert f"{path}:6:" in err and "(objective.net_benefit.effect)" in err and "a mapping {}" in err
