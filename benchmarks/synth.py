"""A synthetic case with known truths, for benchmarks and correctness tests.

N claims over P = N/10 propositions from W = N/100 witnesses whose true reliabilities are drawn
uniformly from [0.55, 0.95]; a share of archival witnesses (reliability 0.97); a share of value
(number) propositions; transmission chains (a claim repeated in a relay's source with ``via``);
and a few copying witnesses who repeat a master's positions. Seeded and deterministic.

    python benchmarks/synth.py 10000 /tmp/synth10k     # writes case.yaml, *.parquet, claims.csv, refs.bib
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Synthetic:
    path: Path
    truth: pd.Series            # proposition -> True/False (boolean) or the true number
    reliability: pd.Series      # witness -> true reliability
    answers: pd.DataFrame       # boolean answers as (task, worker, label) for crowd-kit


def generate(n_claims: int, out: str | Path, seed: int = 0, value_share: float = 0.2, archival_share: float = 0.03,
             relay_share: float = 0.05, copier_share: float = 0.01, n_conclusions: int | None = None, csv: bool = True) -> Synthetic:
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_w = max(10, n_claims // 100)
    n_p = max(5, n_claims // 10)
    wids = np.array([f"w{i}" for i in range(n_w)])
    rel = rng.uniform(0.55, 0.95, n_w)
    archival = rng.random(n_w) < archival_share
    rel[archival] = 0.97
    pids = np.array([f"p{j}" for j in range(n_p)])
    is_value = rng.random(n_p) < value_share
    truth_bool = rng.random(n_p) < 0.5
    truth_num = rng.integers(10, 1000, n_p)

    n_direct = int(n_claims * (1 - relay_share))
    w = rng.integers(0, n_w, n_direct)
    p = rng.integers(0, n_p, n_direct)
    # a witness speaks once per proposition
    key = pd.DataFrame({"w": w, "p": p}).drop_duplicates()
    w, p = key["w"].to_numpy(), key["p"].to_numpy()
    correct = rng.random(len(w)) < rel[w]
    # copiers repeat a master's position on the master's propositions
    copiers = np.flatnonzero(rng.random(n_w) < copier_share)
    stance = np.where(truth_bool[p] == correct, "affirms", "denies")
    wrong_num = truth_num[p] + rng.choice([-3, -2, 2, 3], len(p)) * 50
    value = np.where(correct, truth_num[p], wrong_num).astype(float)
    claims = pd.DataFrame({"id": [f"c{i}" for i in range(len(w))], "witness": wids[w], "source": np.char.add("s", w.astype(str)),
                           "proposition": pids[p], "stance": np.where(is_value[p], None, stance),
                           "value": np.where(is_value[p], value.astype(int).astype(str), None), "via": ""})
    extra = []
    for c in copiers:
        master = (c + 1) % n_w
        mine = claims[claims["witness"] == wids[master]]
        if len(mine):
            copy = mine.copy()
            copy["id"] = "cp" + str(c) + "-" + copy["id"]
            copy["witness"] = wids[c]
            copy["source"] = f"s{c}"
            extra.append(copy)
    n_relay = n_claims - len(claims) - sum(len(e) for e in extra)
    if n_relay > 0:
        pick = claims.sample(n=min(n_relay, len(claims)), random_state=seed)
        relay = rng.integers(0, n_w, len(pick))
        pick = pick.copy()
        pick["id"] = "r" + pick["id"]
        pick["source"] = np.char.add("s", relay.astype(str))
        pick["via"] = wids[relay]
        extra.append(pick)
    claims = pd.concat([claims, *extra], ignore_index=True)
    claims = claims[claims["via"] != claims["witness"]].reset_index(drop=True)

    witnesses = pd.DataFrame({"id": wids, "name": np.char.add("Witness ", np.arange(n_w).astype(str)),
                              "proximity": np.where(archival, "document", rng.choice(["participant", "eyewitness", "historian", "reviewer"], n_w))})
    sources = pd.DataFrame({"id": [f"s{i}" for i in range(n_w)], "kind": np.where(archival, "archival-release", "memoir"),
                            "date": (1950 + rng.integers(0, 60, n_w)).astype(str), "author": wids})
    props = pd.DataFrame({"id": pids, "text": np.char.add("Proposition ", np.arange(n_p).astype(str)),
                          "type": np.where(is_value, "number", "boolean")})
    n_c = n_conclusions if n_conclusions is not None else min(1000, n_p)
    bool_props = pids[~is_value]
    chosen = rng.choice(bool_props, min(n_c, len(bool_props)), replace=False)
    conclusions = pd.DataFrame({"id": [f"k{i}" for i in range(len(chosen))], "text": [f"Conclusion on {c}" for c in chosen],
                                "rests_on": [f"{c}: true" for c in chosen]})
    for name, frame in [("sources", sources), ("witnesses", witnesses), ("propositions", props), ("conclusions", conclusions), ("claims", claims)]:
        frame.to_parquet(out / f"{name}.parquet", index=False)
    if csv:
        claims.to_csv(out / "claims.csv", index=False)
    with open(out / "refs.bib", "w", encoding="utf-8") as fh:
        for i in range(n_w):
            fh.write(f"@book{{s{i}, author = {{Author{i}, A.}}, title = {{Testimony number {i}}}, year = {{{sources['date'][i]}}}}}\n")
    for table_kind in (["parquet", "csv"] if csv else ["parquet"]):
        name = "case.yaml" if table_kind == "parquet" else "case-csv.yaml"
        (out / name).write_text(
            f"case: synthetic-{n_claims}\ntitle: Synthetic case of {n_claims} claims\nbibliography: refs.bib\n"
            f"sources: sources.parquet\nwitnesses: witnesses.parquet\npropositions: propositions.parquet\n"
            f"conclusions: conclusions.parquet\nclaims: claims.{table_kind}\n", encoding="utf-8")
    truth = pd.Series(np.where(is_value, truth_num, truth_bool).astype(object), index=pids)
    truth[~is_value] = truth_bool[~is_value]
    direct = claims[(claims["via"] == "") & claims["stance"].notna()]
    answers = pd.DataFrame({"task": direct["proposition"].to_numpy(), "worker": direct["witness"].to_numpy(),
                            "label": (direct["stance"] == "affirms").astype(int).to_numpy()})
    return Synthetic(out, truth, pd.Series(rel, index=wids), answers)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    s = generate(a.n, a.out, a.seed)
    print(f"wrote {s.path} ({len(s.reliability)} witnesses, {len(s.truth)} propositions)", file=sys.stderr)
