"""Testimony, not persons (issue 14): the source-critical criteria in the model, tested on a
case written from published history (the Jupiter missiles in the Cuban missile crisis) and on
hand-made cases whose answers follow from the documented rules."""

import json

import numpy as np
import pandas as pd
import pytest

import srccrit
from srccrit.analysis.em import vote_logits
from srccrit.analysis.testimony import AGAINST_INTEREST_SHIFT, BASIS_SHIFT, HOSTILE_AGREEMENT_SHIFT, SELF_SERVING_SHIFT

from conftest import CASES


@pytest.fixture(scope="module")
def cuba():
    return srccrit.load_case(CASES / "cuba-1962")


def test_cuba_a_contemporary_document_and_an_admission_outweigh_two_memoirs(cuba):
    s = srccrit.support(cuba)
    assert s.at["secret-trade", "verdict"] == "well-supported" and s.at["secret-trade", "probability"] >= 0.9
    assert s.at["no-deal", "verdict"] == "contradicted"
    # the plain model (one reliability per person, no criteria) is far less sure of the consensus
    plain = srccrit.support(cuba, testimony=False, fragility=False)
    assert plain.at["secret-trade", "probability"] < s.at["secret-trade", "probability"] - 0.05


def test_cuba_support_rises_when_the_cable_is_released(cuba):
    before = srccrit.support(cuba, as_of="1994")  # Sorensen's admission (1989) against two memoirs
    after = srccrit.support(cuba, as_of="1995")   # Dobrynin's cable of 27 October 1962 published
    assert 0.5 < before.at["secret-trade", "probability"] < after.at["secret-trade", "probability"]
    assert after.at["secret-trade", "probability"] - before.at["secret-trade", "probability"] > 0.1
    # before the release the admission is all there is: the conclusion rests on Sorensen alone
    assert before.at["secret-trade", "sole_support"] == "sorensen" and bool(before.at["secret-trade", "fragile"])
    assert not bool(after.at["secret-trade", "fragile"])


def test_cuba_a_memoir_agreeing_with_the_cable_never_lowers_the_support(cuba):
    full = srccrit.support(cuba, fragility=False).at["secret-trade", "probability"]
    claims = cuba.claims[~cuba.claims["id"].isin(["dobrynin-memoir-trade", "dobrynin-memoir-meeting"])]
    est = srccrit.Reliability().fit(cuba, claims)
    without = srccrit.support(cuba.with_claims(claims), estimator=est, fragility=False).at["secret-trade", "probability"]
    assert full >= without - 1e-9


def test_cuba_reasons_say_which_testimony_weighs_what(cuba):
    est = srccrit.Reliability().fit(cuba)
    reasons = est.reliability_.at["dobrynin", "reasons"]
    cable = next(r for r in reasons if r.startswith("testimony in dobrynin1962cable"))
    memoir = next(r for r in reasons if r.startswith("testimony in dobrynin1995"))
    assert "document (contemporary record), within a year" in cable and cable.endswith("(+)")
    assert "memoir (recollection)" in memoir and "years after the events" in memoir and memoir.endswith("(−)")
    t = est.testimonies_.set_index("claim")
    assert t.at["dobrynin-cable-trade", "reliability"] > est.reliability_.at["dobrynin", "reliability"] > t.at["dobrynin-memoir-trade", "reliability"]
    # one line (cable and memoir say the same): the cable speaks for it
    assert t.at["dobrynin-cable-trade", "speaks_for_line"] and not t.at["dobrynin-memoir-trade", "speaks_for_line"]
    assert "1 admission against interest (+)" in est.reliability_.at["sorensen", "reasons"]
    assert any("inferred by the case's author" in r for r in est.reliability_.at["fursenko", "reasons"])
    # both levels: each kind of testimony's shift, estimated around its prior
    k = est.kind_shifts_
    assert k.at["document", "shift"] > 0 > k.at["memoir", "shift"] and k.at["document", "lines"] >= 1


PAIR = """
    case: pair
    sources:
      s1: {kind: monograph, date: 1960}
      s2: {kind: monograph, date: 1961}
      s3: {kind: monograph, date: 1962}
    witnesses:
      a: {name: Anna, proximity: participant}
      b: {name: Boris, proximity: participant}
      c: {name: Chen, proximity: participant}
    propositions:
      p: {text: P happened}
    conclusions:
      p-true: {text: P is true, rests_on: {p: true}}
    claims:
      - {id: a1, witness: a, source: s1, proposition: p, stance: affirms}
      - {id: c1, witness: c, source: s3, proposition: p, stance: denies}
"""


def _fit(make_case, text, name):
    case = srccrit.load_case(make_case(text, name=name))
    est = srccrit.Reliability().fit(case)
    return case, est, srccrit.support(case, estimator=est, fragility=False)


def test_an_admission_against_interest_weighs_more(make_case):
    _, est0, s0 = _fit(make_case, PAIR, "plain")
    _, est1, s1 = _fit(make_case, PAIR.replace("stance: affirms}", "stance: affirms, against_interest: true}"), "admission")
    t0, t1 = est0.testimonies_.set_index("claim"), est1.testimonies_.set_index("claim")
    assert t1.at["a1", "against_interest"] and t1.at["a1", "shift"] - t0.at["a1", "shift"] == pytest.approx(AGAINST_INTEREST_SHIFT, abs=0.3)
    assert s0.at["p-true", "probability"] == pytest.approx(0.5, abs=0.02)  # one against one, alike
    assert s1.at["p-true", "probability"] > 0.6


def test_a_self_serving_claim_weighs_less_and_is_marked_everywhere(make_case):
    """Cui bono: a claim that serves its witness (a denial of his own guilt, an accusation of his
    enemy) is discounted as the mirror of an admission, and said so in every table that shows it."""
    _, est0, s0 = _fit(make_case, PAIR, "plain2")
    case, est1, s1 = _fit(make_case, PAIR.replace("stance: affirms}", "stance: affirms, self_serving: true}"), "serving")
    t0, t1 = est0.testimonies_.set_index("claim"), est1.testimonies_.set_index("claim")
    assert t1.at["a1", "self_serving"] and not t1.at["c1", "self_serving"] and not t0.at["a1", "self_serving"]
    assert t1.at["a1", "shift"] - t0.at["a1", "shift"] == pytest.approx(SELF_SERVING_SHIFT, abs=0.3) and SELF_SERVING_SHIFT < 0
    assert t1.at["a1", "reliability"] < t1.at["c1", "reliability"]
    assert s1.at["p-true", "probability"] < 0.45 < s0.at["p-true", "probability"]  # one against one, the self-serving one weighs less
    assert "1 claim serving his own or his side's interest (−)" in est1.reliability_.at["a", "reasons"]
    assert srccrit.evidence_for(case, "p-true", est=est1).set_index("claim").at["a1", "self_serving"]
    lines = srccrit.conclusion_evidence(case, "p-true", estimator=est1).lines.set_index("witness")
    assert lines.at["a", "self_serving"] and not lines.at["c", "self_serving"]
    from srccrit.charts import _line_label

    assert "self-serving" in _line_label(lines.reset_index().iloc[list(lines.index).index("a")])


def test_an_inferred_claim_weighs_less_and_is_marked(make_case):
    _, est, s = _fit(make_case, PAIR.replace("stance: affirms}", "stance: affirms, basis: inferred}"), "inferred")
    t = est.testimonies_.set_index("claim")
    assert t.at["a1", "basis"] == "inferred" and t.at["c1", "basis"] == "paraphrased"
    assert t.at["a1", "reliability"] < t.at["c1", "reliability"]
    assert s.at["p-true", "probability"] < 0.45
    case = srccrit.load_case(make_case(PAIR.replace("stance: affirms}", "stance: affirms, basis: inferred}"), name="inferred2"))
    ledger = srccrit.evidence_for(case, "p-true")
    assert ledger.set_index("claim").at["a1", "basis"] == "inferred"
    assert BASIS_SHIFT["inferred"] < 0


def test_criteria_read_from_a_spreadsheet_csv(tmp_path):
    """A CSV of claims from a spreadsheet: TRUE/FALSE or 1/0 (a column with blanks read as
    1.0/NaN) for the truth fields, blank for false."""
    (tmp_path / "refs.bib").write_text("@misc{s1, title = {S1}, year = {1950}}\n@misc{s2, title = {S2}, year = {1951}}\n", encoding="utf-8")
    (tmp_path / "claims.csv").write_text("id,witness,source,proposition,stance,against_interest,self_serving\n"
                                         "a1,a,s1,p,affirms,1,\nb1,b,s2,p,denies,,1\nb2,b,s2,q,affirms,0,TRUE\n", encoding="utf-8")
    (tmp_path / "case.yaml").write_text("case: sheet\nbibliography: refs.bib\nsources: {s1: {kind: memoir, date: 1950}, s2: {kind: memoir, date: 1951}}\n"
                                        "witnesses: {a: {name: Anna}, b: {name: Boris}}\npropositions: {p: {text: P}, q: {text: Q}}\n"
                                        "claims: claims.csv\n", encoding="utf-8")
    claims = srccrit.load_case(tmp_path).claims.set_index("id")
    assert claims["against_interest"].to_dict() == {"a1": True, "b1": False, "b2": False}
    assert claims["self_serving"].to_dict() == {"a1": False, "b1": True, "b2": True}


def test_a_quote_makes_the_basis_quoted_by_default(make_case):
    case = srccrit.load_case(make_case(PAIR.replace("stance: affirms}", "stance: affirms, quote: \"It happened.\"}"), name="quoted"))
    assert case.claims.set_index("id")["basis"].astype(str).to_dict() == {"a1": "quoted", "c1": "paraphrased"}


@pytest.mark.parametrize("field, value, message", [
    ("basis", "guessed", "claim 'a1': basis 'guessed' is not one of quoted, paraphrased, inferred"),
    ("against_interest", "maybe", "claim 'a1': against_interest must be true or false, not 'maybe'"),
    ("self_serving", "perhaps", "claim 'a1': self_serving must be true or false, not 'perhaps'"),
    ("self_serving: true, against_interest", "true", "claim 'a1': against_interest and self_serving are both true"),
])
def test_bad_criteria_are_errors_with_file_and_line(make_case, capsys, field, value, message):
    path = make_case(PAIR.replace("stance: affirms}", f"stance: affirms, {field}: {value}}}"), name=field)
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "id: a1" in text)
    assert f"case.yaml:{line}: {message}" in str(err.value)
    from srccrit.cli import main

    assert main(["support", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_corroboration_by_a_hostile_witness_counts_more(make_case):
    three = PAIR + "      - {id: b1, witness: b, source: s2, proposition: p, stance: affirms}\n"
    _, est0, s0 = _fit(make_case, three, "friends")
    hostile = three.replace("b: {name: Boris, proximity: participant}", "b: {name: Boris, proximity: participant, hostile_to: [a]}")
    _, est1, s1 = _fit(make_case, hostile, "enemies")
    t0, t1 = est0.testimonies_.set_index("claim"), est1.testimonies_.set_index("claim")
    assert t1.at["b1", "hostile_agreement"] and not t0.at["b1", "hostile_agreement"] and not t1.at["a1", "hostile_agreement"]
    assert t1.at["b1", "shift"] - t0.at["b1", "shift"] == pytest.approx(HOSTILE_AGREEMENT_SHIFT, abs=0.3)
    assert s1.at["p-true", "probability"] > s0.at["p-true", "probability"]
    assert any("agrees with a witness he is hostile to" in r for r in est1.reliability_.at["b", "reasons"])


DATES = """
    case: dates
    sources:
      s1: {kind: monograph, date: 1990}
      s2: {kind: monograph, date: 1991}
      s3: {kind: monograph, date: 1992}
    witnesses:
      a: {name: Anna, proximity: historian}
      b: {name: Boris, proximity: historian}
      c: {name: Chen, proximity: historian}
    propositions:
      d: {text: When it happened, type: date}
    conclusions:
      on-the-30th: {text: It happened on 30 January 1950, rests_on: {d: 1950-01-30}}
      in-march: {text: It happened in March 1950, rests_on: {d: 1950-03}}
    claims:
      - {id: a1, witness: a, source: s1, proposition: d, value: 1950-01-30}
      - {id: c1, witness: c, source: s3, proposition: d, value: 1950-06-01}
"""


def test_a_vague_value_corroborates_a_precise_one_only_a_little(make_case):
    exact = DATES + "      - {id: b1, witness: b, source: s2, proposition: d, value: 1950-01-30}\n"
    vague = DATES + "      - {id: b1, witness: b, source: s2, proposition: d, value: 1950-01/1950-08}\n"
    _, est_e, s_e = _fit(make_case, exact, "exact")
    _, est_v, s_v = _fit(make_case, vague, "vague")
    _, _, s_0 = _fit(make_case, DATES, "alone")
    iota = est_v.testimonies_.set_index("claim").at["b1", "informativeness"]
    days = (pd.Timestamp("1950-08-31") - pd.Timestamp("1950-01-01")).days
    assert iota == pytest.approx(1 / (1 + np.log10(days + 1)), rel=1e-6)  # the documented rule: about 0.3
    assert est_e.testimonies_.set_index("claim").at["b1", "informativeness"] == 1.0
    p = lambda s: s.at["on-the-30th", "probability"]
    assert p(s_0) < p(s_v) < p(s_e)
    assert p(s_v) - p(s_0) < (p(s_e) - p(s_0)) / 2


def test_an_unclaimed_value_keeps_some_probability(make_case):
    case, est, s = _fit(make_case, DATES, "unclaimed")
    props = srccrit.propositions(case)
    p_other = props.at["d", "p_unclaimed"]
    assert 0 < p_other < 0.5
    # nobody said March: the requirement takes the unclaimed value's probability, not zero
    assert s.at["in-march", "probability"] == pytest.approx(p_other)
    assert props["p_unclaimed"].isna().sum() == 0
    # a single estimate leaves room for other values too
    one = srccrit.load_case(make_case(DATES.replace("      - {id: c1, witness: c, source: s3, proposition: d, value: 1950-06-01}\n", ""), name="single"))
    s1 = srccrit.support(one, fragility=False)
    assert 0 < s1.at["in-march", "probability"] < 0.5 < s1.at["on-the-30th", "probability"] < 1


def test_the_testimony_fit_is_a_fixed_point_of_its_m_step(cuba):
    """At convergence the gradient of the expected complete-data log posterior is zero for
    every skill (as log-odds) and every kind's shift (the documented M-step)."""
    est = srccrit.Reliability(tol=1e-12, n_iter=2000).fit(cuba)
    assert est.converged_
    v, t = est.votes_, est.votes_.testimony
    r = est.skills_.to_numpy()
    a = est.prior_["a"].reindex(v.witnesses).to_numpy()
    b = est.prior_["b"].reindex(v.witnesses).to_numpy()
    shifts = est.kind_shifts_["shift"].to_numpy()
    rho = 1 / (1 + np.exp(-vote_logits(v, r, shifts)))
    q = est.posterior_[v.slot]
    grad_theta = a - (a + b) * r + np.bincount(v.voter, t.weight * (q - rho), minlength=len(r))
    grad_kind = np.bincount(t.kind, t.weight * (q - rho), minlength=len(shifts)) - (shifts - t.kind_mean) / t.kind_sd ** 2
    np.testing.assert_allclose(grad_theta, 0, atol=1e-6)
    np.testing.assert_allclose(grad_kind, 0, atol=1e-6)


def test_testimonies_command_json(cuba, capsys):
    from srccrit.cli import main

    assert main(["testimonies", str(CASES / "cuba-1962" / "case.yaml"), "--format", "json"]) == 0
    rows = {r["claim"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["sorensen-1989-edited"]["against_interest"] is True and rows["sorensen-1989-edited"]["kind"] == "testimony"
    assert rows["sorensen-1989-edited"]["date"] == "1989-01-28" and rows["dobrynin-cable-trade"]["date"] == "1962-10-27"
    assert rows["fursenko-trade"]["basis"] == "inferred"
    assert set(rows["nash-gone"]) >= {"reliability", "low", "high", "shift", "informativeness", "speaks_for_line", "delay"}


# -- a record written long after the events is not a contemporary record ---------------------

@pytest.fixture(scope="module")
def mukden():
    return srccrit.load_case(CASES / "mukden-1931")


def test_mukden_the_consensus_and_the_plotter_who_told(mukden):
    """The Mukden incident (1931), written from published history: the Kwantung Army's
    self-serving communiqué against a plotter's admission (Hanaya, 1956) and the historians."""
    s = srccrit.support(mukden)
    assert s.at["staged", "probability"] >= 0.7 and s.at["staged", "verdict"] in ("probable", "well-supported")
    assert s.at["chinese-attack", "verdict"] == "contradicted"
    tl = srccrit.timeline(mukden)
    staged = tl[tl["conclusion"] == "staged"].set_index("as_of")["probability"]
    # before the judgment the army's story stands; the plotter's own account turns it
    assert staged["1931-09-22"] < 0.25 and staged["1956-12"] > staged["1948-11-12"] + 0.3


def test_a_report_written_years_later_weighs_as_a_retrospective_record(mukden, tmp_path):
    t = srccrit.testimonies(mukden).set_index("claim")
    # the Tokyo Tribunal's judgment (1948) on the night of 18 September 1931: 17 years later
    assert (t.loc[["tr-1", "tr-2"], "kind"] == "retrospective").all()
    # the Lytton report (October 1932), the army's communiqué (the next day): contemporary
    assert t.at["ly-1", "kind"] == "report" and t.at["kw-1", "kind"] == "document"
    reasons = srccrit.reliability(mukden).at["imtfe", "reasons"]
    assert any(r.startswith("testimony in imtfe1948judgment, retrospective record, 17 years after the events") for r in reasons)
    # the same judgment dated within five years of the events is a contemporary report again,
    # and weighs more
    text = (CASES / "mukden-1931" / "case.yaml").read_text(encoding="utf-8")
    (tmp_path / "mukden.bib").write_text((CASES / "mukden-1931" / "mukden.bib").read_text(encoding="utf-8"), encoding="utf-8")
    early = tmp_path / "case.yaml"
    early.write_text(text.replace("imtfe1948judgment: {kind: report, date: 1948-11-12", "imtfe1948judgment: {kind: report, date: 1935-11-12"), encoding="utf-8")
    t2 = srccrit.testimonies(srccrit.load_case(early)).set_index("claim")
    assert t2.at["tr-1", "kind"] == "report"
    assert t2.at["tr-1", "shift"] > t.at["tr-1", "shift"] + 0.3


def test_an_archival_release_keeps_its_kind_whatever_its_date():
    """A release's date may be the day the archive opened; the documents are of their time."""
    t = srccrit.testimonies(srccrit.load_case(CASES / "reichstag-1933")).set_index("claim")
    assert t.at["lennings-sa", "delay"] > 20 and t.at["lennings-sa", "kind"] == "archival-release"
    # a newspaper's piece of 2019 on that affidavit is retrospective
    assert t.at["lennings-haz", "kind"] == "retrospective"
