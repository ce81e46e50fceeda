"""Calibrated probabilities (issue 13, item 3): the reported posterior is tempered for
evidence more correlated than the model knows, the temperature fitted on the case itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import srccrit
from conftest import write_witness_case


def correlated_case(folder: Path, seed: int, n_items: int = 150, clusters: int = 4, size: int = 4, follow: float = 0.7) -> Path:
    """Text propositions (true value v0, four wrong ones): ``clusters`` circles of ``size``
    witnesses each. A circle shares a rumour per item (right with probability 0.7); each member
    repeats it with probability ``follow``, else judges alone (right with probability 0.75).
    Errors are correlated within a circle but no two members are identical: nothing for the
    copy detector, everything for the temperature."""
    rng = np.random.default_rng(seed)
    ws = [f"w{c}-{k}" for c in range(clusters) for k in range(size)]
    claims = []
    for i in range(n_items):
        for c in range(clusters):
            rumour = 0 if rng.random() < 0.7 else int(rng.integers(1, 5))
            for k in range(size):
                own = 0 if rng.random() < 0.75 else int(rng.integers(1, 5))
                value = rumour if rng.random() < follow else own
                claims.append(f"  - {{id: c{i}-{c}-{k}, source: s-w{c}-{k}, proposition: p{i}, value: v{value}}}")
    return write_witness_case(folder, "correlated", ws, [f"  p{i}: {{text: item {i}, type: text}}" for i in range(n_items)], claims,
                              source=lambda w: f"s-{w}", name=lambda w: w)


def calibration(props) -> tuple[float, float, int]:
    """(expected calibration error over 10 bins, share right among p >= .99, how many)."""
    p = props["probability"].to_numpy()
    right = (props["value"] == "v0").to_numpy()
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum((bins == b).mean() * abs(right[bins == b].mean() - p[bins == b].mean()) for b in range(10) if (bins == b).any())
    sure = p >= 0.99
    return float(ece), float(right[sure].mean()) if sure.any() else 1.0, int(sure.sum())


def test_correlated_errors_are_tempered_into_calibrated_probabilities(tmp_path):
    """Circles of witnesses who repeat a shared rumour: the defaults (copy detection and the
    temperature) give probabilities that mean what they say. (The temperature no longer lowers
    the ECE on every seed: since copy detection judges a shared value without the pair's own
    votes it finds more of the circles, and untempered the ECE is 0.03-0.09 where it was 0.07-0.13;
    tempered 0.04-0.05, every answer given p >= .99 right.)"""
    for seed in range(3):
        case = srccrit.load_case(correlated_case(tmp_path / f"c{seed}", seed))
        est = srccrit.Reliability().fit(case)
        assert est.temperature_ < 0.9  # the held-out lines saw the correlation
        tempered = calibration(srccrit.propositions(case, estimator=est))
        raw = calibration(srccrit.propositions(case, temper=False))
        assert tempered[0] <= 0.06, (seed, tempered)  # expected calibration error
        assert tempered[1] >= raw[1] and tempered[1] >= 0.97, (seed, tempered, raw)


def test_independent_witnesses_are_not_tempered(tmp_path):
    """Where the lines agree as independent lines do, the temperature stays near 1."""
    case = srccrit.load_case(correlated_case(tmp_path / "ind", seed=7, follow=0.0))
    est = srccrit.Reliability().fit(case)
    assert est.temperature_ > 0.85
    ece, right99, _ = calibration(srccrit.propositions(case, estimator=est))
    assert right99 >= 0.97 and ece < 0.1


def test_the_bundled_case_is_not_tempered(bundled):
    """Few lines per proposition: the prior keeps the temperature at 1, the bundled case's
    conclusions are what they were."""
    assert srccrit.Reliability().fit(bundled).temperature_ == 1.0


def test_the_search_is_skipped_only_where_it_would_find_no_tempering(tmp_path, monkeypatch):
    """Where the held-out likelihood still rises at tau = 1 the temperature is 1 without a
    search; made to search every time, the fit finds the same temperatures (independent
    witnesses, correlated circles, the synthetic case at 1 when its lines are independent)."""
    from srccrit.analysis import em

    cases = [srccrit.load_case(correlated_case(tmp_path / "ind", seed=7, follow=0.0, n_items=60)),
             srccrit.load_case(correlated_case(tmp_path / "cor", seed=1, n_items=60))]
    quick = [srccrit.Reliability().fit(c).temperature_ for c in cases]
    monkeypatch.setattr(em, "_RISING_AT", float("nan"))  # no likelihood is below loglik(0) there: never skipped
    searched = [srccrit.Reliability().fit(c).temperature_ for c in cases]
    assert quick == searched
    assert quick[0] == 1.0 and quick[1] < 0.9  # one case of each: the skip was taken, and not taken
