"""The HTML report and the ``report`` and ``render`` commands.

Numbers are worked out by hand: the essays' tree is worth 41/2 = 20.5 at its
defaults (talks = 0.25*v_deal - 4.5, so v_deal = 10 makes no talks best); Clemen's
Texaco-Pennzoil tree is worth 11587/2500 = 4.6348.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evtree.cli.main import main
from evtree.display import evaluation_html, frame_html, mathml
from evtree.report import report_html, write_report

ROOT = Path(__file__).resolve().parent.parent
KOREA = str(ROOT / "trees" / "korea_talks.yaml")
TEXACO = str(ROOT / "trees" / "texaco_pennzoil.yaml")


class Page(HTMLParser):
    """Collect tags, attributes, section ids and text of a page (and check it nests)."""

    VOID = {"meta", "img", "br", "link", "input", "hr"}

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def ids(self) -> list[str]:
        return [a["id"] for _t, a in self.tags if "id" in a]

    def count(self, tag: str, cls: str | None = None) -> int:
        return sum(1 for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split()))


@pytest.fixture(scope="module")
def korea_page() -> str:
    import evtree

    return report_html(evtree.read_tree(KOREA), source="korea_talks.yaml")


def test_report_is_one_self_contained_page(korea_page):
    page = Page(korea_page)
    assert page.stack == ["html"] or page.stack == []  # every element closed (html may be implicit)
    assert korea_page.startswith("<!DOCTYPE html>")
    # nothing is fetched: every address is inline data or a fragment, and there is no script
    for _tag, attrs in page.tags:
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith(("data:", "#")), attrs[key]
    assert page.count("script") == 0 and page.count("link") == 0
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", korea_page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML"}


def test_report_sections_and_tree(korea_page):
    page = Page(korea_page)
    for section in ("model", "answer", "tree", "strategies", "symbolic", "sensitivity", "risk", "claims"):
        assert section in page.ids()
    # the tree: 4 decisions, 1 chance node, 7 end points, drawn inline with exact values
    assert page.count("svg", "evtree-tree") == 1
    assert page.count("rect", "evt-decision") == 4
    assert page.count("circle", "evt-chance") == 1
    assert page.count("polygon", "evt-terminal") == 7
    svg = re.search(r"<svg .*?</svg>", korea_page, re.S).group(0)
    assert "exact arithmetic" in svg
    values = [
        t.text
        for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
        if "evt-value" in t.get("class")
    ]
    assert values[0] == "20.5"  # the root comes first
    text = "".join(page.text)
    assert "41/2 = 20.5" in text  # issue 18: the fraction and its decimal (was "exactly 41/2")
    # strategies: 9 of them (8 after talks, 1 without), the optimal one in bold
    table = re.search(r'<section id="strategies">.*?</section>', korea_page, re.S).group(0)
    assert len(re.findall(r"<tr>", table)) == 1 + 9
    assert len(re.findall(r"font-weight:bold", table)) == 7  # the optimal row's 7 cells
    # symbolic values: the root and the 8 options of 4 decisions, as MathML
    symbolic = re.search(r'<section id="symbolic">.*?</section>', korea_page, re.S).group(0)
    assert symbolic.count("<math") == 1 + 8
    assert "after_flouts: say no" in symbolic
    # plots are SVG images
    assert "data:image/svg+xml;base64," in korea_page


def test_report_thresholds_and_plots(korea_page):
    # thresholds by hand, the other parameters at their defaults:
    #   talks = 0.25*v_deal - 4.5                    -> v_deal = 18
    #   talks = 53 - 130*p_defect                    -> p_defect = 53/130 = 0.407692
    #   talks = 65.5 - 90*p_flout                    -> p_flout = 131/180 = 0.727778
    #   after_defect: v_soft - 2 = -2 - l_defect     -> v_soft = -40, l_defect = 30
    #   talks = 22.5 - c_talk > 0 on [0, 20]; g_flout and v_demands change nothing
    section = re.search(r'<section id="sensitivity">.*?</section>', korea_page, re.S).group(0)
    rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", section)
    found = {name: re.findall(r"≈ ([^<\s]+)", rest) for name, rest in rows}
    assert found == {
        "p_flout": ["0.727778"],
        "p_defect": ["0.407692"],
        "c_talk": [],
        "v_deal": ["18"],
        "g_flout": [],
        "v_demands": [],
        "v_soft": ["\u221240"],
        "l_defect": ["30"],
    }
    v_deal = dict(rows)["v_deal"]
    assert re.findall(r"<td>([^<]+)</td>", v_deal)[-2:] == [
        "us_choice=no talks",
        "us_choice=talks, after_complies=accept, after_flouts=say no, after_defect=accept",
    ]
    assert "not verified" not in section
    # a tornado, one one-way plot for each of the five parameters with a threshold, and (issue 18)
    # the two-way regions of the first two, drawn from their exact boundaries
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', section)
    assert len(images) == 1 + 5 + 1
    import base64

    assert "exact boundaries" in base64.b64decode(images[-1]).decode()


def test_report_claims_verdicts(korea_page):
    import evtree

    tree = evtree.read_tree(KOREA)
    claims = re.search(r'<section id="claims">.*?</section>', korea_page, re.S).group(0)
    assert len(re.findall(r"<tr>", claims)) == 1 + len(tree.claims)
    verdicts = re.findall(r"class='verdict-(\w+)'", claims)
    assert len(verdicts) == len(tree.claims)
    assert set(verdicts) <= {"proven", "refuted", "undecided"}


def test_claims_by_hand_on_a_tree_without_parameters(texaco):
    # Texaco-Pennzoil is worth 4.6348 (no parameters), so the first claim holds and the second fails
    texaco.claims = ["EV(liedtke) >= 4.6", "EV(accept 2) >= EV(counteroffer 5)"]
    page = report_html(texaco)
    claims = re.search(r'<section id="claims">.*?</section>', page, re.S).group(0)
    assert re.findall(r"class='verdict-(\w+)'", claims) == ["proven", "refuted"]
    assert "The tree has no parameters" in page


def test_report_at_other_values(korea):
    page = report_html(korea, {"v_deal": 10}, sensitivity=False, claims=False)
    answer = re.search(r'<section id="answer">.*?</section>', page, re.S).group(0)
    assert '<span class="value">0</span>' in answer
    assert "us_choice: <b>no talks</b>" in answer
    model = re.search(r'<section id="model">.*?</section>', page, re.S).group(0)
    assert ">default<" in model  # the table shows both the value used and the default
    row = re.search(r"<tr><td[^>]*>v_deal</td>(.*?)</tr>", model).group(1)
    assert re.findall(r">([^<]+)</td>", row)[:2] == ["10", "100"]


def test_report_without_optional_sections(texaco):
    page = report_html(texaco, sensitivity=False, claims=False)
    ids = Page(page).ids()
    assert "sensitivity" not in ids and "claims" not in ids and "tree" in ids


def test_write_report_is_atomic(tmp_path, texaco):
    out = tmp_path / "r.html"
    n = write_report(texaco, out, sensitivity=False)
    assert out.stat().st_size == n
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# -- display helpers ---------------------------------------------------------------------------


def test_evaluation_html(korea):
    import evtree

    html = evaluation_html(evtree.evaluate(korea, method="exact"))
    assert "<b>41/2 = 20.5</b>" in html and "evtree-tree" in html  # issue 18: fraction and decimal
    sym = evaluation_html(evtree.evaluate(korea, method="symbolic"))
    assert "$$" in sym and "\\max" in sym  # LaTeX for JupyterLab's MathJax
    assert "At the default parameters: 41/2 = 20.5" in sym  # issue 18: fraction and decimal


def test_frame_html_and_mathml():
    import pandas as pd
    import sympy

    frame = pd.DataFrame({"value": [sympy.Rational(1, 3), 2.5], "optimal": [False, True]})
    html = frame_html(frame)
    assert "1/3" in html and "2.5" in html and html.count("font-weight:bold") == 3
    assert mathml(sympy.Rational(1, 2)).startswith("<math")
    assert "<mfrac>" in mathml(sympy.Rational(1, 2))


# -- command line -----------------------------------------------------------------------------


def test_cli_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", TEXACO, "-o", str(out), "--no-sensitivity", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"output": str(out), "bytes": out.stat().st_size}
    assert "4.6348" in out.read_text()


def test_cli_render(tmp_path, capsys):
    out = tmp_path / "tree.svg"
    assert main(["render", KOREA, "-o", str(out), "--set", "v_deal=10"]) == 0
    assert "wrote" in capsys.readouterr().out
    svg = ET.fromstring(out.read_text())
    optimal = {
        g.get("data-path")
        for g in svg.iter("{http://www.w3.org/2000/svg}g")
        if "evt-optimal" in g.get("class", "")
    }
    assert optimal == {"us_choice/no talks"}
    assert main(["render", TEXACO, "--depth", "1", "--exact"]) == 0
    svg = ET.fromstring(capsys.readouterr().out)
    assert (
        sum(1 for el in svg.iter() if el.get("class") in ("evt-decision", "evt-chance", "evt-terminal")) == 3
    )
    assert main(["render", TEXACO, "--subtree", "liedtke_on_3", "--no-values", "--no-legend"]) == 0
    svg = ET.fromstring(capsys.readouterr().out)
    assert sum(1 for el in svg.iter() if el.get("class") == "evt-terminal") == 4


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["render", TEXACO, "--subtree", "nowhere", "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("evtree render: error:") and "nowhere" in err and "\n" not in err
    assert not list(tmp_path.iterdir())  # nothing written
    assert main(["report", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "r.html")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_render_names_and_probabilities(capsys):
    assert main(["render", KOREA, "--names", "--probabilities"]) == 0
    svg = capsys.readouterr().out
    assert 'class="evt-name"' in svg and ">north_response<" in svg
    # allies defect (p_defect = 1/4 at the defaults), then accept: reached with probability 0.25
    assert ">p = 0.25<" in svg
    assert main(["render", KOREA]) == 0
    assert 'class="evt-name"' not in capsys.readouterr().out
