"""Run the algorithms of the PyPI package ``truthdiscovery`` on triples; called by ``run.py``
with the interpreter of its own environment (the package pins old versions of everything, so
it is installed there with ``--no-deps`` beside what it really imports).

    <td-python> truthdiscovery_runner.py triples.tsv implication.tsv out.json

``triples.tsv``: source, item, value (tab-separated, a header row). ``implication.tsv`` (may be
empty): item, value, implied value, weight — TruthFinder's implication between two values of an
item. Writes, per algorithm, each item's most believed value and the seconds the run took.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import types

# the package's __init__ imports its drawing modules, which import pycairo (a C build against
# the system's cairo); no algorithm uses them
sys.modules.setdefault("cairo", types.ModuleType("cairo"))

from truthdiscovery.algorithm import AverageLog, Investment, MajorityVoting, PooledInvestment, Sums, TruthFinder  # noqa: E402
from truthdiscovery.input.dataset import Dataset  # noqa: E402

ALGORITHMS = {"TruthFinder": TruthFinder, "Sums": Sums, "Investment": Investment, "PooledInvestment": PooledInvestment,
              "AverageLog": AverageLog, "MajorityVoting (td)": MajorityVoting}


def main(triples_path: str, implication_path: str, out_path: str) -> int:
    with open(triples_path, newline="", encoding="utf-8") as f:
        rows = [(r["source"], r["item"], r["value"]) for r in csv.DictReader(f, delimiter="\t")]
    implied: dict[tuple[str, str, str], float] = {}
    with open(implication_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            implied[(r["item"], r["value"], r["implied"])] = float(r["weight"])

    def implication(var, a, b):
        return implied.get((var, a, b))

    out = {}
    for name, algorithm in ALGORITHMS.items():
        start = time.perf_counter()
        data = Dataset(rows, allow_multiple=True, implication_function=implication if implied and name == "TruthFinder" else None)
        result = algorithm().run(data)
        answers = {}
        for item, beliefs in result.belief.items():
            best = max(beliefs.items(), key=lambda kv: (float(kv[1]), kv[0]))  # ties: the larger value, deterministically
            answers[item] = [best[0], float(best[1])]
        out[name] = {"answers": answers, "seconds": time.perf_counter() - start}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
