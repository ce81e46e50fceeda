"""What a reader sees: the report's index.html, the notebooks' HTML and JupyterLab, rendered in
headless Chromium (Debian's package, driven by Playwright without a browser download).
Screenshots are saved under tests/artifacts/."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import srccrit
from srccrit.report import build_report

from conftest import ARTIFACTS
from test_notebooks import XSS

pytestmark = [pytest.mark.browser, pytest.mark.kernel]
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory, bundled):
    out = tmp_path_factory.mktemp("report") / "out"
    build_report(bundled, out)
    return out


@pytest.fixture(scope="module")
def xss_report(tmp_path_factory):
    import textwrap

    folder = tmp_path_factory.mktemp("xss")
    (folder / "refs.bib").write_text("@misc{s1, title = {S1}, year = {1950}}\n", encoding="utf-8")
    (folder / "case.yaml").write_text("bibliography: refs.bib\n" + textwrap.dedent(XSS).lstrip(), encoding="utf-8")
    case = srccrit.load_case(folder)
    build_report(case, folder / "out")
    return folder / "out"


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_index_html_opened_as_a_file(page, report, bundled):
    page.goto((report / "index.html").as_uri())
    rows = page.locator("#support table tbody tr")
    assert rows.count() == len(bundled.conclusions)
    assert page.locator("#reliability table tbody tr").count() == len(bundled.witnesses)
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("img").count() == 4
    assert page.locator("figure figcaption").count() == 4 and page.locator("table caption").count() == 2
    assert all(page.locator("img").nth(i).get_attribute("alt") for i in range(4))
    links = page.locator("#conclusions li > a:first-child")
    assert links.count() == len(bundled.conclusions)
    assert page.locator("#conclusions a[href$='.pdf']").count() == len(bundled.conclusions)  # each evidence chart, for print
    assert "well-supported" in page.locator("#definitions").inner_text()  # the verdict bands defined where they are used
    shot(page, "index")
    # every link points at a file that exists
    for href in page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))"):
        assert (report / href).exists(), href


def test_pages_fit_800_pixels_and_fetch_nothing(browser, report):
    """At 800 px the index and a notebook page scroll only vertically (wide tables scroll in their
    own box), and neither asks the network for anything."""
    context = browser.new_context(viewport={"width": 800, "height": 900})
    pg = context.new_page()
    outside = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    for name in ("index.html", "notebooks/conclusion-gao-offered-manchuria.html", "notebooks/overview.html"):
        pg.goto((report / name).as_uri(), wait_until="load")
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (name, overflow)
        assert pg.title() and pg.title() != "Notebook"
    assert outside == []
    assert pg.title().startswith(report.parent.name) or "—" in pg.title()
    context.close()


def test_notebook_html_shows_the_ledger_and_the_chart(page, report):
    page.goto((report / "notebooks" / "conclusion-gao-offered-manchuria.html").as_uri(), wait_until="domcontentloaded")
    page.wait_for_selector("table")
    text = page.locator("body").inner_text()
    ledger = page.locator("table", has_text="against").last.inner_text()
    assert "Ivan V. Kovalev" in ledger and "Shi Zhe" in ledger and "nan" not in ledger.split() and "True" not in ledger.split()
    shot(page, "conclusion-html")
    page.goto((report / "notebooks" / "overview.html").as_uri(), wait_until="domcontentloaded")
    page.wait_for_function("Array.from(document.images).filter(i => i.naturalWidth > 0).length >= 4")
    shot(page, "overview-html")


def test_payloads_render_as_text_and_no_script_runs(page, xss_report):
    for rel in ["index.html", "notebooks/overview.html", "notebooks/conclusion-c.html"]:
        page.goto((xss_report / rel).as_uri(), wait_until="domcontentloaded")
        page.wait_for_timeout(300)
        body = page.locator("body").inner_text()
        assert "<img src=x onerror=alert('witness')>" in body or "<img src=y onerror=alert('conclusion')>" in body or "<script>alert('title')</script>" in body, rel
        assert page.evaluate("document.querySelectorAll('img[onerror]').length") == 0, rel
        assert page.evaluate("Array.from(document.scripts).filter(s => s.textContent.includes(\"alert('\")).length") == 0, rel
    shot(page, "xss-conclusion-html")
    assert page.dialogs == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, report, xss_report):
    root = tmp_path_factory.mktemp("labroot")
    shutil.copytree(report, root / "case", symlinks=False)
    shutil.copytree(xss_report, root / "xss")
    # the notebooks load their case by a relative path; keep it valid from the copies
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".cfg"), JUPYTER_RUNTIME_DIR=str(root / ".rt"))
    settings = root / ".settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # start a notebook's own kernel without asking (Lab may otherwise put up "Select Kernel", a modal dialog)
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text('{"autoStartDefaultKernel": true}')
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--LabApp.extension_manager=readonly",
           "--LabApp.news_url=None", f"--LabApp.workspaces_dir={root / '.ws'}", f"--LabApp.user_settings_dir={settings}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"]
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("JupyterLab exited: " + (root / "lab.log").read_text())
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start: " + (root / "lab.log").read_text())
    yield base, token
    try:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"), timeout=5)
    except OSError:
        pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def test_jupyterlab_renders_the_evidence_table_and_the_reliability_chart(page, lab):
    base, token = lab
    page.goto(f"{base}/lab/tree/case/notebooks/overview.ipynb?token={token}")
    page.wait_for_selector(f"{PANEL} .jp-OutputArea-output table", timeout=60_000)
    page.wait_for_selector(f"{PANEL} .jp-RenderedImage img", timeout=60_000)
    # the first figure of the overview is the reliability chart; Lab renders the others as they scroll into view
    first = page.locator(f"{PANEL} .jp-RenderedImage img").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 500", arg=first.element_handle(), timeout=30_000)
    shot(page, "lab-overview")
    page.goto(f"{base}/lab/tree/case/notebooks/conclusion-gao-offered-manchuria.ipynb?token={token}")
    table = page.wait_for_selector(f"{PANEL} .jp-OutputArea-output table", timeout=60_000)
    assert table is not None
    page.wait_for_function("document.body.innerText.includes('floated Stalin a proposal to make Manchuria')", timeout=30_000)
    shot(page, "lab-conclusion")


def test_jupyterlab_shows_payloads_as_text(page, lab):
    base, token = lab
    page.goto(f"{base}/lab/tree/xss/notebooks/conclusion-c.ipynb?token={token}")
    page.wait_for_selector(f"{PANEL} .jp-OutputArea-output table", timeout=60_000)
    page.wait_for_function("document.body.innerText.includes(\"onerror=alert('conclusion')\")", timeout=30_000)
    page.wait_for_timeout(500)
    shot(page, "lab-xss")
    assert page.dialogs == []


def test_jupyterlab_drives_the_what_if_explorer(page, lab):
    """The explorer is a live widget in a real JupyterLab: unticking Kovalev, the only witness for
    Gao Gang's offer, re-estimates it below its baseline and names him; "reset all" restores it."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    base, token = lab
    nb = new_notebook(cells=[new_code_cell("import srccrit\ncase = srccrit.load_case('case/case/data/sino-soviet-korea/case.yaml')", id="a"),
                             new_code_cell("x = srccrit.explore(case, 'gao-offered-manchuria')\nx", id="b")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    body = json.dumps({"type": "notebook", "format": "json", "content": nb})
    req = urllib.request.Request(f"{base}/api/contents/explore.ipynb?token={token}", data=body.encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10)
    page.goto(f"{base}/lab/tree/explore.ipynb?token={token}")
    page.wait_for_selector(f"{PANEL} .jp-Cell .jp-InputArea-editor", timeout=120_000)
    page.wait_for_selector(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    checkbox = page.locator(f"{PANEL} .widget-checkbox", has_text="Ivan V. Kovalev")
    for attempt in range(2):  # a click that lands while Lab is still settling is lost: try once more
        # through Lab's own command, not a click: a click on a panel still being laid out is lost or
        # lands on nothing visible (seen in CI); the app is exposed for this by the server option
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.context"
                               " && window.jupyterapp.shell.currentWidget.context.path === 'explore.ipynb'", timeout=120_000)
        # not awaited: the command's promise settles only when every cell has run (or never, if
        # the kernel is still being connected), and evaluate has no timeout of its own
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():  # should Lab ask all the same, take its preferred kernel
            dialog.locator("button", has_text="Select").click()
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        try:
            checkbox.wait_for(timeout=90_000)
            break
        except Exception:
            shot(page, f"lab-explorer-attempt-{attempt}")
            if attempt:
                raise
    gao = page.locator(f"{PANEL} .jp-OutputArea-output table tr", has_text="Gao Gang offered Manchuria")
    gao.first.wait_for(timeout=120_000)
    before = gao.first.inner_text()
    assert "0.50" in before
    checkbox.locator("input").click()
    page.wait_for_function("document.body.innerText.includes('without Ivan V. Kovalev')", timeout=120_000)
    without = srccrit.what_if(srccrit.load_case(), without=["kovalev"]).at["gao-offered-manchuria", "probability"]
    page.wait_for_function("Array.from(document.querySelectorAll('.jp-OutputArea-output table tr'))"
                           f".some(r => r.innerText.includes('Gao Gang offered') && r.innerText.includes('{without:.2f}'))", timeout=120_000)
    shot(page, "lab-explorer")
    page.locator(f"{PANEL} button", has_text="reset all").click()
    page.wait_for_function("document.body.innerText.includes('the case as it is')", timeout=120_000)
    # the evidence chart of the chosen conclusion, redrawn
    page.wait_for_function(f"Array.from(document.querySelectorAll('{PANEL} .jp-OutputArea-output img'))"
                           ".some(i => i.complete && i.naturalWidth > 500)", timeout=120_000)


def test_exported_overview_shows_the_explorer_as_a_static_note(page, report):
    page.goto((report / "notebooks" / "overview.html").as_uri(), wait_until="domcontentloaded")
    assert "needs a running Python kernel" in page.locator("body").inner_text()
