"""Hostile input, from outside: no hang, no blow-up, no internal error, no silent wrong answer.

Issue 13, item 7. Every case runs the command line (``evtree.cli.main.main``, the console
script's entry point) or a Python snippet in a separate process, under a wall-clock limit
and an address-space cap, and checks the behaviour the issue asks for:

* an answer is the right one, worked out by hand in the corpus file's header
  (``tests/hostile/``) or next to the case;
* a refusal exits with status 2 and prints exactly one message line on standard error
  (argparse's usage lines and the indented did-you-mean names that follow a message are
  allowed around it, a traceback never), naming the place: the node and the field, and
  ``file:line`` for a file;
* nothing hangs (killed after ``TIME_LIMIT`` seconds: a failure) and nothing dies of
  memory (``MEMORY_LIMIT`` of address space: a ``MemoryError`` exits with 3, a failure).

The processes are forked from one server that has already imported evtree, numpy, sympy,
pandas and matplotlib, so a case costs a fork, not an interpreter start (a few run the
real ``python -m evtree.cli.main`` too). Large inputs are generated into ``tmp_path``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "hostile"
DATA = Path(__file__).resolve().parent / "data"

TIME_LIMIT = 20.0  # seconds of wall clock per case
MEMORY_LIMIT = 2 * 2**30  # bytes of address space per case
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The server: reads one JSON request per line, forks a child per request that runs the CLI
# (or a snippet) under the limits, and answers with the child's exit status on ``reply``.
_SERVER = r"""
import json, os, resource, signal, sys, time, traceback
import evtree.cli.main as cli
cli.build_parser()  # imports every subcommand's module
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot, numpy, pandas, scipy.stats, sympy  # noqa: F401
reply = os.fdopen(int(sys.argv[1]), "w", buffering=1)
reply.write("ready\n")
for line in sys.stdin:
    req = json.loads(line)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        status = 99
        try:
            os.setpgid(0, 0)
            for fd, name in ((1, req["stdout"]), (2, req["stderr"])):
                os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            os.umask(req["umask"])
            os.chdir(req["cwd"])
            os.environ.pop("EVTREE_DEBUG", None)
            if req["memory"]:
                resource.setrlimit(resource.RLIMIT_AS, (req["memory"], req["memory"]))
            if req["code"] is None:
                status = cli.main(req["argv"])
            else:
                exec(compile(req["code"], "<snippet>", "exec"), {"__name__": "__snippet__"})
                status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            status = 99
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)
    deadline = start + req["timeout"]
    timed_out, wait_status = False, None
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out, wait_status = True, None
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    try:
        os.killpg(pid, signal.SIGKILL)  # whatever the command left running
    except (ProcessLookupError, PermissionError):
        pass
    out = {"elapsed": time.monotonic() - start, "timed_out": timed_out, "status": None, "signal": None}
    if wait_status is not None:
        if os.WIFEXITED(wait_status):
            out["status"] = os.WEXITSTATUS(wait_status)
        else:
            out["signal"] = os.WTERMSIG(wait_status)
    reply.write(json.dumps(out) + "\n")
"""


class Outcome(NamedTuple):
    """What one case did: exit status (or signal, or a timeout) and its output."""

    argv: list[str]
    status: int | None
    signal: int | None
    timed_out: bool
    elapsed: float
    stdout: str
    stderr: str

    @property
    def brief(self) -> str:
        """One line saying what happened, for failure messages."""
        what = " ".join(self.argv)
        if self.timed_out:
            return f"{what}: timed out after {self.elapsed:.0f} s"
        if self.signal is not None:
            return f"{what}: killed by signal {self.signal}"
        err = self.stderr.strip().splitlines()
        return f"{what}: exit {self.status} in {self.elapsed:.1f} s; stderr: {err[-1] if err else ''!r}"

    def json(self) -> Any:
        assert self.status == 0, self.brief
        return json.loads(self.stdout)


class Runner:
    """Run the CLI or a snippet in a fresh forked process under a time limit and a memory cap."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        read_end, write_end = os.pipe()
        env = {k: v for k, v in os.environ.items() if k != "EVTREE_DEBUG"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["MPLBACKEND"] = "Agg"
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(write_end)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(write_end,),
            env=env,
            cwd=ROOT,
            text=True,
        )
        os.close(write_end)
        self.replies = os.fdopen(read_end)
        assert self.replies.readline().strip() == "ready", "the hostile-input server did not start"

    def _request(
        self, argv: list[str], code: str | None, cwd: Path, timeout: float, memory: int | None, umask: int
    ) -> Outcome:
        out, err = self.scratch / "stdout", self.scratch / "stderr"
        request = {
            "argv": argv,
            "code": code,
            "cwd": str(cwd),
            "timeout": timeout,
            "memory": memory,
            "umask": umask,
            "stdout": str(out),
            "stderr": str(err),
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.replies.readline())
        return Outcome(
            argv=["evtree", *argv] if code is None else ["<snippet>"],
            status=reply["status"],
            signal=reply["signal"],
            timed_out=reply["timed_out"],
            elapsed=reply["elapsed"],
            stdout=out.read_text(errors="replace"),
            stderr=err.read_text(errors="replace"),
        )

    def __call__(
        self,
        *argv: Any,
        cwd: Path = CORPUS,
        timeout: float = TIME_LIMIT,
        memory: int | None = MEMORY_LIMIT,
        umask: int = 0o022,
    ) -> Outcome:
        """Run ``evtree ARGV...`` in ``cwd``."""
        return self._request([str(a) for a in argv], None, cwd, timeout, memory, umask)

    def python(
        self, code: str, *, cwd: Path = CORPUS, timeout: float = TIME_LIMIT, memory: int | None = MEMORY_LIMIT
    ) -> Outcome:
        """Run a Python snippet; it passes when it returns (exit 0), else its traceback is in stderr."""
        return self._request([], textwrap.dedent(code), cwd, timeout, memory, 0o022)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.replies.close()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    runner = Runner(tmp_path_factory.mktemp("hostile-server"))
    yield runner
    runner.close()


# -- what a refusal and an answer look like ---------------------------------------------------
def message_line(out: Outcome) -> str:
    """Return the one message line of a refusal; fail on a traceback or several messages."""
    assert "Traceback" not in out.stderr, f"{out.brief}: a traceback escaped"
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    # argparse prints its usage (first line "usage:", continuation lines indented) before
    # its message; the CLI prints did-you-mean names indented below its message.
    messages = [line for line in lines if not line.startswith((" ", "usage:"))]
    assert len(messages) == 1, f"{out.brief}: expected one message line on stderr, got {messages!r}"
    assert messages[0].startswith("evtree"), f"{out.brief}: the message does not say it is evtree's"
    return messages[0]


def assert_finished(out: Outcome) -> None:
    assert not out.timed_out, out.brief
    assert out.signal is None, out.brief
    assert out.status != 3, f"internal error: {out.brief}"
    assert out.status != 99, f"{out.brief}\n{out.stderr}"


def assert_refusal(out: Outcome, *patterns: str) -> str:
    """Assert ``out`` is a refusal (exit 2, one line) whose message matches every pattern."""
    assert_finished(out)
    assert out.status == 2, f"expected a refusal (exit 2): {out.brief}"
    line = message_line(out)
    for pattern in patterns:
        assert re.search(pattern, line), f"{out.brief}: the message does not match {pattern!r}"
    return line


def assert_answer_or_refusal(out: Outcome, *patterns: str) -> None:
    """Assert ``out`` answered (exit 0) or refused as :func:`assert_refusal` says."""
    assert_finished(out)
    if out.status != 0:
        assert_refusal(out, *patterns)


def in_file(name: str) -> str:
    """Pattern of ``name:LINE``."""
    return re.escape(name) + r":\d+"


def place(name: str, node: str) -> str:
    """Pattern of the place of a value: ``file:line`` or the node's path."""
    return f"{in_file(name)}|{re.escape(node)}"


TERMINAL_FIELD = r"terminal|payoff"


def snippet_ok(out: Outcome) -> None:
    assert_finished(out)
    assert out.status == 0, f"{out.brief}\n{out.stderr[-3000:]}"


# =============================================================================================
# 1. Hangs: every case answers or refuses within the time limit
# =============================================================================================
def test_a_steep_utility_is_inverted_at_once(cli):
    assert_finished(out := cli("validate", "steep_utility.yaml"))
    assert out.status == 0, out.brief
    data = cli("evaluate", "steep_utility.yaml", "--json").json()
    assert data["policy"] == {"choice": "gamble"}
    # CE = ln((e^370 + 1)/2) / 37 = 10 - ln(2)/37 + ln(1 + e^-370)/37
    assert data["value"] == pytest.approx(10 - math.log(2) / 37, rel=1e-12)


@pytest.mark.parametrize(
    "method",
    [
        pytest.param([], id="float"),
        pytest.param(["--exact"], id="exact"),
        pytest.param(["--symbolic"], id="symbolic"),
    ],
)
def test_a_huge_power_of_a_parameter_is_refused_not_computed(cli, method):
    # w = 10**8 and the payoff 3**w: 47 million digits (exact, symbolic), beyond a float.
    out = cli("evaluate", "power_of_parameter.yaml", *method)
    assert_refusal(out, place("power_of_parameter.yaml", "gamble/lose"), TERMINAL_FIELD)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["threshold", "expansion.yaml", "--param", "p"], id="threshold"),
        pytest.param(["check", "expansion.yaml", "--no-search"], id="check"),
        pytest.param(["voi", "expansion.yaml", "--node", "coin", "--symbolic"], id="voi-symbolic"),
        pytest.param(["sensitivity", "expansion.yaml", "--param", "p"], id="sensitivity"),
        pytest.param(["evaluate", "expansion.yaml", "--symbolic"], id="evaluate-symbolic"),
        pytest.param(["tornado", "expansion.yaml"], id="tornado"),
    ],
)
def test_an_expansion_over_budget_answers_or_refuses_in_time(cli, args):
    # (p+v+w+1)**1000: half a million terms when expanded.
    assert_answer_or_refusal(cli(*args), place("expansion.yaml", "gamble/win"), TERMINAL_FIELD)


def test_nested_evppi_of_a_trillion_evaluations_is_refused_up_front(cli):
    out = cli(
        "evppi", "psa.yaml", "--method", "nested", "--outer", 10**6, "--inner", 10**6,
        "--seed", 1, "--no-progress",
    )  # fmt: skip
    assert_refusal(out, r"--outer|--inner")


def test_a_dask_scheduler_that_never_answers_is_given_up_on(cli):
    with socket.socket() as listener:  # accepts connections (the kernel's backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        out = cli(
            "psa",
            "psa.yaml",
            "--draws",
            100,
            "--seed",
            1,
            "--no-progress",
            "--dask",
            address,
            timeout=45,
        )
    assert_refusal(out, r"dask|" + re.escape(address))


def test_devices_and_fifos_are_refused_without_reading(cli, tmp_path):
    assert_refusal(cli("evaluate", "/dev/zero"), r"/dev/zero", r"not a regular file|device")
    fifo = tmp_path / "t.yaml"
    os.mkfifo(fifo)  # no writer: opening it blocks for ever
    assert_refusal(cli("evaluate", fifo), re.escape(str(fifo)))
    assert_refusal(cli("validate", fifo), re.escape(str(fifo)))


def test_the_console_script_refuses_a_device_in_one_line():
    # The real interpreter start, once: the same refusal through ``python -m``.
    env = {k: v for k, v in os.environ.items() if k != "EVTREE_DEBUG"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "evtree.cli.main", "evaluate", "/dev/zero"],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )  # fmt: skip
    out = Outcome(
        ["evtree", "evaluate", "/dev/zero"], done.returncode, None, False, 0.0, done.stdout, done.stderr
    )
    assert_refusal(out, r"/dev/zero")


# =============================================================================================
# 2. Blow-ups: sizes estimated before allocating, refused naming the flag
# =============================================================================================
@pytest.mark.parametrize(
    "args, flag",
    [
        pytest.param(["psa", "psa.yaml", "--draws", 10**9], "draws", id="psa-draws"),
        pytest.param(["evppi", "psa.yaml", "--draws", 10**9], "draws", id="evppi-draws"),
        pytest.param(
            ["psa", "psa.yaml", "--draws", 1000, "--acceptability", "x", "--grid", 10**9],
            "grid",
            id="psa-grid",
        ),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--points", 10**9], "points", id="sensitivity-points"
        ),
        pytest.param(
            ["twoway", "t.yaml", "--params", "p", "v", "--points", 100_000], "points", id="twoway-points"
        ),
    ],
)
def test_a_huge_allocation_is_refused_with_the_flag(cli, args, flag):
    args = [*args, "--seed", 1, "--no-progress"] if args[0] in ("psa", "evppi") else args
    out = cli(*args)
    # the message names the flag that asked for it, the estimate, and a flag (it or the cap's)
    assert_refusal(out, flag, r"\d\s*(?:[KMGT]i?B|bytes)", r"--[a-z][a-z-]+")


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(cli, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:  # 300 MiB, sparse: nothing is written to disk
        handle.truncate(300 * 2**20)
    assert_refusal(cli("evaluate", big), r"--max-file-size", r"MiB|bytes")


def test_the_size_cap_is_a_flag(cli, tmp_path):
    padded = tmp_path / "padded.yaml"
    padded.write_text((CORPUS / "t.yaml").read_text() + "#" + " " * 2_000_000 + "\n")
    assert_refusal(
        cli("evaluate", padded, "--max-file-size", 1_000_000), r"--max-file-size", r"limit|cap|over"
    )
    assert cli("evaluate", padded, "--max-file-size", 4_000_000, "--json").json()["value"] == 5


def test_shared_subtrees_that_double_forty_times_are_refused_or_shared(cli, tmp_path):
    # Each level uses the next twice: 2^40 terminals if every use became a copy.
    levels = 40
    subtrees = {
        f"s{i}": {
            "chance": f"c{i}",
            "branches": [
                {"label": "a", "probability": "1/2", "use": f"s{i + 1}"},
                {"label": "b", "probability": "1/2", "use": f"s{i + 1}"},
            ],
        }
        for i in range(levels)
    }
    subtrees[f"s{levels}"] = {
        "chance": "last",
        "branches": [{"label": "end", "probability": 1, "terminal": 3}],
    }
    doc = {
        "evtree": 1,
        "subtrees": subtrees,
        "root": {
            "decision": "top",
            "branches": [{"label": "go", "use": "s0"}, {"label": "stay", "terminal": 1}],
        },
    }
    (tmp_path / "bomb.json").write_text(json.dumps(doc))
    out = cli("evaluate", "bomb.json", "--json", cwd=tmp_path)
    assert_answer_or_refusal(out, r"s\d+|subtree|use")
    if out.status == 0:
        assert out.json()["value"] == 3


# =============================================================================================
# 3. Silent wrong answers: the right value, worked out by hand
# =============================================================================================
CE_Y = -50 * math.log((1 + math.exp(-10 / 50)) / 2)  # 4.750420...
CE_GAMBLE = 200 + 5 * math.log(2) - 5 * math.log1p(math.exp(-20))  # R = 5, 200 or 300: 203.4657...


def test_a_parameter_named_y_is_the_risk_tolerance(cli):
    data = cli("evaluate", "risk_tolerance_y.yaml", "--json").json()
    assert CE_Y == pytest.approx(4.7504, abs=1e-4)
    assert data["value"] == pytest.approx(CE_Y, rel=1e-9)
    assert data["policy"] == {"choice": "gamble"}
    data = cli("evaluate", "risk_tolerance_y.yaml", "--json", "--exact").json()
    assert data["policy"] == {"choice": "gamble"}
    assert number(data["value"]) == pytest.approx(CE_Y, rel=1e-9)


def test_a_parameter_named_y_given_as_risk_tolerance_on_the_command_line(cli, tmp_path):
    text = (
        (CORPUS / "risk_tolerance_y.yaml")
        .read_text()
        .replace("utility: {type: exponential, risk_tolerance: y}\n", "")
    )
    (tmp_path / "t.yaml").write_text(text)
    data = cli("evaluate", "t.yaml", "--risk-tolerance", "y", "--json", cwd=tmp_path).json()
    assert data["value"] == pytest.approx(CE_Y, rel=1e-9)
    assert data["policy"] == {"choice": "gamble"}


def number(value: Any) -> float:
    """A value from the JSON output as a float: a number, a fraction, or an exact formula."""
    if isinstance(value, (int, float)):
        return float(value)
    import sympy  # the output's own exact text (e.g. "-5*log(1/2 + exp(1000)/2)"), not user input

    return float(sympy.N(sympy.sympify(value), 30))


@pytest.mark.parametrize("command", ["validate", "evaluate"])
def test_a_decreasing_utility_is_refused(cli, command):
    assert_refusal(cli(command, "decreasing_utility.yaml"), in_file("decreasing_utility.yaml"), r"utility")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["evaluate", "t.yaml", "--utility=-x"], id="utility-flag"),
        pytest.param(["evaluate", "t.yaml", "--utility=-exp(x)"], id="utility-flag-exp"),
        pytest.param(["evaluate", "t.yaml", "--risk-tolerance=-5"], id="risk-tolerance-flag"),
        pytest.param(["evaluate", "t.yaml", "--risk-tolerance=0"], id="risk-tolerance-zero"),
    ],
)
def test_a_decreasing_utility_flag_is_refused(cli, args):
    assert_refusal(cli(*args), r"--utility|--risk-tolerance")


def test_a_negative_risk_tolerance_is_refused(cli):
    for command in ("validate", "evaluate"):
        assert_refusal(
            cli(command, "negative_risk_tolerance.yaml"),
            in_file("negative_risk_tolerance.yaml"),
            r"risk_tolerance",
        )
    # a parameter's value: refused where it is evaluated, naming the utility
    assert_refusal(
        cli("evaluate", "negative_risk_tolerance_parameter.yaml"), r"risk.tolerance", r"positive|negative"
    )
    assert_refusal(
        cli("evaluate", "t.yaml", "--risk-tolerance", "w", "--set", "w=-5"),
        r"risk.tolerance|--risk-tolerance",
    )


@pytest.mark.parametrize("method", [pytest.param([], id="float"), pytest.param(["--exact"], id="exact")])
def test_a_payoff_beyond_floats_is_refused_in_every_arithmetic(cli, method):
    # Every value must stay within the float range in every arithmetic (docs/format.md,
    # Limits), so a file is accepted or refused the same way whatever the arithmetic,
    # and never printed as "inf" beside a table that marks another option optimal.
    out = cli("evaluate", "float_overflow.yaml", *method)
    assert_refusal(out, place("float_overflow.yaml", "choice/huge"), TERMINAL_FIELD)
    assert re.search(r"float range|too large", out.stderr)


@pytest.mark.parametrize("method", [pytest.param([], id="float"), pytest.param(["--exact"], id="exact")])
def test_an_exponential_utility_past_float_range_picks_the_better_option(cli, method):
    data = cli("evaluate", "exp_utility_overflow.yaml", "--json", *method).json()
    assert data["policy"] == {"choice": "sure"}
    assert number(data["value"]) == 250
    assert [s["optimal"] for s in data["strategies"]] == [False, True]
    # CE(gamble) = 200 + 5 ln 2 - 5 ln(1 + e^-20)
    assert number(data["strategies"][0]["value"]) == pytest.approx(CE_GAMBLE, rel=1e-12)


@pytest.mark.parametrize("method", [pytest.param([], id="float"), pytest.param(["--exact"], id="exact")])
def test_minus_infinity_is_not_a_tie(cli, method):
    data = cli("evaluate", "exp_utility_underflow.yaml", "--json", *method).json()
    assert data["policy"] == {"choice": "sure"}
    assert number(data["value"]) == -150
    assert [s["optimal"] for s in data["strategies"]] == [False, True]
    data = cli("evaluate", "exp_utility_both_overflow.yaml", "--json", *method).json()
    assert data["policy"] == {"choice": "better"}
    assert number(data["value"]) == pytest.approx(-5000 + 5 * math.log(2), rel=1e-12)
    assert [s["optimal"] for s in data["strategies"]] == [False, True]


def test_options_a_hundred_apart_at_a_trillion_are_not_tied(cli):
    data = cli("evaluate", "near_tie.yaml", "--json").json()
    assert data["policy"] == {"choice": "more"}
    assert data["value"] == 1_000_000_000_100
    assert data["ties"] == {}
    assert [s["optimal"] for s in data["strategies"]] == [False, True]
    profile = cli("risk", "near_tie.yaml", "--json").json()["strategies"][0]
    assert profile["policy"] == {"choice": "more"}
    assert [p["outcome"] for p in profile["profile"]] == [1_000_000_000_100]
    assert profile["statistics"]["mean"] == 1_000_000_000_100


def test_a_zero_probability_branch_under_a_log_utility_leaves_evpi_finite(cli):
    data = cli("evaluate", "log_utility_zero_probability.yaml", "--json").json()
    assert data["policy"] == {"choice": "invest"}
    assert data["value"] == pytest.approx(20, rel=1e-12)  # exp((ln 40 + ln 10)/2)
    data = cli("voi", "log_utility_zero_probability.yaml", "--node", "market", "--json").json()
    assert data["value"] == pytest.approx(math.sqrt(760) - 20, rel=1e-9)  # 7.5681


def test_a_zero_probability_branch_beyond_float_under_a_utility(cli):
    out = cli("evaluate", "zero_times_inf_utility.yaml", "--json")
    assert_answer_or_refusal(out, place("zero_times_inf_utility.yaml", "gamble/jackpot"))
    if out.status == 0:  # the branch cannot happen: CE(gamble) = ln((e^10 + 1)/2)
        assert out.json()["value"] == pytest.approx(math.log((math.exp(10) + 1) / 2), rel=1e-12)


def test_a_label_with_a_slash_gives_keys_that_can_be_looked_up(cli, tmp_path):
    out = cli("evaluate", "slash_label.yaml", "--json")
    assert_answer_or_refusal(out, in_file("slash_label.yaml"), r"label")
    if out.status != 0:
        return  # the label is refused where it is written
    data = out.json()
    assert data["value"] == 2
    inner = [key for key in data["policy"] if key != "c"]
    assert len(inner) == 1 and data["policy"][inner[0]] == "right"
    # the key the output gives is one --strategy takes back
    fixed = cli("evaluate", "slash_label.yaml", "--strategy", f"{inner[0]}=left", "--json").json()
    assert fixed["value"] == 1 and fixed["policy"][inner[0]] == "left"
    snippet_ok(
        cli.python(f"""
            from evtree import evaluate, read_tree
            from evtree.core.evaluate import strategies
            tree = read_tree("slash_label.yaml")
            r = evaluate(tree)
            key = {inner[0]!r}
            assert r.value_of(key) == 2, r.value_of(key)
            assert evaluate(tree, policy={{key: "left"}}).value == 1
            assert {{key}} <= set().union(*strategies(tree))
        """)
    )


# =============================================================================================
# 4. Internal errors where a located refusal belongs
# =============================================================================================
CONSTANTS = {
    "sqrt-minus-one": "sqrt(-1)",
    "cube-root-of-minus-eight": "(-8)**(1/3)",
    "minus-one-to-a-parameter": "(-1)**p",
    "tower-of-exponentials": "exp(exp(exp(exp(10))))",
    "log-of-zero": "log(0)",
    "division-by-zero": "1/(p - p)",
    "zero-to-a-negative-power": "0**(-1)",
}


METHODS = {"float": [], "exact": ["--exact"], "symbolic": ["--symbolic"]}


@pytest.mark.parametrize(
    "expression, method",
    [
        pytest.param(expression, METHODS[method], id=f"{name}-{method}")
        for name, expression in CONSTANTS.items()
        for method in METHODS
        # a formula in p is a fine symbolic answer; its value at p = 1/2 is what is refused
        if not (method == "symbolic" and "p" in expression)
    ],
)
def test_a_complex_or_undefined_payoff_is_a_located_refusal(cli, tmp_path, expression, method):
    text = (CORPUS / "t.yaml").read_text().replace("terminal: v}", f"terminal: '{expression}'}}")
    (tmp_path / "t.yaml").write_text(text)
    out = cli("evaluate", "t.yaml", *method, cwd=tmp_path)
    assert_refusal(out, place("t.yaml", "gamble/win"), TERMINAL_FIELD)


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_an_integer_of_five_thousand_digits_is_a_located_refusal_or_exact(cli, tmp_path, suffix):
    digits = "1" + "0" * 5000
    branches = [{"label": "a", "terminal": "DIGITS"}, {"label": "b", "terminal": 2}]
    doc = {"evtree": 1, "root": {"decision": "d", "branches": branches}}
    # the number written as a literal: YAML flow style is JSON too
    text = json.dumps(doc).replace('"DIGITS"', digits)
    (tmp_path / f"big.{suffix}").write_text(text)
    out = cli("evaluate", f"big.{suffix}", "--exact", "--json", cwd=tmp_path)
    assert_answer_or_refusal(out, in_file(f"big.{suffix}"))
    if out.status == 0:
        old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            assert int(out.json()["value"]) == 10**5000
        finally:
            sys.set_int_max_str_digits(old)
    assert_refusal(cli("evaluate", f"big.{suffix}", cwd=tmp_path), place(f"big.{suffix}", "d/a"))


def test_a_utility_undefined_at_an_outcome_names_the_outcome(cli):
    out = cli("evaluate", "t.yaml", "--utility", "sqrt(x)", "--set", "w=-10")
    assert_refusal(out, r"utility", r"-10|gamble/lose")


WRONG_TYPES = {
    "metadata-text": ("metadata: hello\n", "metadata"),
    "metadata-list": ("metadata: [ab, cd]\n", "metadata"),
    "objective-list": ("objective: [max]\n", "objective"),
    "objective-number": ("objective: 3\n", "objective"),
    "utility-text": ("utility: log\n", "utility"),
    "utility-list": ("utility: [log]\n", "utility"),
    "utility-type-unknown": ("utility: {type: logarithmic}\n", "utility"),
    "parameters-list": ("parameters: [p, v, w]\n", "parameters"),
    "claims-mapping": ("claims: {a: 1}\n", "claims"),
    "claims-number": ("claims: [3]\n", "claims"),
    "distributions-text": ("distributions: hello\n", "distributions"),
    "name-mapping": ("name: {a: 1}\n", "name"),
    "evtree-version": ("evtree: 2\n", "evtree"),
    "subtrees-list": ("subtrees: [a]\n", "subtrees"),
    "criteria-number": ("criteria: 5\n", "criteria"),
    "players-number": ("players: 5\n", "players"),
}


@pytest.mark.parametrize("command", ["validate", "evaluate"])
@pytest.mark.parametrize("line, field", list(WRONG_TYPES.values()), ids=list(WRONG_TYPES))
def test_a_wrong_type_at_the_top_is_a_located_refusal(cli, tmp_path, line, field, command):
    key = line.split(":")[0]
    # t.yaml without the top-level key (and the indented lines below it), then the wrong one
    text = re.sub(rf"(?m)^{key}:.*\n(?:  .*\n)*", "", (CORPUS / "t.yaml").read_text())
    (tmp_path / "t.yaml").write_text(text.replace("root:\n", line + "root:\n"))
    assert_refusal(cli(command, "t.yaml", cwd=tmp_path), in_file("t.yaml"), field)


NODE_WRONG_TYPES = {
    "branches-mapping": (
        "      branches:\n        - {label: win, probability: p, terminal: v}\n"
        "        - {label: lose, probability: rest, terminal: w}\n",
        "      branches: {win: v, lose: w}\n",
        "branches",
    ),
    "label-list": ("{label: win,", "{label: [win],", "label"),
    "probability-list": ("probability: p,", "probability: [p],", "probability"),
    "probability-mapping": ("probability: p,", "probability: {p: 1},", "probability"),
    "terminal-list": ("terminal: v}", "terminal: [v]}", "terminal"),
    "terminal-mapping-without-components": ("terminal: v}", "terminal: {a: 1}}", "terminal"),
    "terminal-boolean": ("terminal: v}", "terminal: true}", "terminal"),
    "decision-name-list": ("decision: choice", "decision: [choice]", "decision"),
    "parameter-value-list": ("p: {value: 0.5,", "p: {value: [0.5],", r"parameters\.p|value"),
    "parameter-bound-text": ("low: 0, high: 1}", "low: zero, high: 1}", r"parameters\.p|low"),
}


@pytest.mark.parametrize("old, new, field", list(NODE_WRONG_TYPES.values()), ids=list(NODE_WRONG_TYPES))
def test_a_wrong_type_in_a_node_is_a_located_refusal(cli, tmp_path, old, new, field):
    text = (CORPUS / "t.yaml").read_text()
    assert old in text
    (tmp_path / "t.yaml").write_text(text.replace(old, new, 1))
    assert_refusal(cli("validate", "t.yaml", cwd=tmp_path), in_file("t.yaml"), field)


@pytest.mark.parametrize(
    "args, flag",
    [
        pytest.param(
            ["twoway", "t.yaml", "--params", "v", "v"], "--params", id="twoway-same-parameter-twice"
        ),
        pytest.param(["twoway", "t.yaml", "--params", "v", "nope"], "nope", id="twoway-unknown-parameter"),
        pytest.param(["show", "t.yaml", "--depth", "-1"], "--depth", id="show-depth-negative"),
        pytest.param(["render", "t.yaml", "-o", "-", "--depth", "-1"], "--depth", id="render-depth-negative"),
        pytest.param(
            ["report", "t.yaml", "-o", "OUT/r.html", "--depth", "-1"], "--depth", id="report-depth-negative"
        ),
        pytest.param(
            ["render", "t.yaml", "-o", "-", "--max-rows", "-5"], "--max-rows", id="render-max-rows-negative"
        ),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--points", "0"],
            "--points",
            id="sensitivity-points-zero",
        ),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--points", "-3"],
            "--points",
            id="sensitivity-points-negative",
        ),
        pytest.param(
            ["twoway", "t.yaml", "--params", "p", "v", "--points", "0"], "--points", id="twoway-points-zero"
        ),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--range", "nan", "1"], "--range", id="range-nan"
        ),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--range", "0", "inf"], "--range", id="range-inf"
        ),
        pytest.param(
            ["psa", "psa.yaml", "--draws", "0", "--no-progress"],
            "--draws",
            id="psa-draws-zero",
        ),
        pytest.param(
            ["psa", "psa.yaml", "--draws", "-5", "--no-progress"],
            "--draws",
            id="psa-draws-negative",
        ),
        pytest.param(
            ["psa", "psa.yaml", "--draws", "100", "--chunk-size", "0", "--no-progress"],
            "--chunk-size",
            id="psa-chunk-size-zero",
        ),
        pytest.param(
            ["psa", "psa.yaml", "--draws", "100", "--seed", "-1", "--no-progress"],
            "--seed",
            id="psa-seed-negative",
        ),
        pytest.param(
            ["risk", "t.yaml", "--percentiles", "150"], "--percentiles", id="risk-percentile-over-100"
        ),
        pytest.param(["risk", "t.yaml", "--percentiles", "nan"], "--percentiles", id="risk-percentile-nan"),
        pytest.param(["evaluate", "t.yaml", "--set", "p=nan"], "--set", id="set-nan"),
        pytest.param(["evaluate", "t.yaml", "--set", "v=inf"], "--set", id="set-inf"),
        pytest.param(["evaluate", "t.yaml", "--set", "p=2"], r"\bp\b|probabilit", id="set-probability-two"),
        pytest.param(
            ["evaluate", "t.yaml", "--strategy", "choice=nope"], "nope", id="strategy-unknown-label"
        ),
        pytest.param(["voi", "t.yaml", "--node", "choice"], "choice", id="voi-on-a-decision"),
        pytest.param(["evaluate", "t.yaml", "--utility", "log(x"], r"--utility", id="utility-syntax"),
        pytest.param(
            ["evaluate", "t.yaml", "--risk-tolerance", "q"], r"\bq\b", id="risk-tolerance-unknown-name"
        ),
    ],
)
def test_a_bad_flag_value_is_a_refusal_naming_the_flag(cli, tmp_path, args, flag):
    shutil.copy(CORPUS / "t.yaml", tmp_path / "t.yaml")
    shutil.copy(CORPUS / "psa.yaml", tmp_path / "psa.yaml")
    (tmp_path / "OUT").mkdir()
    assert_refusal(cli(*args, cwd=tmp_path), flag)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "t.yaml", "-o", "missing/x.svg"], id="render"),
        pytest.param(["report", "t.yaml", "-o", "missing/x.html", "--no-sensitivity"], id="report"),
        pytest.param(
            ["sensitivity", "t.yaml", "--param", "p", "--plot", "missing/x.png"], id="sensitivity-plot"
        ),
        pytest.param(["risk", "t.yaml", "--plot", "missing/x.svg"], id="risk-plot"),
        pytest.param(["convert", "t.yaml", "missing/x.json"], id="convert"),
    ],
)
def test_writing_into_a_missing_folder_is_a_refusal_naming_the_path(cli, tmp_path, args):
    shutil.copy(CORPUS / "t.yaml", tmp_path / "t.yaml")
    assert_refusal(cli(*args, cwd=tmp_path), r"missing/x\.\w+|missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders, so the write cannot fail")
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "t.yaml", "-o", "ro/x.svg"], id="render"),
        pytest.param(["report", "t.yaml", "-o", "ro/x.html", "--no-sensitivity"], id="report"),
        pytest.param(["convert", "t.yaml", "ro/x.json"], id="convert"),
    ],
)
def test_writing_into_a_read_only_folder_is_a_refusal_naming_the_path(cli, tmp_path, args):
    shutil.copy(CORPUS / "t.yaml", tmp_path / "t.yaml")
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o555)
    try:
        assert_refusal(cli(*args, cwd=tmp_path), r"ro/x\.\w+")
    finally:
        os.chmod(tmp_path / "ro", 0o755)


# =============================================================================================
# 5. Depth and width: 10^5 deep and 10^6 wide work, or are refused up front
# =============================================================================================
def chain_document(depth: int) -> str:
    """A chain of ``depth`` decisions, each ``stop`` (0) or ``go`` on; ``p`` (1) at the end.

    The text is JSON and also YAML (flow style). Value 1, every decision ``go``,
    ``depth + 1`` strategies.
    """
    head = '"decision": "d%d", "branches": [{"label": "stop", "terminal": 0}, {"label": "go", '
    body = "".join(head % i for i in range(depth)) + '"terminal": "p"' + "}]" * depth
    return '{"evtree": 1, "parameters": {"p": {"value": 1}}, "root": {' + body + "}}\n"


DEPTH_WORDS = r"deep|depth|nest|level"


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_a_file_a_thousand_deep_is_read_and_evaluated(cli, tmp_path, suffix):
    (tmp_path / f"deep.{suffix}").write_text(chain_document(1000))
    data = cli("evaluate", f"deep.{suffix}", "--json", cwd=tmp_path).json()
    assert data["value"] == 1 and data["n_strategies"] == 1001
    assert all(choice == "go" for choice in data["policy"].values()) and len(data["policy"]) == 1000


DEEP_COMMANDS = {
    "evaluate": ["evaluate", "--json"],
    "evaluate-set": ["evaluate", "--json", "--set", "p=2"],
    "validate": ["validate"],
    "risk": ["risk", "--json"],
    "show": ["show", "--depth", "3"],
    "render": ["render", "-o", "deep.svg"],
    "convert": ["convert", "copy.yaml"],
}


@pytest.mark.parametrize(
    "suffix, args",
    [pytest.param("json", args, id=f"json-{name}") for name, args in DEEP_COMMANDS.items()]
    + [pytest.param("yaml", DEEP_COMMANDS["evaluate"], id="yaml-evaluate")],
)
def test_a_file_a_hundred_thousand_deep_works_or_is_refused_up_front(cli, tmp_path_factory, suffix, args):
    folder = tmp_path_factory.getbasetemp() / f"deep-{suffix}"
    if not folder.exists():
        folder.mkdir()
        (folder / f"deep.{suffix}").write_text(chain_document(100_000))
    command, *rest = args
    out = cli(command, f"deep.{suffix}", *rest, cwd=folder, timeout=60)
    assert_answer_or_refusal(out, DEPTH_WORDS)
    if out.status == 0 and "--json" in rest:
        data = out.json()
        if command == "evaluate":
            assert data["value"] == (2 if "--set" in rest else 1)
            assert data["n_strategies"] == 100_001
        else:
            assert [p["outcome"] for p in data["strategies"][0]["profile"]] == [1]


_CHAIN = """
from evtree import Branch, Decision, DecisionTree, EvtreeError, Parameter, Terminal, evaluate

def chain(n, end="p"):
    node = Terminal(end)
    for i in reversed(range(n)):
        node = Decision(f"d{i}", [Branch("stop", Terminal(0)), Branch("go", node)])
    return DecisionTree(node, parameters=[Parameter("p", 1)])

N = 100_000
tree = chain(N)
"""

DEEP_OPERATIONS = {
    "evaluate": "r = evaluate(tree); assert r.value == 1 and len(r.policy) == N and r.n_strategies == N + 1",
    "write-read-yaml": (
        "from evtree import read_tree, write_tree\n"
        "write_tree(tree, 'deep.yaml')\nassert read_tree('deep.yaml') == tree"
    ),
    "write-read-json": (
        "from evtree import read_tree, write_tree\n"
        "write_tree(tree, 'deep.json')\nassert read_tree('deep.json') == tree"
    ),
    "copy": "c = tree.copy(); assert c == tree and c.root is not tree.root",
    "equal": "assert tree == chain(N) and tree != chain(N, end='2*p')",
    "str-repr": "assert 'd0' in str(tree) and repr(tree)",
    "with-parameters": "assert evaluate(tree.with_parameters(p=2)).value == 2",
    "risk-profile": (
        "from evtree.risk import risk_profile\n"
        "rp = risk_profile(tree)\nassert list(rp.outcomes) == [1] and list(rp.probabilities) == [1]"
    ),
    "count-strategies": (
        "from evtree.core.evaluate import count_strategies\nassert count_strategies(tree) == N + 1"
    ),
    "first-strategy": (
        "from evtree.core.evaluate import strategies\n"
        "first = next(iter(strategies(tree)))\nassert first == {'d0': 'stop'}, list(first.items())[:3]"
    ),
}


@pytest.mark.parametrize("operation", list(DEEP_OPERATIONS.values()), ids=list(DEEP_OPERATIONS))
def test_a_tree_a_hundred_thousand_deep_in_python(cli, tmp_path, operation):
    # Works, or raises an EvtreeError that says the tree is too deep; never a RecursionError.
    code = (
        _CHAIN
        + "try:\n"
        + textwrap.indent(operation, "    ")
        + "\nexcept EvtreeError as err:\n"
        + "    import re\n"
        + f"    assert re.search({DEPTH_WORDS!r}, str(err)), f'refused, but not for its depth: {{err}}'\n"
    )
    snippet_ok(cli.python(code, cwd=tmp_path, timeout=60))


def test_a_thousand_decisions_under_one_chance_node(cli, tmp_path):
    # 2^1000 strategies, counted without building the product. Branch i (probability
    # 1/1000) offers take (i) or leave (500): value (500*500 + sum(500..999))/1000 = 624.75.
    branches = [
        {
            "label": f"b{i}",
            "probability": "1/1000",
            "decision": f"d{i}",
            "branches": [{"label": "take", "terminal": i}, {"label": "leave", "terminal": 500}],
        }
        for i in range(1000)
    ]
    doc = {"evtree": 1, "root": {"chance": "draw", "branches": branches}}
    (tmp_path / "wide.json").write_text(json.dumps(doc))
    data = cli("evaluate", "wide.json", "--json", cwd=tmp_path).json()
    assert data["n_strategies"] == 2**1000
    assert data["value"] == pytest.approx(624.75, rel=1e-12)
    assert data["policy"]["d999"] == "take" and data["policy"]["d0"] == "leave"
    exact = cli("evaluate", "wide.json", "--json", "--exact", cwd=tmp_path).json()
    assert exact["value"] == "2499/4"
    out = cli("risk", "wide.json", "--json", cwd=tmp_path)
    assert out.json()["strategies"][0]["statistics"]["mean"] == pytest.approx(624.75, rel=1e-12)


@pytest.mark.slow
def test_a_chance_node_a_million_wide(cli, tmp_path):
    # 10^6 branches of probability 10^-6 (the last: rest) to 0, 1, ..., 999999: EV 499999.5.
    n = 10**6
    items = [f'{{"label":"b{i}","probability":1e-06,"terminal":{i}}}' for i in range(n - 1)]
    items.append(f'{{"label":"b{n - 1}","probability":"rest","terminal":{n - 1}}}')
    (tmp_path / "wide.json").write_text(
        '{"evtree":1,"root":{"chance":"draw","branches":[' + ",".join(items) + "]}}"
    )
    out = cli("evaluate", "wide.json", "--json", cwd=tmp_path, timeout=120, memory=4 * 2**30)
    assert_answer_or_refusal(out, r"branches|wide|nodes|large|limit")
    if out.status == 0:
        assert out.json()["value"] == pytest.approx(499999.5, rel=1e-9)


# =============================================================================================
# 6. Outputs: the input kept, modes kept, symlinks followed, no temporary left, PNG is PNG
# =============================================================================================
@pytest.fixture
def folder(tmp_path):
    shutil.copy(CORPUS / "t.yaml", tmp_path / "t.yaml")
    return tmp_path


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "t.yaml", "-o", "t.yaml"], id="render"),
        pytest.param(["report", "t.yaml", "-o", "t.yaml", "--no-sensitivity"], id="report"),
        pytest.param(["convert", "t.yaml", "t.yaml"], id="convert"),
        pytest.param(["render", "t.yaml", "-o", "alias.yaml"], id="render-through-a-symlink"),
        pytest.param(["render", "t.yaml", "-o", "./sub/../t.yaml"], id="render-through-dot-dot"),
    ],
)
def test_the_input_is_never_overwritten(cli, folder, args):
    (folder / "alias.yaml").symlink_to(folder / "t.yaml")
    (folder / "sub").mkdir()
    before = (folder / "t.yaml").read_bytes()
    assert_refusal(cli(*args, cwd=folder), r"t\.yaml|alias\.yaml", r"input|overwrit")
    assert (folder / "t.yaml").read_bytes() == before
    assert listing(folder) == ["alias.yaml", "sub", "t.yaml"]


OUTPUTS = {
    "render": (["render", "t.yaml", "-o", "OUT.svg"], "OUT.svg"),
    "report": (["report", "t.yaml", "-o", "OUT.html", "--no-sensitivity"], "OUT.html"),
    "convert": (["convert", "t.yaml", "OUT.json"], "OUT.json"),
    "sensitivity-plot": (["sensitivity", "t.yaml", "--param", "p", "--plot", "OUT.svg"], "OUT.svg"),
}


@pytest.mark.parametrize("args, name", list(OUTPUTS.values()), ids=list(OUTPUTS))
def test_an_existing_file_keeps_its_mode(cli, folder, args, name):
    target = folder / name
    target.write_text("old")
    os.chmod(target, 0o644)
    out = cli(*args, cwd=folder, umask=0o077)
    assert out.status == 0, out.brief
    assert target.read_text() != "old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert listing(folder) == sorted(["t.yaml", name])  # no temporary left


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
@pytest.mark.parametrize("args, name", list(OUTPUTS.values()), ids=list(OUTPUTS))
def test_a_new_file_honours_the_umask(cli, folder, args, name, umask, mode):
    out = cli(*args, cwd=folder, umask=umask)
    assert out.status == 0, out.brief
    assert stat.S_IMODE((folder / name).stat().st_mode) == mode
    assert listing(folder) == sorted(["t.yaml", name])


@pytest.mark.parametrize("args, name", list(OUTPUTS.values()), ids=list(OUTPUTS))
def test_a_symlink_is_written_through(cli, folder, args, name):
    (folder / "real").mkdir()
    real = folder / "real" / name
    real.write_text("old")
    (folder / name).symlink_to(real)
    out = cli(*args, cwd=folder)
    assert out.status == 0, out.brief
    assert (folder / name).is_symlink()
    assert real.read_text() != "old"
    assert listing(folder) == sorted(["t.yaml", name, "real"])
    assert listing(folder / "real") == [name]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "t.yaml", "-o", "x.png"], id="render-png"),
        pytest.param(["render", "t.yaml", "-o", "x.PNG"], id="render-png-upper"),
    ],
)
def test_a_png_is_a_png_or_refused(cli, folder, args):
    out = cli(*args, cwd=folder)
    assert_answer_or_refusal(out, r"\.png|PNG|png")
    target = folder / args[-1]
    if out.status == 0:
        assert target.read_bytes()[:8] == PNG_SIGNATURE
    else:
        assert not target.exists()
    assert [n for n in listing(folder) if n.endswith(".tmp")] == []


@pytest.mark.parametrize("suffix, signature", [("pdf", b"%PDF-"), ("jpg", b"\xff\xd8\xff")])
def test_render_writes_what_its_suffix_says_or_refuses(cli, folder, suffix, signature):
    out = cli("render", "t.yaml", "-o", f"x.{suffix}", cwd=folder)
    assert_answer_or_refusal(out, re.escape(suffix))
    if out.status == 0:
        assert (folder / f"x.{suffix}").read_bytes().startswith(signature)
    else:
        assert not (folder / f"x.{suffix}").exists()


def test_a_plot_with_an_unknown_suffix_is_refused_and_leaves_nothing(cli, folder):
    assert_refusal(
        cli("sensitivity", "t.yaml", "--param", "p", "--plot", "x.txt", cwd=folder), r"--plot", r"x\.txt"
    )
    assert listing(folder) == ["t.yaml"]


def test_an_output_that_is_a_folder_is_refused_and_leaves_nothing(cli, folder):
    (folder / "taken.svg").mkdir()
    assert_refusal(cli("render", "t.yaml", "-o", "taken.svg", cwd=folder), r"taken\.svg")
    assert listing(folder) == ["t.yaml", "taken.svg"]
    assert listing(folder / "taken.svg") == []


# =============================================================================================
# 7. Validation: every problem in one run, with file:line and the name meant
# =============================================================================================
PROBLEMS = [  # (line in many_problems.yaml, what is wrong there, the name meant)
    pytest.param(8, r"sdd", r"\bsd\b", id="distribution-key-sdd"),
    pytest.param(10, r"alpha", r"positive|negative|> ?0|-1", id="dirichlet-negative-alpha"),
    pytest.param(13, r"asuming", r"\bassuming\b", id="claim-key-asuming"),
    pytest.param(14, r"dominence", r"\bdominance\b", id="claim-kind-dominence"),
    pytest.param(23, r"probabilty", r"\bprobability\b", id="branch-key-probabilty"),
    pytest.param(24, r"\bpp\b", r"'p'|\bp\b", id="unknown-parameter-pp"),
]


def reported_at(report: str, name: str, line: int) -> list[str]:
    """The lines of ``report`` placed at ``name:line``, each with the indented lines after it."""
    lines = report.splitlines()
    found = []
    for i, text in enumerate(lines):
        if re.search(rf"{re.escape(name)}:{line}\b", text):
            more = []
            for after in lines[i + 1 :]:
                if not after.startswith(" "):
                    break
                more.append(after)
            found.append("\n".join([text, *more]))
    return found


def test_validate_reports_every_problem_in_one_run(cli):
    out = cli("validate", "many_problems.yaml")
    assert_finished(out)
    assert out.status == 2, out.brief
    assert "Traceback" not in out.stderr
    report = out.stderr + out.stdout
    for param in PROBLEMS:
        line, bad, meant = param.values
        at = reported_at(report, "many_problems.yaml", line)
        assert at, f"validate does not report line {line} ({bad}): {report!r}"
        assert any(re.search(bad, text) and re.search(meant, text) for text in at), (line, at)


def _one_problem(text: str, line: int) -> str:
    """many_problems.yaml with every problem mended but the one on ``line``."""
    mended = {
        8: ("sdd: 0.1", "sd: 0.1"),
        10: ("alpha: [-1, 2]", "alpha: [1, 2]"),
        13: ("asuming:", "assuming:"),
        14: ("kind: dominence", "kind: dominance"),
        23: ("probabilty: p", "probability: p"),
        24: ("terminal: pp", "terminal: p"),
    }
    for at, (old, new) in mended.items():
        if at != line:
            text = text.replace(old, new)
    return text


@pytest.mark.parametrize("line, bad, meant", PROBLEMS)
def test_validate_locates_each_problem_alone_with_the_name_meant(cli, tmp_path, line, bad, meant):
    (tmp_path / "one.yaml").write_text(_one_problem((CORPUS / "many_problems.yaml").read_text(), line))
    out = cli("validate", "one.yaml", cwd=tmp_path)
    assert_finished(out)
    assert out.status == 2, out.brief
    assert "Traceback" not in out.stderr
    at = reported_at(out.stderr + out.stdout, "one.yaml", line)
    assert any(re.search(bad, text) and re.search(meant, text) for text in at), (out.brief, at)


@pytest.mark.parametrize(
    "command, line, bad, meant",
    [
        pytest.param(["check", "--no-search"], 13, r"asuming", r"\bassuming\b", id="check-claim-key-asuming"),
        pytest.param(
            ["check", "--no-search"], 14, r"dominence", r"\bdominance\b", id="check-claim-kind-dominence"
        ),
        pytest.param(
            ["psa", "--draws", "10", "--seed", "1", "--no-progress"], 8, r"sdd", r"\bsd\b", id="psa-sdd"
        ),
        pytest.param(
            ["psa", "--draws", "10", "--seed", "1", "--no-progress"],
            10,
            r"alpha",
            r"-1|negative|positive",
            id="psa-alpha",
        ),
        pytest.param(["evaluate"], 23, r"probabilty", r"\bprobability\b", id="evaluate-probabilty"),
        pytest.param(["evaluate"], 24, r"\bpp\b", r"'p'|\bp\b", id="evaluate-pp"),
    ],
)
def test_a_command_refuses_the_problem_it_meets_in_one_line(cli, tmp_path, command, line, bad, meant):
    (tmp_path / "one.yaml").write_text(_one_problem((CORPUS / "many_problems.yaml").read_text(), line))
    out = cli(command[0], "one.yaml", *command[1:], cwd=tmp_path)
    message = assert_refusal(out, rf"one\.yaml:{line}\b", bad)
    assert re.search(meant, message + out.stderr.split(message, 1)[1]), (message, out.stderr)


def test_the_mended_file_is_valid(cli, tmp_path):
    # the control: with every problem mended, the same file validates
    (tmp_path / "ok.yaml").write_text(_one_problem((CORPUS / "many_problems.yaml").read_text(), 0))
    out = cli("validate", "ok.yaml", cwd=tmp_path)
    assert out.status == 0, out.brief


@pytest.mark.parametrize(
    "name, key",
    [
        ("duplicate_keys.json", "terminal"),
        ("duplicate_top_keys.json", "root"),
        ("duplicate_keys.yaml", "terminal"),
    ],
)
def test_duplicate_keys_are_refused_with_the_place(cli, name, key):
    for command in ("validate", "evaluate"):
        assert_refusal(cli(command, name), in_file(name), rf"\b{key}\b", r"duplicate|twice|repeated")


@pytest.mark.parametrize(
    "name, good",
    [
        pytest.param("yaml11_octal_label.yaml", {"choice": "012"}, id="label-012"),
        pytest.param("yaml11_boolean_label.yaml", {"choice": "no"}, id="label-no"),
        pytest.param("yaml11_octal_terminal.yaml", 12, id="terminal-012"),
        pytest.param("yaml11_sexagesimal.yaml", None, id="terminal-1:30"),
    ],
)
def test_yaml_1_1_readings_are_refused_or_read_as_written(cli, name, good):
    out = cli("evaluate", name, "--json", "--exact")
    assert_answer_or_refusal(out, in_file(name))
    if out.status == 0:
        data = out.json()
        assert good is not None, f"{name}: read as {data['strategies']}"
        if isinstance(good, dict):  # labels as written: 012 (1) against b (2), no (2) against yes (1)
            labels = {s["policy"]["choice"] for s in data["strategies"]}
            assert set(good.values()) <= labels, labels
        else:
            assert data["value"] == good  # 012 is twelve, not the octal ten (and beats 11)
    for command in ("validate",):
        out = cli(command, name)
        assert_answer_or_refusal(out, in_file(name))


@pytest.mark.parametrize(
    "name",
    ["fullwidth_parameter.yaml", "fullwidth_function.yaml", "fullwidth_name.yaml", "fullwidth_digit.yaml"],
)
@pytest.mark.parametrize("command", ["validate", "evaluate"])
def test_non_ascii_names_are_refused_with_the_place(cli, name, command):
    assert_refusal(cli(command, name), in_file(name), r"ASCII|ascii|[\uff00-\uffef]")


@pytest.mark.parametrize(
    "old, new, field",
    [
        pytest.param("terminal: 4\n", "terminal: 4\n      bogus: 1\n", "bogus", id="unknown-key"),
        pytest.param("terminal: v}", "terminal: vv}", r"\bvv\b", id="unknown-parameter"),
        pytest.param("probability: p,", "probability: 2,", "probabilit", id="probability-over-one"),
        pytest.param(
            "probability: rest,", "probability: 0.9,", "probabilit|sum", id="probabilities-not-summing"
        ),
        pytest.param("{label: lose,", "{label: win,", "win|label", id="duplicate-label"),
        pytest.param("probability: p,", "probability: rest,", "rest", id="two-rests"),
        pytest.param(
            "label: sure\n      terminal: 4",
            "label: sure\n      terminal: 4\n      probability: 1",
            "probability",
            id="probability-under-a-decision",
        ),
        pytest.param(
            "terminal: 4\n", "decision: empty\n      branches: []\n", "branches|empty", id="empty-decision"
        ),
        pytest.param("low: 0, high: 1}", "low: 1, high: 0}", "low|high", id="bounds-reversed"),
        pytest.param("terminal: v}", "terminal: 'v +* 2'}", "terminal", id="expression-syntax"),
    ],
)
def test_model_problems_are_located_in_the_file(cli, tmp_path, old, new, field):
    text = (CORPUS / "t.yaml").read_text()
    assert old in text
    (tmp_path / "t.yaml").write_text(text.replace(old, new, 1))
    assert_refusal(cli("validate", "t.yaml", cwd=tmp_path), in_file("t.yaml") + r"|node '[^']+'", field)


def test_the_hand_worked_values_of_the_corpus():
    """The constants above, checked a second way (high precision, no shortcuts)."""
    import mpmath

    mpmath.mp.dps = 60
    e = mpmath.e
    assert CE_Y == pytest.approx(float(-50 * mpmath.log((1 + e ** (-mpmath.mpf(10) / 50)) / 2)), rel=1e-14)
    assert 10 - math.log(2) / 37 == pytest.approx(float(mpmath.log((e**370 + 1) / 2) / 37), rel=1e-14)
    gamble = -5 * mpmath.log((e ** (-40) + e ** (-60)) / 2)  # R = 5, outcomes 200 and 300
    assert gamble < 250 and float(gamble) == pytest.approx(CE_GAMBLE, rel=1e-14)
    ruin = -5 * mpmath.log((e**1000 + e ** (-60)) / 2)
    assert ruin < -150
    better, worse = (-5 * mpmath.log((e ** (n / 5) + 1) / 2) for n in (5000, 6000))
    assert worse < better and float(better) == pytest.approx(-5000 + 5 * math.log(2), rel=1e-12)
    assert (500 * 500 + sum(range(500, 1000))) / 1000 == 624.75
    assert mpmath.sqrt(760) - 20 == pytest.approx(7.5680975, abs=1e-7)


# =============================================================================================
# 8. Found by the property test (tests/test_cli_property.py), kept as cases
# =============================================================================================
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["render", "formula_parameter.yaml", "-o", "x.svg"], id="render"),
        pytest.param(["report", "formula_parameter.yaml", "-o", "x.html", "--no-sensitivity"], id="report"),
    ],
)
def test_a_formula_parameter_is_drawn(cli, tmp_path, args):
    shutil.copy(CORPUS / "formula_parameter.yaml", tmp_path)
    out = cli(*args, cwd=tmp_path)
    assert_finished(out)
    assert out.status == 0, out.brief
    assert b"<svg" in (tmp_path / args[-1 if args[0] == "render" else -2]).read_bytes()
    data = cli("evaluate", "formula_parameter.yaml", "--exact", "--json").json()
    assert data["value"] == 4 and data["policy"] == {"choice": "sure"}
    assert [s["value"] for s in data["strategies"]] == ["1/4", 4]


def test_a_claim_naming_a_node_by_a_number_is_a_located_refusal(cli):
    for command in (["check"], ["validate"]):
        assert_refusal(cli(*command, "claim_node_number.yaml"), in_file("claim_node_number.yaml"), r"node")
