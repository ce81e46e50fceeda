"""Copying found by the model (issue 13, item 1): witnesses who repeat one another's false
values are found from those values and the copier's agreeing votes are counted down."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import srccrit
from conftest import write_witness_case
from srccrit.analysis.copying import COPYING_COLUMNS, _pairs_within


def copy_case(folder: Path, accuracy: dict, copies: dict, n_items: int = 40, n_values: int = 5, seed: int = 0,
              fidelity: float = 1.0) -> tuple[Path, dict]:
    """A case of text propositions whose true value is ``v0``: each independent witness names it
    with his accuracy (else a wrong value at random), each copier repeats his original (with
    ``fidelity < 1``, on that share of the items; on the others a value at random). Each item's
    values are its own (``v0-7`` on item 7), as web sources' values of a flight's time are: no
    value is an answer to many items (see test_habits_are_not_copying for those)."""
    rng = np.random.default_rng(seed)
    witnesses = list(accuracy) + list(copies)
    said = {}
    claims = []
    for i in range(n_items):
        for w, a in accuracy.items():
            said[w, i] = 0 if rng.random() < a else int(rng.integers(1, n_values))
        for c, original in copies.items():
            # (no draw at fidelity 1: the other tests' cases stay as their seeds made them)
            said[c, i] = said[original, i] if fidelity >= 1 or rng.random() < fidelity else int(rng.integers(0, n_values))
        claims += [f"  - id: {w}-{i}\n    source: src-{w}\n    proposition: p{i}\n    value: v{said[w, i]}-{i}" for w in witnesses]
    path = write_witness_case(folder, "copying", witnesses, [f"  p{i}:\n    text: Value of item {i}\n    type: text" for i in range(n_items)], claims)
    return path, said


def right_share(est) -> float:
    """Share of propositions whose most probable value is the true one, v0."""
    ev = est.evidence_
    claims = est._case.claims.set_index("id")
    values = claims.loc[ev["claim"].astype(str), "value"].to_numpy()
    side_value = {(p, s): v for p, s, v in zip(ev["proposition"].astype(str), ev["side"], values) if s >= 0}
    best = est.propositions_["best_side"]
    return float(np.mean([str(side_value.get((p, b))).split("-")[0] == "v0" for p, b in best.items()]))


MINORITY = ({f"i{k}": a for k, a in enumerate([.9, .85, .8, .75, .7, .65, .6, .55])} | {"bad": .4}, {"c1": "bad", "c2": "bad"})


def test_pairs_within_lists_every_pair_of_a_group_once():
    groups = np.array([0, 0, 0, 1, 2, 2, 3, 3, 3, 3])
    left, right = _pairs_within(groups)
    got = sorted(zip(left.tolist(), right.tolist()))
    want = sorted((i, j) for i in range(len(groups)) for j in range(i + 1, len(groups)) if groups[i] == groups[j])
    assert got == want


def test_copiers_of_a_bad_source_are_found_and_counted_down(tmp_path):
    gains = []
    for seed in range(4):
        path, _ = copy_case(tmp_path / f"m{seed}", *MINORITY, seed=seed)
        case = srccrit.load_case(path)
        plain = srccrit.Reliability(copying=False).fit(case)
        copying = srccrit.Reliability(copying=True).fit(case)
        gains.append(right_share(copying) - right_share(plain))
        pairs = copying.copying_
        assert list(pairs.columns) == COPYING_COLUMNS
        found = {frozenset(p) for p in zip(pairs["witness_a"], pairs["witness_b"])}
        assert {frozenset({"bad", "c1"}), frozenset({"bad", "c2"}), frozenset({"c1", "c2"})} <= found
        # nobody independent is taken for a copier of anybody
        assert not any(w.startswith("i") for w in pairs["copier"])
        assert (pairs["p_copy"] > 0.9).all() and (pairs["disagreements"] == 0).all()
        # the copiers' agreeing votes count 1 - c P(copy) each for their value, their original's whole
        weight = copying.votes_.testimony.independence
        voter = copying.votes_.witnesses[copying.votes_.voter]
        # the three are counted about once: one keeps his weight, the two others weigh 0.2 or less
        whole = [w for w in ("bad", "c1", "c2") if weight[voter == w].min() == pytest.approx(1.0)]
        assert len(whole) == 1
        assert all(weight[voter == w].max() <= 0.2 + 1e-9 for w in {"bad", "c1", "c2"} - set(whole))
        copier = next(w for w in ("c1", "c2") if w not in whole)
        reasons = " ".join(copying.reliability_.loc[copier, "reasons"])
        assert "likely copies (P " in reasons and "Witness bad" in reasons or "Witness c" in reasons
        assert "counted once" in " ".join(copying.reliability_.loc[whole[0], "reasons"])
    # where the copiers are a minority the vote was already right: counting them down costs at
    # most one proposition in forty
    assert min(gains) >= -1 / 40 - 1e-9


MAJORITY = ({f"i{k}": a for k, a in enumerate([.8, .75, .7, .65, .6, .55])} | {"bad": .4}, {"c1": "bad", "c2": "bad", "c3": "bad"})


@pytest.mark.parametrize("accuracy, copies", [MAJORITY, ({"g1": .85, "g2": .85, "bad": .45}, {"copier": "bad"})],
                         ids=["three-copiers-of-a-bad-source", "one-copier-against-two-good"])
def test_copiers_holding_the_majority_do_not_out_vote_independent_witnesses(tmp_path, accuracy, copies):
    """The trap of copy detection started from a vote: without it the group's values are the
    truth on almost every proposition; counted once first, it loses to the independent ones."""
    for seed in range(3):
        path, _ = copy_case(tmp_path / f"t{seed}", accuracy, copies, seed=seed, n_items=60)
        case = srccrit.load_case(path)
        plain, copying = srccrit.Reliability(copying=False).fit(case), srccrit.Reliability().fit(case)
        assert right_share(plain) < 0.6
        assert right_share(copying) >= 0.8
        assert copying.skills_["bad"] < plain.skills_["bad"] - 0.2
        assert set(copying.copying_["copier"]) <= {"bad"} | set(copies)


def test_a_copier_of_a_good_source_does_not_become_more_reliable_than_it(tmp_path):
    for seed in range(3):
        path, _ = copy_case(tmp_path / f"g{seed}", {"g1": .9, "m1": .6, "m2": .6, "m3": .6}, {"copier": "g1"}, seed=seed)
        est = srccrit.Reliability(copying=True).fit(srccrit.load_case(path))
        assert est.skills_["copier"] <= est.skills_["g1"] + 1e-9
        assert right_share(est) >= right_share(srccrit.Reliability(copying=False).fit(srccrit.load_case(path)))


def test_independent_witnesses_are_not_called_copiers(tmp_path):
    path, _ = copy_case(tmp_path / "ind", {f"i{k}": a for k, a in enumerate([.9, .8, .7, .6, .6, .5])}, {}, seed=5)
    est = srccrit.Reliability(copying=True).fit(srccrit.load_case(path))
    assert est.copying_.empty


def test_copying_off_is_the_model_without_it(tmp_path):
    path, _ = copy_case(tmp_path / "off", *MINORITY, seed=1)
    case = srccrit.load_case(path)
    off = srccrit.Reliability(copying=False).fit(case)
    assert off.copying_.empty
    assert off.votes_.testimony.independence is None  # no vote counted down
    on = srccrit.Reliability().fit(case)  # copying is on by default
    assert not on.copying_.empty and on.votes_.testimony.independence.min() < 1


def test_copying_by_declared_dependence_is_not_found_again(tmp_path):
    """A copier declared with derives_from is one line with his original already: nothing to find."""
    path, _ = copy_case(tmp_path / "decl", *MINORITY, seed=2)
    text = path.read_text(encoding="utf-8")
    for c in ("c1", "c2"):
        text = text.replace(f"  src-{c}: {{kind: monograph,", f"  src-{c}: {{kind: monograph, derives_from: [src-bad],")
    assert text.count("derives_from") == 2
    path.write_text(text, encoding="utf-8")
    est = srccrit.Reliability(copying=True).fit(srccrit.load_case(path))
    assert est.copying_.empty


def test_every_reliability_lies_inside_its_interval(tmp_path, bundled):
    """The testimony model sets a witness's skill apart from his plain vote count (kinds'
    shifts, copying): the interval is centred on the skill, whatever moved it."""
    path, _ = copy_case(tmp_path / "iv", *MAJORITY, seed=0, n_items=60)
    for case in (srccrit.load_case(path), bundled):
        for params in ({}, {"copying": True}, {"testimony": False}):
            rel = srccrit.Reliability(**params).fit(case).reliability_
            assert (rel["low"] <= rel["reliability"] + 1e-12).all() and (rel["reliability"] <= rel["high"] + 1e-12).all(), params


def test_cli_dependence_and_reliability_with_copying(tmp_path, capsys):
    import json

    from srccrit.cli import main

    path, _ = copy_case(tmp_path / "cli", *MAJORITY, seed=0, n_items=60)
    assert main(["dependence", str(path), "--copying", "--format", "json"]) == 0
    pairs = json.loads(capsys.readouterr().out)
    assert pairs and set(pairs[0]) == set(COPYING_COLUMNS)
    assert {frozenset((p["witness_a"], p["witness_b"])) for p in pairs} >= {frozenset(("bad", "c1"))}
    assert main(["reliability", str(path), "--copying", "--format", "json"]) == 0
    rows = {r["witness"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["bad"]["reliability"] < 0.6 < rows["i0"]["reliability"]
    assert main(["reliability", str(path), "--format", "json"]) == 0  # on by default
    rows = {r["witness"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["bad"]["reliability"] < 0.6 < rows["i0"]["reliability"]
    assert main(["reliability", str(path), "--no-copying", "--format", "json"]) == 0
    rows = {r["witness"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["bad"]["reliability"] > 0.9  # without copying the group is the truth


def test_the_report_names_the_copying_pairs(tmp_path):
    """The report's index has a Copying section naming copier and original with the shared
    false values, and tables/copying.{csv,json} hold every pair."""
    import json

    from srccrit.report import build_report

    path, _ = copy_case(tmp_path / "rep", *MAJORITY, seed=0, n_items=60)
    out = tmp_path / "out"
    build_report(srccrit.load_case(path), out, execute=False, max_notebooks=1)
    pairs = json.loads((out / "tables" / "copying.json").read_text(encoding="utf-8"))
    assert {frozenset((p["witness_a"], p["witness_b"])) for p in pairs} >= {frozenset(("bad", "c1"))}
    index = (out / "index.html").read_text(encoding="utf-8")
    section = index[index.index('<section id="copying">'):]
    section = section[:section.index("</section>")]
    assert "Witness c1" in section and "Witness bad" in section and "counted once" in section


def test_the_report_says_when_nobody_copies(tmp_path, bundled):
    from srccrit.report import build_report

    build_report(bundled, tmp_path / "out", execute=False, max_notebooks=1)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "No two witnesses were found copying one another." in index


def test_a_pair_agreeing_more_than_its_accuracies_allow_is_a_copy_though_it_shares_no_false_value(tmp_path):
    """A copy group that holds the truth (or is taken for it) shares no value the posterior calls
    false: the evidence copy detection looks for. Two witnesses right 90% of the time each agree,
    if independent, on about 81% of what they share; a copier of one agrees on nearly all. Pairs
    agreeing on ``EXAMINE_AGREEMENT`` of what they share are examined, and the test weighs how
    seldom they disagree (on the real flight times: web sites repeating one feed, each with a
    few values of its own)."""
    from srccrit.analysis.copying import EXAMINE_AGREEMENT, find_copying, pair_agreement

    accuracy = {"feed": 1.0} | {f"own{k}": .9 for k in range(4)} | {f"m{k}": .6 for k in range(3)}
    path, said = copy_case(tmp_path / "near", accuracy, {"site": "feed"}, n_items=120, seed=1, fidelity=0.97)
    assert any(said["site", i] != said["feed", i] for i in range(120))  # not an identical copy
    est = srccrit.Reliability(copying=False).fit(srccrit.load_case(path))
    v = est.votes_
    # the feed's values are the truth on every item; every witness is taken to be right 90% of
    # the time (as a fit in which the feed and its copier count twice would have it)
    post = np.zeros(len(v.slot_item))
    post[v.slot[v.voter == list(v.witnesses).index("feed")]] = 1.0
    r = np.full(len(v.witnesses), 0.9)
    examined, agreement = pair_agreement(v, min_agreement=EXAMINE_AGREEMENT)
    assert (agreement >= EXAMINE_AGREEMENT).all() and (agreement < 1).any()
    assert not len(find_copying(v, post, r).pairs)  # no false value shared: nobody is found
    pairs = find_copying(v, post, r, suspects=examined).pairs
    assert [frozenset(p) for p in zip(pairs["witness_a"], pairs["witness_b"])] == [frozenset({"feed", "site"})]
    assert pairs.at[0, "copier"] == "site" or pairs.at[0, "copier"] == "feed"
    assert pairs.at[0, "p_copy"] > 0.99 and pairs.at[0, "shared_false"] == 0


def test_near_copies_of_a_fallible_feed_do_not_do_worse_than_majority_vote(tmp_path):
    """A feed right 90% of the time, repeated by three sites with a value of their own in fifty,
    against four independent witnesses as accurate and three right 60% of the time. Majority
    vote is right on 96-99% of 120 items. srccrit was right on 88-92% in five seeds of six: the
    group made its values the truth in the first fit, shared no value the posterior called false,
    and the independent witnesses right against it were taken for copiers. Judging a pair's
    shared values without the pair's own votes cured three seeds (two more copies still held the
    value up); without the votes of the pair's whole group of near-identical witnesses, all six."""
    from collections import Counter

    accuracy = {"feed": .9} | {f"own{k}": .9 for k in range(4)} | {f"m{k}": .6 for k in range(3)}
    copies = {"site1": "feed", "site2": "feed", "site3": "feed"}
    for seed in range(6):
        path, said = copy_case(tmp_path / f"n{seed}", accuracy, copies, n_items=120, seed=seed, fidelity=0.98)
        voters = list(accuracy) + list(copies)
        majority = np.mean([Counter(said[w, i] for w in voters).most_common(1)[0][0] == 0 for i in range(120)])
        est = srccrit.Reliability().fit(srccrit.load_case(path))
        assert right_share(est) >= majority - 1 / 120
        assert len({"feed", "site1", "site2", "site3"} & set(est.copying_["copier"])) >= 3  # the four count about once
        assert not any(w.startswith("own") for w in est.copying_["copier"])  # the independent ones are not copiers


def _habit_case(folder: Path, n_items: int = 150, seed: int = 3) -> Path:
    """Yes/no propositions, half of them true: six witnesses right 80% of the time, two who deny
    nine times in ten whatever they are asked (each on his own), and one who repeats h0."""
    rng = np.random.default_rng(seed)
    honest = [f"h{k}" for k in range(6)]
    witnesses = honest + ["denier1", "denier2", "copier"]
    claims = []
    for i in range(n_items):
        truth = bool(rng.random() < 0.5)
        said = {w: truth if rng.random() < 0.8 else not truth for w in honest}
        said |= {w: bool(rng.random() < 0.1) for w in ("denier1", "denier2")}
        said["copier"] = said["h0"]
        claims += [f"  - {{id: {w}-{i}, witness: {w}, source: src-{w}, proposition: p{i}, stance: {'affirms' if said[w] else 'denies'}}}"
                   for w in witnesses]
    return write_witness_case(folder, "habits", witnesses, [f"  p{i}: {{text: Statement {i}}}" for i in range(n_items)], claims)


def test_habits_are_not_copying(tmp_path):
    """Two witnesses who deny nearly whatever they are asked share many false denials without
    copying each other: the one-coin model, which spreads a witness's errors evenly over the false
    values, took their habit for copying (on a public crowd data set of duck images, 274 of 741
    pairs of workers "copied", and the answers fell from 76% right to 50%). The copy test reads
    each witness's habit with each recurring answer (here: denying) off his other propositions;
    the true copier, who repeats h0 answer for answer, is still found."""
    est = srccrit.Reliability().fit(srccrit.load_case(_habit_case(tmp_path / "habits")))
    pairs = {frozenset(p): c for p, c in zip(zip(est.copying_["witness_a"], est.copying_["witness_b"]), est.copying_["copier"])}
    assert frozenset({"denier1", "denier2"}) not in pairs
    assert frozenset({"copier", "h0"}) in pairs
    assert not any("denier" in w for p in pairs for w in p)


def test_only_answers_of_a_vocabulary_are_habits(tmp_path):
    """Stances are always read as habits; a text value only where it is an answer to at least a
    tenth of the text propositions (a crowd's class label), not a value that two items share by
    chance (two books by the same authors): there the one-coin model's reading stands."""
    folder = tmp_path / "vocab"
    folder.mkdir()
    out = ["case: vocab", "bibliography: refs.bib", "sources:", "  s1: {kind: monograph, date: 2000}", "  s2: {kind: monograph, date: 2000}",
           "witnesses:", "  a: {name: A}", "  b: {name: B}", "propositions:", "  yes: {text: A statement}"]
    out += [f"  p{i}: {{text: Item {i}, type: text}}" for i in range(30)]
    out += ["claims:", "  - {id: y1, witness: a, source: s1, proposition: yes, stance: affirms}",
            "  - {id: y2, witness: b, source: s2, proposition: yes, stance: denies}"]
    for i in range(30):
        # every item: "cat" or "dog"; items 0 and 1 also share a rare value
        out.append(f"  - {{id: a{i}, witness: a, source: s1, proposition: p{i}, value: {'cat' if i % 2 else 'dog'}}}")
        out.append(f"  - {{id: b{i}, witness: b, source: s2, proposition: p{i}, value: {'rare value' if i < 2 else 'cat'}}}")
    (folder / "case.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    (folder / "refs.bib").write_text("@book{s1, title = {One}, year = {2000}}\n@book{s2, title = {Two}, year = {2000}}\n", encoding="utf-8")
    est = srccrit.Reliability().fit(srccrit.load_case(folder))
    v, ev = est.votes_, est.evidence_
    label_of = {}
    for p, side, fold in zip(ev["proposition"].astype(str), ev["side"], ev["side_fold"]):
        item = list(v.items).index(p)
        label_of[(p, fold if isinstance(fold, str) else int(side))] = int(v.slot_label[v.offsets[item] + side])
    assert {label_of["yes", 0], label_of["yes", 1]} == {0, 1}  # affirming, denying
    assert label_of["p3", "cat"] == label_of["p5", "cat"] >= 2 and label_of["p0", "dog"] >= 2
    assert label_of["p0", "rare value"] == label_of["p1", "rare value"] == -1
    assert (v.slot_label[v.slot_side < 0] == -1).all()  # "some other value" says nothing across propositions


@pytest.mark.parametrize("n_witnesses, n_pairs, at_least", [(30, 5000, 1), (30, 5000, 18), (2000, 20000, 2), (2000, 20000, 5)])
def test_frequent_pairs_counts_exactly_what_a_plain_count_gives(n_witnesses, n_pairs, at_least):
    """The hashed pre-count only chooses what to count exactly: whatever collides in a bucket,
    the pairs and counts are those of counting every unordered pair of distinct witnesses."""
    from collections import Counter

    from srccrit.analysis.copying import frequent_pairs

    rng = np.random.default_rng(n_witnesses + at_least)
    wa = rng.integers(0, n_witnesses, n_pairs)
    wb = rng.integers(0, n_witnesses, n_pairs)
    wa[:40], wb[:40] = 3, 7  # one pair recurs in both orders, and a witness with himself
    wb[:20], wa[:20] = 3, 7
    wa[40:80], wb[40:80] = 5, 5
    plain = Counter((min(x, y), max(x, y)) for x, y in zip(wa.tolist(), wb.tolist()) if x != y)
    expected = sorted((x * n_witnesses + y, c) for (x, y), c in plain.items() if c >= at_least)
    # the pairs as positions in a list of witnesses (each occurrence its own two, in a shuffled layout)
    who = np.r_[wa, wb]
    at = rng.permutation(len(who))
    left, right = np.argsort(at)[:n_pairs], np.argsort(at)[n_pairs:]
    keys, counts = frequent_pairs(who[at], left, right, n_witnesses, at_least)
    assert list(zip(keys.tolist(), counts.tolist())) == expected
    assert 3 * n_witnesses + 7 in keys.tolist() and 5 * n_witnesses + 5 not in keys.tolist()


def test_pair_votes_kept_from_an_earlier_round_are_those_found_afresh(tmp_path):
    """The copy rounds keep the candidate pairs' common votes and find only the new pairs'. The
    result must be what a fresh search gives, in its order (the sums over it are then the same
    to the bit), whichever pairs come and go."""
    from srccrit.analysis.copying import _kept, _pair_votes, _pair_votes_again

    def _pair_votes_kept(v, candidates, memo):  # as find_copying keeps them
        return _kept(memo, "pair_votes", candidates, lambda: _pair_votes(v, candidates),
                     lambda old, votes: _pair_votes_again(v, candidates, old, votes))

    accuracy = {f"w{k}": .6 + .04 * k for k in range(8)}
    path, _ = copy_case(tmp_path / "pv", accuracy, {"c1": "w0", "c2": "w3"}, n_items=60, seed=4)
    v = srccrit.Reliability(copying=False).fit(srccrit.load_case(path)).votes_
    n = len(v.witnesses)
    every = np.array([a * n + b for a in range(n) for b in range(a + 1, n)], dtype=np.int64)
    rng = np.random.default_rng(0)
    for _ in range(20):
        first = np.sort(rng.choice(every, size=len(every) * 2 // 3, replace=False))
        later = np.union1d(first[rng.random(len(first)) < 0.9], rng.choice(every, size=4, replace=False))
        memo: dict = {}
        _pair_votes_kept(v, first, memo)
        kept = _pair_votes_kept(v, later, memo)
        fresh = _pair_votes(v, later)
        assert all(np.array_equal(x, y) for x, y in zip(kept, fresh))
        assert len(fresh[0]) and memo["pair_votes"][0] is later


def test_the_last_fit_made_beside_the_copy_test_is_the_fit_made_after_it(tmp_path, monkeypatch):
    """Where the copy rounds are settling, the fit carried on to ``tol`` is made on a second
    thread while the last copy test runs: the estimates must be those of the rounds made one
    after the other, to the bit, and the work ahead must really have been used."""
    import importlib
    import threading

    R = importlib.import_module("srccrit.analysis.reliability")

    accuracy = {"a": .9, "b": .85, "c": .8, "d": .6, "e": .6}
    # (near copies: the rounds refit twice; the first fit made ahead is not needed, the second is)
    path, _ = copy_case(tmp_path / "settle", accuracy, {"x": "d", "y": "d", "z": "e"}, n_items=80, seed=3, fidelity=0.9)
    case = srccrit.load_case(path)
    monkeypatch.setattr(R, "SETTLING_SHARE", 0.0)
    one_by_one = srccrit.Reliability().fit(case)
    made_aside = []
    run_em = R.run_em

    def counted(*args, **kwargs):
        made_aside.append(threading.current_thread() is not threading.main_thread())
        return run_em(*args, **kwargs)

    monkeypatch.setattr(R, "run_em", counted)
    monkeypatch.setattr(R, "SETTLING_SHARE", 1.0)
    ahead = srccrit.Reliability().fit(case)
    assert made_aside == [False, False, True, False, True]
    assert np.array_equal(ahead.skills_.to_numpy(), one_by_one.skills_.to_numpy())
    assert np.array_equal(ahead.posterior_, one_by_one.posterior_)
    assert ahead.n_iter_ == one_by_one.n_iter_ and ahead.copying_.equals(one_by_one.copying_)
