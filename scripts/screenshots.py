"""The screenshots in docs/: the evidence chart, the support matrix and a conclusion notebook's
page, on the bundled case (14 witnesses with claims) and on the synthetic case of 10,000 claims
(100 witnesses). ``make screenshots`` runs it (headless Chromium, as the browser tests use).

    python scripts/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "benchmarks"))

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def main() -> int:
    import srccrit
    from srccrit import charts
    from srccrit.io.notebooks import build_notebooks

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "docs"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import run  # benchmarks/run.py: the synthetic case

    cases = {"10": srccrit.load_case(), "100": srccrit.load_case(run.case_dir(10_000) / "case.yaml")}
    pages = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size, case in cases.items():
            est = srccrit.Reliability().fit(case)
            sup = srccrit.support(case, estimator=est)
            chosen = charts.most_telling_conclusions(case, sup)[0]
            for name, fig in (("evidence-chart", charts.evidence_chart(case, chosen, est)), ("support-matrix", charts.support_matrix(case, est))):
                charts.save(fig, out / f"{name}-{size}.png", "png", dpi=90)
                print(out / f"{name}-{size}.png")
            folder = Path(tmp) / size
            build_notebooks(case, folder, html_too=True, support_table=sup, max_notebooks=1)
            pages[size] = folder / f"conclusion-{chosen}.html"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1500})
            for size, path in pages.items():
                page.goto(path.as_uri(), wait_until="load")
                page.screenshot(path=str(out / f"conclusion-notebook-{size}.png"), full_page=False)
                print(out / f"conclusion-notebook-{size}.png")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
