"""srccrit benchmarks: wall time and peak memory per step at N claims, with reference systems
measured in the same run.

    python benchmarks/run.py --quick      # N = 10k and 100k, under 2 minutes on 2 cores
    python benchmarks/run.py              # N = 10k, 100k and 1M, median of 3

Each measurement runs in a fresh subprocess (so peak memory is that step's process alone) on a
synthetic case from ``benchmarks/synth.py`` (W = N/100 witnesses, P = N/10 propositions).
Prints a table and writes ``benchmarks/results.json``:

* step rows: ``step``, ``n``, ``seconds`` (median), ``peak_mb``, ``slope`` (log-log slope of time
  against N for that step, over the sizes measured);
* comparison rows: ``system`` (``srccrit``, ``crowd-kit OneCoinDawidSkene``, ``crowd-kit
  DawidSkene``, ``numpy floor``), ``n``, ``accuracy`` (boolean propositions against the known
  truth), ``spearman`` (estimated against true reliability), ``seconds`` (median of 3 fits in
  one process, each in ``runs``); the srccrit row adds ``speedup_vs_onecoin`` (the ratio of the
  medians), the numpy floor row ``em_seconds`` (its EM loop alone);
* ratio rows: srccrit's BibTeX export of 10,000 entries against bibtexparser's writer alone
  (medians of 15 interleaved runs, in a fresh process);
* ``ingest_1mb_text`` (and ``ingest_10mb_text`` in the full run): reading a text into sentences,
  notes, names and candidate claims; ``seconds_per_mb`` (target: at most 10) and the slope
  between the two sizes (target: linear, about 1);
* ``bib_merge``: merging two .bib files of 2,000 and 100,000 entries (plus a fifth as many in
  the second file, half of them copies of the first's entries under other keys);
  ``duplicates_found`` against ``duplicates_made`` (targets: at most 2 s and 60 s).

crowd-kit is optional (``pip install -e '.[bench]'`` or ``make bench``); without it its rows say so.
Before measuring, the run touches 4 GB of memory once (``--warm-memory``): on a virtual machine
the first touch of guest memory is several times dearer than any later one, and would otherwise
fall on whichever step happens to come first.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DATA = HERE / "data"
STEPS = ["load_parquet", "load_csv", "contradictions", "reliability", "propositions", "support_fragility"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_dir(n: int) -> Path:
    import synth

    folder = DATA / f"synth-{n}"
    if not all((folder / name).exists() for name in ("case.yaml", "case-csv.yaml", "claims.csv")):  # a folder left half-made is made again
        synth.generate(n, folder, seed=0)
    return folder


def measure(step: str, n: int) -> dict:
    """Run one step once in this process; return seconds and peak memory."""
    import srccrit

    folder = case_dir(n)
    if step == "load_parquet":
        t = time.perf_counter()
        srccrit.load_case(folder / "case.yaml")
        return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb()}
    if step == "load_csv":
        t = time.perf_counter()
        srccrit.load_case(folder / "case-csv.yaml")
        return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb()}
    case = srccrit.load_case(folder / "case.yaml")
    fn = {
        "contradictions": lambda: srccrit.contradictions(case),
        "reliability": lambda: srccrit.Reliability().fit(case),
        "propositions": lambda: srccrit.propositions(case),
        "support_fragility": lambda: srccrit.support(case, fragility=True),
    }[step]
    t = time.perf_counter()
    fn()
    return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb()}


def _subprocess(step: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", step, str(n)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def numpy_floor(task: np.ndarray, worker: np.ndarray, label: np.ndarray, n_iter: int = 100, tol: float = 1e-7):
    """A bare one-coin EM on boolean answers: what the hardware gives with no model extras."""
    t_ids, t = np.unique(task, return_inverse=True)
    w_ids, w = np.unique(worker, return_inverse=True)
    em_start = time.perf_counter()
    r = np.full(len(w_ids), 0.7)
    for _ in range(n_iter):
        lr = np.log(r[w])
        lw = np.log1p(-r[w])
        s1 = np.bincount(t, np.where(label == 1, lr, lw), minlength=len(t_ids))
        s0 = np.bincount(t, np.where(label == 0, lr, lw), minlength=len(t_ids))
        p1 = 1 / (1 + np.exp(s0 - s1))
        p_right = np.where(label == 1, p1[t], 1 - p1[t])
        r_new = np.clip((np.bincount(w, p_right, minlength=len(w_ids)) + 1) / (np.bincount(w, minlength=len(w_ids)) + 2), 1e-6, 1 - 1e-6)
        done = np.max(np.abs(r_new - r)) < tol
        r = r_new
        if done:
            break
    numpy_floor.em_seconds = time.perf_counter() - em_start  # the EM alone, without encoding the ids
    return dict(zip(t_ids, p1 >= 0.5)), dict(zip(w_ids, r))


#: every system in the comparison is fitted this many times; the median is reported
REPEATS = 3


def timed(fn, repeats: int = REPEATS):
    """(the last result, the wall times of ``repeats`` runs of ``fn``). Each run starts with the
    previous result released and garbage collected (outside the timing), as the first did: else
    every later run needs fresh memory while the last one's result still holds its own."""
    runs, out = [], None
    for _ in range(repeats):
        out = None
        gc.collect()
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return out, runs


def warm_memory(gb: float) -> float:
    """Touch ``gb`` of memory once in a child process. On a virtual machine the first touch of
    guest memory costs the host a fault (measured here: 10 ms per 8 MB, against 2 ms for memory
    touched before); without this, whichever step first needs fresh memory pays for it, whatever
    its code does. Returns the seconds it took."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import numpy as np; np.ones(int({gb} * 2**30 // 8)).sum()"], check=True)
    return time.perf_counter() - t


def compare(n: int) -> list[dict]:
    """Accuracy and Spearman of srccrit, crowd-kit and the numpy floor on the same boolean answers."""
    from scipy.stats import spearmanr

    import srccrit
    import synth

    folder = case_dir(n)
    syn = synth.generate(n, DATA / f"synth-{n}", seed=0, csv=False)  # same seed: same truths, rewrites identical files
    truth = syn.truth
    answers = syn.answers
    bool_tasks = sorted(set(answers["task"]))
    true_rel = syn.reliability
    rows = []

    def score(labels: dict, skills: dict, system: str, runs: list[float]) -> None:
        acc = float(np.mean([bool(labels[t]) == bool(truth[t]) for t in bool_tasks if t in labels]))
        common = [w for w in true_rel.index if w in skills]
        rho = float(spearmanr([skills[w] for w in common], true_rel[common]).statistic)
        rows.append({"system": system, "n": n, "accuracy": round(acc, 4), "spearman": round(rho, 4),
                     "seconds": round(statistics.median(runs), 4), "runs": [round(x, 4) for x in runs]})

    case = srccrit.load_case(folder / "case.yaml")
    est, runs = timed(lambda: srccrit.Reliability().fit(case))
    p_true = est.propositions_["p_true"]
    score({k: p_true[k] >= 0.5 for k in bool_tasks}, est.skills_.to_dict(), "srccrit", runs)

    em = []

    def floor():
        out = numpy_floor(answers["task"].to_numpy(), answers["worker"].to_numpy(), answers["label"].to_numpy())
        em.append(numpy_floor.em_seconds)
        return out

    (labels, skills), runs = timed(floor)
    score(labels, skills, "numpy floor", runs)
    rows[-1]["em_seconds"] = round(statistics.median(em), 4)

    try:
        from crowdkit.aggregation import DawidSkene, OneCoinDawidSkene
    except ImportError:
        rows.append({"system": "crowd-kit OneCoinDawidSkene", "n": n, "accuracy": None, "spearman": None, "seconds": None, "note": "crowd-kit not installed (make bench)"})
        return rows
    data = answers.copy()
    ocds, runs = timed(lambda: OneCoinDawidSkene(n_iter=100).fit(data))
    score(ocds.labels_.astype(bool).to_dict(), ocds.skills_.to_dict(), "crowd-kit OneCoinDawidSkene", runs)
    # the speed target: srccrit's whole fit against crowd-kit's one-coin model (medians)
    rows[0]["speedup_vs_onecoin"] = round(rows[-1]["seconds"] / rows[0]["seconds"], 2)
    ds, runs = timed(lambda: DawidSkene(n_iter=100).fit(data))
    err = ds.errors_
    skills = {}
    for wid in err.index.get_level_values(0).unique():
        m = err.loc[wid]
        skills[wid] = float(np.mean([m.at[l, l] for l in m.columns if l in m.index]))
    score(ds.labels_.astype(bool).to_dict(), skills, "crowd-kit DawidSkene", runs)
    return rows


def bibtex_ratio(n_entries: int = 10_000, repeats: int = 15) -> dict:
    """srccrit's export of n entries against bibtexparser's writer alone on the same library
    (medians of ``repeats`` interleaved runs)."""
    import bibtexparser

    import srccrit
    from srccrit import bibtex

    folder = DATA / f"bib-{n_entries}"
    folder.mkdir(parents=True, exist_ok=True)
    bib = "".join(f"@book{{k{i}, author = {{Author{i}, A. and Other, B.}}, title = {{Title number {i}: a study}}, publisher = {{Press}}, year = {{{1900 + i % 120}}}}}\n" for i in range(n_entries))
    (folder / "refs.bib").write_text(bib, encoding="utf-8")
    (folder / "sources.csv").write_text("id,kind\n" + "".join(f"k{i},monograph\n" for i in range(n_entries)), encoding="utf-8")
    (folder / "case.yaml").write_text("case: bib\nbibliography: refs.bib\nsources: sources.csv\n", encoding="utf-8")
    case = srccrit.load_case(folder)
    raw = bibtexparser.parse_string(bib, parse_stack=[])
    alone, ours = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine state
        t = time.perf_counter()
        bibtexparser.write_string(raw, unparse_stack=[], bibtex_format=bibtex._format())  # the writer srccrit uses, same layout
        alone.append(time.perf_counter() - t)
        t = time.perf_counter()
        bibtex.export(case)
        ours.append(time.perf_counter() - t)
    a, o = statistics.median(alone), statistics.median(ours)
    return {"step": "bibtex_export", "n": n_entries, "seconds": round(o, 4), "reference_seconds": round(a, 4), "ratio": round(o / a, 3), "repeats": repeats}


def ingest_step(size: int = 1_000_000) -> dict:
    """Reading a text of ``size`` bytes: the Zubok excerpt (OCR errors, fused notes) and the
    Geneva paragraphs (Wade-Giles, McCune-Reischauer, OCR'd names, superscript notes) repeated,
    against the bundled case; in a fresh process (``--measure ingest SIZE``) for its peak memory.
    Target: at most 10 s per MB, and linear."""
    import srccrit
    from srccrit import ingest

    texts = HERE.parent / "tests" / "texts"
    seed = "\n\n".join(p.read_text(encoding="utf-8") for p in [texts / "zubok-excerpt.txt", *sorted((texts / "geneva").glob("*.txt"))])
    text = (seed + "\n\n") * (size // len(seed) + 1)
    text = text[: text.rfind("\n\n", 0, size) + 1]
    case = srccrit.load_case()
    t = time.perf_counter()
    reading = ingest.read_text(text=text, case=case)
    cands = ingest.candidates(reading, case, source="zubok2007failed")
    seconds = time.perf_counter() - t
    mb = len(text.encode("utf-8")) / 1e6
    return {"step": f"ingest_{size // 1_000_000}mb_text", "n": len(text), "seconds": round(seconds, 3), "seconds_per_mb": round(seconds / mb, 3),
            "candidates": len(cands), "peak_mb": round(_peak_mb(), 1)}


def _merge_inputs(n: int) -> list[Path]:
    """Two .bib files: ``n`` distinct books, then n/10 new ones and n/10 copies of the first
    file's entries under other keys (the duplicates a merge must find)."""
    import random

    folder = DATA / f"merge-{n}"
    files = [folder / "a.bib", folder / "b.bib"]
    if all(f.exists() for f in files):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(n)
    words = ("war peace treaty alliance soviet china korea history archive cold diplomacy empire failed partners "
             "uncertain origins revolution memoir documents policy strategy crisis").split()

    def book(key: str, i: int) -> str:
        title = " ".join(rng.choice(words) for _ in range(rng.randint(3, 8))).title()
        return (f"@book{{{key}, author = {{Author{rng.randrange(5000)}, A.}}, title = {{{title} {i}}}, "
                f"year = {{{1950 + i % 60}}}, publisher = {{Press {rng.randrange(50)}}}}}")

    first = [book(f"a{i}", i) for i in range(n)]
    second = [book(f"b{i}", n + i) for i in range(n // 10)] + [e.replace("@book{a", "@book{copy", 1) for e in first[: n // 10]]
    files[0].write_text("\n".join(first) + "\n", encoding="utf-8")
    files[1].write_text("\n".join(second) + "\n", encoding="utf-8")
    return files


def merge_step(n: int) -> dict:
    """``srccrit bib merge`` of two files (n and n/5 entries, n/10 duplicates). Targets: 2,000
    entries in at most 2 s, 100,000 in at most 60 s."""
    from srccrit.bibmerge import merge

    files = _merge_inputs(n)
    t = time.perf_counter()
    _text, report = merge(files)
    seconds = time.perf_counter() - t
    merged = sum(d["action"] == "merged" for d in report.decisions)
    return {"step": "bib_merge", "n": n, "seconds": round(seconds, 3), "duplicates_found": merged, "duplicates_made": n // 10,
            "peak_mb": round(_peak_mb(), 1)}


def report_step() -> dict:
    import tempfile

    import srccrit
    from srccrit.report import build_report

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        build_report(srccrit.load_case(), Path(tmp) / "out")
    return {"step": "demo_report", "n": 47, "seconds": round(time.perf_counter() - t, 3), "peak_mb": round(_peak_mb(), 1)}


#: the issue's targets for `srccrit report` (seconds, executing notebooks included)
REPORT_TARGETS = {10_000: 30.0, 1_000_000: 60.0}


def report_at(n: int) -> dict:
    """`srccrit report` on the synthetic case of ``n`` claims, as a user runs it (a fresh process,
    notebooks executed): wall time, and the peak memory of the largest process (the report's own
    or one of its kernels)."""
    import resource
    import tempfile

    folder = case_dir(n)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "srccrit.cli", "report", str(folder / "case.yaml"), "-o", str(Path(tmp) / "out")],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"srccrit report failed on {n} claims: {done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    target = REPORT_TARGETS.get(n)
    return {"step": "report", "n": n, "seconds": round(seconds, 2), "peak_mb": round(peak, 1), "target_seconds": target,
            "target_met": None if target is None else seconds <= target}


def slope(ns: list[int], secs: list[float]) -> float | None:
    if len(ns) < 2:
        return None
    x, y = np.log(ns), np.log(np.maximum(secs, 1e-6))
    return float(np.polyfit(x, y, 1)[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 10k and 100k only, one repeat at 100k (under 2 minutes)")
    ap.add_argument("--measure", nargs=2, metavar=("STEP", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--output", default=str(HERE / "results.json"))
    ap.add_argument("--warm-memory", type=float, default=4.0, metavar="GB",
                    help="touch this much memory once before measuring (0: don't); see warm_memory()")
    ap.add_argument("--report-1m", action="store_true", help="also time `srccrit report` on the 1,000,000-claim case (long)")
    args = ap.parse_args()
    if args.measure:
        step, n = args.measure[0], int(args.measure[1])
        runner = {"bibtex_export": bibtex_ratio, "ingest": ingest_step, "bib_merge": merge_step, "report": report_at}.get(step)
        print(json.dumps(runner(n) if runner else measure(step, n)))
        return 0
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    rows: list[dict] = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", file=sys.stderr)
    warmed = warm_memory(args.warm_memory) if args.warm_memory > 0 else None
    if warmed is not None:
        print(f"touched {args.warm_memory:g} GB of memory once ({warmed:.1f} s)", file=sys.stderr)
    for n in sizes:
        case_dir(n)
    for step in STEPS:
        per_n = []
        for n in sizes:
            repeats = 1 if (args.quick and n >= 100_000) or n >= 1_000_000 and step == "support_fragility" else 3
            runs = [_subprocess(step, n) for _ in range(repeats)]
            per_n.append({"step": step, "n": n, "seconds": round(statistics.median(r["seconds"] for r in runs), 4),
                          "peak_mb": round(max(r["peak_mb"] for r in runs), 1), "repeats": repeats})
            print(f"{step:18s} n={n:>9,d}  {per_n[-1]['seconds']:8.3f} s  {per_n[-1]['peak_mb']:8.1f} MB", file=sys.stderr)
        s = slope([r["n"] for r in per_n], [r["seconds"] for r in per_n])
        for r in per_n:
            r["slope"] = None if s is None else round(s, 3)
        rows += per_n
    comparison = []
    for n in sizes:
        comparison += compare(n)
    rows.append(_subprocess("bibtex_export", 10_000))  # a fresh process, like every step (not the heap the comparison left)
    ingest_rows = [_subprocess("ingest", size) for size in ([1_000_000] if args.quick else [1_000_000, 10_000_000])]
    s = slope([r["n"] for r in ingest_rows], [r["seconds"] for r in ingest_rows])
    for r in ingest_rows:
        r["slope"] = None if s is None else round(s, 3)
    rows += ingest_rows
    merge_rows = [_subprocess("bib_merge", n) for n in (2_000, 100_000)]
    s = slope([r["n"] for r in merge_rows], [r["seconds"] for r in merge_rows])
    for r in merge_rows:
        r["slope"] = None if s is None else round(s, 3)
    rows += merge_rows
    if not args.quick:
        rows.append(report_step())
        rows.append(_subprocess("report", 10_000))
        if args.report_1m:
            rows.append(_subprocess("report", 1_000_000))
    result = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                          "memory_warmed_gb": args.warm_memory if warmed is not None else 0},
              "steps": rows, "comparison": comparison}
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"\n{'step':20s} {'n':>10s} {'seconds':>10s} {'peak MB':>9s} {'slope':>6s}")
    for r in rows:
        sl = r.get("slope")
        print(f"{r['step']:20s} {r['n']:>10,d} {r['seconds']:>10.3f} {r.get('peak_mb') or 0:>9.1f} {'' if sl is None else f'{sl:.2f}':>6s}"
              + (f"   (bibtexparser alone {r['reference_seconds']:.3f} s, ratio {r['ratio']:.2f})" if "ratio" in r else ""))
    print(f"\n{'system':30s} {'n':>10s} {'accuracy':>9s} {'spearman':>9s} {'seconds':>9s}")
    for r in comparison:
        if r.get("accuracy") is None:
            print(f"{r['system']:30s} {r['n']:>10,d}  {r.get('note', '')}")
            continue
        print(f"{r['system']:30s} {r['n']:>10,d} {r['accuracy']:>9.4f} {r['spearman']:>9.4f} {r['seconds']:>9.3f}"
              + (f"   (EM alone {r['em_seconds']:.3f} s)" if "em_seconds" in r else "")
              + (f"   ({r['speedup_vs_onecoin']:.1f}x faster than crowd-kit OneCoinDawidSkene)" if "speedup_vs_onecoin" in r else ""))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
