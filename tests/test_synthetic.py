"""The benchmark generator's known truths are recovered (correctness at scale, not speed)."""

import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

import srccrit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # noqa: E402


def test_known_truths_recovered_at_10k(tmp_path):
    syn = synth.generate(10_000, tmp_path / "synth", seed=1, csv=False)
    case = srccrit.load_case(syn.path)
    assert 9_000 <= len(case.claims) <= 10_000
    est = srccrit.Reliability().fit(case)
    props = est.propositions_
    boolean = props[(props["type"] == "boolean") & (props["lines"] > 0)]
    accuracy = np.mean((boolean["p_true"] >= 0.5).to_numpy() == syn.truth[boolean.index].astype(bool).to_numpy())
    assert accuracy >= 0.95
    valued = srccrit.propositions(case)
    valued = valued[(valued["type"] == "number") & (valued["lines"] > 0)]
    hits = np.mean([float(v) == float(syn.truth[p]) for p, v in valued["value"].items() if v != "(another value)"])
    assert hits >= 0.9
    rho = spearmanr(est.skills_[syn.reliability.index], syn.reliability).statistic
    assert rho >= 0.8
    # the relayed claims (via) were recognised as repetitions, not new lines
    lines = srccrit.lines(case)
    relayed = lines[lines["claim"].str.startswith("r")]
    assert (relayed["origin"] == relayed["witness"]).all() and (relayed["line_claims"] >= 2).all()
