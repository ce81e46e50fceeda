"""Notebooks: built with nbformat, executed on a real kernel, valid, deterministic, escaped."""

import json

import nbformat
import pytest

import srccrit
from srccrit.cli import main
from srccrit.io.notebooks import build_notebooks, conclusion_notebook, overview_notebook

from conftest import CASES

pytestmark = pytest.mark.kernel


def test_notebooks_execute_without_errors_and_are_byte_identical(tmp_path):
    import tempfile
    from pathlib import Path

    kernels_before = set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*"))
    a = tmp_path / "a"
    b = tmp_path / "b"
    assert main(["notebook", str(CASES / "tonkin"), "-o", str(a), "--html"]) == 0
    assert main(["notebook", str(CASES / "tonkin"), "-o", str(b), "--html"]) == 0
    names = sorted(p.name for p in a.glob("*.ipynb"))
    assert names == ["conclusion-no-second-attack.ipynb", "conclusion-three-boats.ipynb", "overview.ipynb"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        nb = nbformat.read(a / name, as_version=4)
        nbformat.validate(nb)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert outputs and not [o for o in outputs if o.output_type == "error"]
        assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
        assert (a / name).with_suffix(".html").exists()
    overview = nbformat.read(a / "overview.ipynb", as_version=4)
    pngs = [o for c in overview.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 4  # reliability, support matrix, timeline, contradictions
    ledger = nbformat.read(a / "conclusion-no-second-attack.ipynb", as_version=4)
    html = "".join(o["data"].get("text/html", "") for c in ledger.cells if c.cell_type == "code" for o in c.outputs if "data" in o)
    assert ">James B. Stockdale<" in html and ">stockdale1984<" in html and ">p. 19<" in html  # the evidence ledger: who, where
    assert ">hanyok2005<" in html and ">nan<" not in html and ">True<" not in html
    text = "".join(o.get("text", "") for c in ledger.cells if c.cell_type == "code" for o in c.outputs)
    assert "\\cite{hanyok2005,stockdale1984}" in text
    assert set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*")) == kernels_before  # kernel socket folders removed


def test_unexecuted_notebooks_load_the_case_relatively(bundled, tmp_path):
    out = tmp_path / "nb"
    paths = build_notebooks(bundled, out, execute_cells=False)
    assert len(paths) == 1 + len(bundled.conclusions)
    src = nbformat.read(paths[0], as_version=4).cells[1].source
    assert "srccrit.load_and_fit('" in src and "data/sino-soviet-korea/case.yaml" in src and not src.split("load_and_fit('")[1].startswith("/")
    assert src.startswith("%matplotlib inline")


XSS = """
    case: xss
    title: "<script>alert('title')</script> and <img src=x onerror=alert('img')>"
    sources: {s1: {kind: memoir}}
    witnesses: {w: {name: "<img src=x onerror=alert('witness')>", side: "<b>bold</b>"}}
    propositions: {p: {text: "<script>alert('prop')</script>"}}
    conclusions: {c: {text: "<img src=y onerror=alert('conclusion')>", rests_on: {p: true}}}
    claims: [{id: c1, witness: w, source: s1, proposition: p, stance: affirms, quote: "<script>alert('quote')</script>"}]
"""


def test_payloads_stay_text_in_notebook_markdown(make_case, tmp_path):
    case = srccrit.load_case(make_case(XSS))
    nb = conclusion_notebook(case, "c", tmp_path)
    md = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<img" not in md and "<script" not in md and "&lt;img src=x onerror=alert" in md
    md = "".join(c.source for c in overview_notebook(case, tmp_path).cells if c.cell_type == "markdown")
    assert "<script" not in md


def test_notebook_files_are_json_with_fixed_ids(bundled, tmp_path):
    paths = build_notebooks(bundled, tmp_path, execute_cells=False)
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    ids = [c["id"] for c in data["cells"]]
    assert ids == [f"overview-{i:02d}" for i in range(len(ids))]


def test_a_fragile_conclusion_says_so_first(bundled, tmp_path):
    sup = srccrit.support(bundled)
    nb = conclusion_notebook(bundled, "stalin-turned-in-january-1950", tmp_path, sup.loc["stalin-turned-in-january-1950"].to_dict())
    first = nb.cells[0].source
    assert "**Fragile**" in first and "Zubok" in first and "*contested*" in first
    calm = conclusion_notebook(bundled, "stalin-approved-invasion", tmp_path, sup.loc["stalin-approved-invasion"].to_dict())
    assert "Fragile" not in calm.cells[0].source
    gao = conclusion_notebook(bundled, "gao-offered-manchuria", tmp_path, sup.loc["gao-offered-manchuria"].to_dict())
    assert "Sole support" in gao.cells[0].source and "Kovalev" in gao.cells[0].source
