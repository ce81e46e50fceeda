"""Shared fixtures: the bundled case, the test cases under tests/cases, and a case builder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import srccrit

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "cases"
BUNDLED = ROOT / "data" / "sino-soviet-korea" / "case.yaml"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def bundled():
    return srccrit.load_case(BUNDLED)


@pytest.fixture(scope="session")
def tonkin():
    return srccrit.load_case(CASES / "tonkin")


DEFAULT_BIB = "\n".join(
    f"@misc{{{k}, title = {{Source {k}}}, year = {{{1950 + i}}}}}" for i, k in enumerate(["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "arch"])
)


@pytest.fixture
def make_case(tmp_path):
    """Write a case (YAML text, dedented) and a bibliography; return the case.yaml path."""

    def _make(yaml_text: str, bib: str = DEFAULT_BIB, name: str = "case") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(yaml_text).lstrip()
        if "bibliography:" not in text:
            text = "bibliography: refs.bib\n" + text
        (folder / "refs.bib").write_text(bib, encoding="utf-8")
        (folder / "case.yaml").write_text(text, encoding="utf-8")
        return folder / "case.yaml"

    return _make


def write_witness_case(folder: Path, case_id: str, witnesses: list[str], propositions: list[str], claims: list[str],
                       source=lambda w: f"src-{w}", name=lambda w: f"Witness {w}") -> Path:
    """A generated case: each witness a historian with one monograph of his own (``source(w)``,
    in refs.bib), the given proposition and claim lines (YAML, indented) after them; returns the
    case.yaml path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = [f"case: {case_id}", "bibliography: refs.bib", "sources:"]
    out += [f"  {source(w)}: {{kind: monograph, date: 2000, author: {w}}}" for w in witnesses]
    out += ["witnesses:"] + [f"  {w}: {{name: {name(w)}, proximity: historian}}" for w in witnesses]
    out += ["propositions:", *propositions, "claims:", *claims]
    (folder / "case.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    (folder / "refs.bib").write_text("".join(f"@book{{{source(w)}, title = {{Book of {w}}}, year = {{2000}}}}\n" for w in witnesses), encoding="utf-8")
    return folder / "case.yaml"
