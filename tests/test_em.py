"""The reliability model's EM: its posterior against the full likelihood worked out by brute
force, and the accelerated fit against plain EM iterated to its fixed point."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

import srccrit
from srccrit.analysis.em import Votes, _posterior, build_votes, run_em
from srccrit.analysis.reliability import by_reliability


def random_votes(rng, n_items=40, n_witnesses=7) -> Votes:
    """Propositions with 2 to 5 options; each witness names at most one option per proposition."""
    k = rng.integers(2, 6, n_items)
    offsets = np.r_[0, np.cumsum(k)[:-1]]
    voter, item, slot = [], [], []
    for i in range(n_items):
        for w in rng.choice(n_witnesses, rng.integers(1, n_witnesses + 1), replace=False):
            voter.append(w)
            item.append(i)
            slot.append(offsets[i] + rng.integers(0, k[i]))
    order = np.argsort(np.asarray(slot), kind="stable")  # as build_votes lists them: by option
    slot_item = np.repeat(np.arange(n_items), k)
    return Votes(voter=np.asarray(voter)[order], item=np.asarray(item)[order], slot=np.asarray(slot)[order],
                 witnesses=pd.Index([f"w{j}" for j in range(n_witnesses)]), items=pd.Index([f"p{i}" for i in range(n_items)]),
                 slot_item=slot_item, slot_side=np.arange(len(slot_item)) - offsets[slot_item], offsets=offsets, k=k,
                 line_ids=np.arange(len(voter)))


def brute_force_posterior(v: Votes, r: np.ndarray, floor: bool = True) -> np.ndarray:
    """P(option | votes), option by option with no algebra: from the one-coin likelihood, where
    a vote for j is worth log r_w and any other vote log((1 - r_w)/(K - 1)); with ``floor``, as
    the model reads it: a vote's weight for the option it names is never below zero."""
    out = np.zeros(len(v.slot_item))
    for i in range(len(v.k)):
        lo, k = v.offsets[i], v.k[i]
        on = v.item == i
        loglik = np.zeros(k)
        for w, s in zip(v.voter[on], v.slot[on]):
            named, other = np.log(r[w]), np.log((1 - r[w]) / (k - 1))
            loglik += other
            loglik[s - lo] += max(named - other, 0.0) if floor else named - other
        out[lo:lo + k] = softmax(loglik)
    return out


def test_posterior_is_the_softmax_of_the_full_likelihood():
    rng = np.random.default_rng(3)
    v = random_votes(rng)
    r = rng.uniform(0.3, 0.97, len(v.witnesses))
    np.testing.assert_allclose(_posterior(v, r), brute_force_posterior(v, r), rtol=1e-10, atol=1e-14)
    # with every witness at even odds or better the floor never bites: the plain one-coin model
    r = rng.uniform(0.5, 0.97, len(v.witnesses))
    np.testing.assert_allclose(_posterior(v, r), brute_force_posterior(v, r, floor=False), rtol=1e-10, atol=1e-14)


def test_posterior_stays_finite_when_one_option_outweighs_the_first_by_far():
    # 40 near-certain witnesses name the second option: its score exceeds the first's by ~800,
    # beyond what exp() can take without the per-proposition maximum
    v = Votes(voter=np.arange(40), item=np.zeros(40, dtype=np.int64), slot=np.ones(40, dtype=np.int64),
              witnesses=pd.Index([f"w{j}" for j in range(40)]), items=pd.Index(["p"]), slot_item=np.zeros(3, dtype=np.int64),
              slot_side=np.array([0, 1, -1]), offsets=np.array([0]), k=np.array([3]), line_ids=np.arange(40))
    r = np.full(40, 1 - 1e-9)
    post = _posterior(v, r)
    assert np.isfinite(post).all() and post.sum() == pytest.approx(1.0)
    assert post[1] == pytest.approx(1.0) and post[0] < 1e-300


def plain_em(v: Votes, a: np.ndarray, b: np.ndarray, tol: float = 1e-12, n_iter: int = 5_000):
    """EM without acceleration, the textbook loop, to a much tighter tolerance."""
    r = a / (a + b)
    n_votes = np.bincount(v.voter, minlength=len(a))
    for it in range(1, n_iter + 1):
        post = brute_force_posterior(v, r) if len(v.voter) < 300 else _posterior(v, r)
        r_new = (a + np.bincount(v.voter, post[v.slot], minlength=len(a))) / (a + b + n_votes)
        if np.max(np.abs(r_new - r)) < tol:
            return r_new, it
        r = r_new
    raise AssertionError("plain EM did not converge")


def test_accelerated_em_reaches_the_plain_em_fixed_point_in_fewer_steps():
    rng = np.random.default_rng(7)
    v = random_votes(rng, n_items=60, n_witnesses=9)
    a, b = np.full(9, 2.4), np.full(9, 1.6)
    expected, plain_steps = plain_em(v, a, b)
    r, post, steps, converged, _ = run_em(v, a, b, tol=1e-8)
    assert converged
    np.testing.assert_allclose(r, expected, atol=1e-7)
    np.testing.assert_allclose(post, brute_force_posterior(v, r), rtol=1e-10, atol=1e-14)
    _, loose_plain_steps = plain_em(v, a, b, tol=1e-8)
    assert steps < loose_plain_steps <= plain_steps


def test_the_bundled_fit_is_plain_em_fixed_point_and_respects_n_iter(bundled):
    est = srccrit.Reliability(testimony=False).fit(bundled)
    v, pri = est.votes_, est.prior_
    a, b = pri["a"].reindex(v.witnesses).to_numpy(), pri["b"].reindex(v.witnesses).to_numpy()
    expected, plain_steps = plain_em(v, a, b)
    np.testing.assert_allclose(est.skills_.to_numpy(), expected, atol=1e-6)
    assert est.converged_ and est.n_iter_ < plain_steps
    short = srccrit.Reliability(n_iter=3).fit(bundled)
    assert short.n_iter_ == 3 and not short.converged_


@pytest.mark.parametrize("packed_bits", [62, 0], ids=["codes packed", "codes gathered"])
def test_lines_numbered_in_any_order_give_the_same_fit(bundled, monkeypatch, packed_bits):
    """build_votes does not depend on positions() numbering lines in proposition order, whether
    it packs a claim's codes into one integer or (ids too many for 62 bits) gathers them."""
    monkeypatch.setattr(sys.modules["srccrit.analysis.em"], "_PACKED_BITS", packed_bits)
    est = srccrit.Reliability(testimony=False).fit(bundled)
    ev = est.evidence_.copy()
    counted = ev["line"].to_numpy() >= 0
    shuffled = np.random.default_rng(0).permutation(int(ev["line"].max()) + 1)
    ev.loc[counted, "line"] = shuffled[ev.loc[counted, "line"].to_numpy()]
    v = build_votes(bundled, ev)
    assert len(v.voter) == len(est.votes_.voter)
    assert (np.diff(v.item) < 0).any()  # the votes are no longer in proposition order
    pri = est.prior_
    r, _, _, converged, _ = run_em(v, pri["a"].reindex(v.witnesses).to_numpy(), pri["b"].reindex(v.witnesses).to_numpy())
    assert converged
    np.testing.assert_allclose(pd.Series(r, index=v.witnesses).sort_index(), est.skills_.sort_index(), atol=1e-7)


def test_equally_reliable_witnesses_are_ranked_by_name_not_by_rounding_noise(bundled):
    table = pd.DataFrame({"name": ["Sandström", "Merrill", "Zubok"], "reliability": [0.66889665886, 0.66889665864, 0.81]},
                         index=["sandstrom", "merrill", "zubok"])
    assert by_reliability(table, "name").index.tolist() == ["zubok", "merrill", "sandstrom"]
    rel = srccrit.reliability(bundled)
    tied = rel[rel["reliability"].round(6) == rel.at["merrill", "reliability"].round(6)]
    assert tied.index.tolist() == ["merrill", "sandstrom"]  # the two reviewers' skills agree to 1e-9


def test_votes_from_the_line_keys_equal_votes_read_back_from_the_evidence(bundled, tmp_path):
    """The fit hands build_votes the line keys positions() sorted; they must give the very votes
    that reading every line's codes back from the evidence gives."""
    from srccrit.analysis.evidence import positions_and_lines

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import synth

    synthetic = srccrit.load_case(synth.generate(3_000, tmp_path / "synth", seed=4, csv=False).path)
    for case in (bundled, synthetic):
        ev, lines = positions_and_lines(case)
        handed, read = build_votes(case, ev, lines), build_votes(case, ev)
        for field in ("voter", "item", "slot", "slot_item", "slot_side", "offsets", "k", "line_ids", "item_rows"):
            np.testing.assert_array_equal(getattr(handed, field), getattr(read, field), err_msg=field)
        assert handed.items.equals(read.items) and handed.witnesses.equals(read.witnesses)
