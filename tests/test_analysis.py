"""The analyses on small hand-made cases whose answers are worked out by hand."""

import numpy as np
import pandas as pd
import pytest

import srccrit
from srccrit.analysis.support import verdict

TWO_AGAINST_ONE = """
    case: hand
    sources:
      s1: {kind: memoir, date: 1960}
      s2: {kind: memoir, date: 1961}
      s3: {kind: memoir, date: 1962}
      s4: {kind: monograph, date: 1990, derives_from: [s1], author: h}
      s5: {kind: review, date: 1991}
    witnesses:
      a: {name: Anna, proximity: participant}
      b: {name: Boris, proximity: participant}
      c: {name: Chen, proximity: participant}
      h: {name: Historian, proximity: historian}
      r: {name: Reviewer, proximity: reviewer}
    propositions:
      p: {text: P happened}
    conclusions:
      p-true: {text: P is true, rests_on: {p: true}}
    claims:
      - {id: a1, witness: a, source: s1, proposition: p, stance: affirms}
      - {id: b1, witness: b, source: s2, proposition: p, stance: affirms}
      - {id: c1, witness: c, source: s3, proposition: p, stance: denies}
"""


def test_boolean_contradiction_sides_and_lines(make_case):
    case = srccrit.load_case(make_case(TWO_AGAINST_ONE))
    table = srccrit.contradictions(case)
    assert table["position"].tolist() == ["affirms", "denies"]
    assert table["witnesses"].tolist() == [["a", "b"], ["c"]]
    assert table["sources"].tolist() == [["s1", "s2"], ["s3"]]
    assert table["lines"].tolist() == [2, 1]


def test_contradiction_lists_read_as_python_lists_and_explode_to_ids(make_case):
    # the list columns are held by Arrow; users read cells, explode and count as with lists
    table = srccrit.contradictions(srccrit.load_case(make_case(TWO_AGAINST_ONE)))
    cell = table["witnesses"].iloc[0]
    assert type(cell) is list and cell == ["a", "b"] and all(type(w) is str for w in cell)
    assert table["claims"].list.len().tolist() == [2, 1]
    assert table.explode("sources")["sources"].astype(str).tolist() == ["s1", "s2", "s3"]
    assert table["self_contradicting"].tolist() == [[], []]
    assert table["proposition"].dtype == "str" and table["text"].tolist() == ["P happened"] * 2


def test_a_transmission_chain_is_one_line(make_case):
    # the historian's book (derived from s1) repeats Anna, and a review relays Anna via the book
    text = TWO_AGAINST_ONE + """
      - {id: h1, witness: h, source: s4, proposition: p, stance: affirms}
      - {id: a2, witness: a, source: s5, proposition: p, stance: affirms, via: [h, s4]}
    """
    case = srccrit.load_case(make_case(text))
    table = srccrit.contradictions(case)
    assert table.loc[table["position"] == "affirms", "lines"].item() == 2  # Anna (x3) and Boris
    lines = srccrit.lines(case).set_index("claim")
    assert lines.at["h1", "origin"] == "a" and lines.at["a2", "origin"] == "a"
    assert lines.at["a2", "chain"] == "a -> s4 -> h -> s5"
    assert lines.at["a1", "line_claims"] == 3
    # and it changes no reliability or probability
    base = srccrit.load_case(make_case(TWO_AGAINST_ONE, name="base"))
    np.testing.assert_allclose(srccrit.reliability(case).loc[["a", "b", "c"], "reliability"],
                               srccrit.reliability(base).loc[["a", "b", "c"], "reliability"])
    assert srccrit.support(case)["probability"].item() == pytest.approx(srccrit.support(base)["probability"].item())


def test_chained_ranges_are_grouped_into_mutually_compatible_sides(make_case):
    # A=[1,3] overlaps B=[2,5], B overlaps C=[4,6], A does not overlap C
    text = """
        case: chain
        sources: {s1: {kind: memoir}, s2: {kind: memoir}, s3: {kind: memoir}}
        witnesses: {a: {name: A}, b: {name: B}, c: {name: C}}
        propositions: {n: {text: How many, type: number}}
        claims:
          - {id: ca, witness: a, source: s1, proposition: n, value: 2±1}
          - {id: cb, witness: b, source: s2, proposition: n, value: 3.5±1.5}
          - {id: cc, witness: c, source: s3, proposition: n, value: 5±1}
    """
    case = srccrit.load_case(make_case(text))
    table = srccrit.contradictions(case)
    assert table["claims"].tolist() == [["ca", "cb"], ["cc"]]
    assert table["kind"].unique().tolist() == ["value"]
    # the side's value is the range all its members accept
    ev = srccrit.positions(case).set_index("claim")
    assert (ev.at["ca", "side_low"], ev.at["ca", "side_high"]) == (2.0, 3.0)


def test_dates_that_overlap_agree_and_disjoint_dates_contradict(make_case):
    text = """
        case: dates
        sources: {s1: {kind: memoir}, s2: {kind: document}, s3: {kind: memoir}}
        witnesses: {a: {name: A}, b: {name: B}, c: {name: C}}
        propositions: {d: {text: When, type: date}}
        claims:
          - {id: da, witness: a, source: s1, proposition: d, value: 1950}
          - {id: db, witness: b, source: s2, proposition: d, value: 1950-01-30}
          - {id: dc, witness: c, source: s3, proposition: d, value: 1951-06}
    """
    table = srccrit.contradictions(srccrit.load_case(make_case(text)))
    assert table["claims"].tolist() == [["da", "db"], ["dc"]]
    assert table["position"].tolist() == ["1950-01-30", "1951-06"]


def test_a_witness_on_both_sides_contradicts_himself(make_case):
    text = """
        case: recant
        sources: {s1: {kind: testimony, date: 1950}, s2: {kind: memoir, date: 1980}, s3: {kind: memoir}}
        witnesses: {k: {name: K}, o: {name: O}}
        propositions: {p: {text: P}}
        claims:
          - {id: k1, witness: k, source: s1, proposition: p, stance: affirms}
          - {id: k2, witness: k, source: s2, proposition: p, stance: denies, note: recants}
          - {id: o1, witness: o, source: s3, proposition: p, stance: uncertain}
    """
    table = srccrit.contradictions(srccrit.load_case(make_case(text)))
    assert table["self_contradicting"].iloc[0] == ["k"]
    assert table["uncertain"].iloc[0] == ["o"]


def test_text_values_fold_case_accents_and_space(make_case):
    text = """
        case: text
        sources: {s1: {kind: memoir}, s2: {kind: memoir}, s3: {kind: memoir}}
        witnesses: {a: {name: A}, b: {name: B}, c: {name: C}}
        propositions: {t: {text: Which port, type: text}}
        claims:
          - {id: ta, witness: a, source: s1, proposition: t, value: Port Arthur}
          - {id: tb, witness: b, source: s2, proposition: t, value: "  port   ARTHUR"}
          - {id: tc, witness: c, source: s3, proposition: t, value: Dalian}
    """
    table = srccrit.contradictions(srccrit.load_case(make_case(text)))
    assert table["claims"].tolist() == [["tc"], ["ta", "tb"]]


def test_reliability_em_by_hand(make_case):
    """One boolean proposition, two participants for, one against (the plain model, no
    testimony shifts).

    Prior by hand: participant .65, strength 4: a = 2.6, b = 1.4.
    At the EM fixed point r_a = r_b = (2.6 + P) / 5 and r_c = (2.6 + 1 - P) / 5, where
    P = P(true) = r_a r_b (1 - r_c) / (r_a r_b (1 - r_c) + (1 - r_a)(1 - r_b) r_c).
    """
    case = srccrit.load_case(make_case(TWO_AGAINST_ONE))
    est = srccrit.Reliability(testimony=False).fit(case)
    assert est.prior_.loc["a", ["prior", "a", "b"]].tolist() == pytest.approx([0.65, 2.6, 1.4])
    rel = est.reliability_
    p_true = est.propositions_.at["p", "p_true"]
    ra, rb, rc = rel.at["a", "reliability"], rel.at["b", "reliability"], rel.at["c", "reliability"]
    assert ra == pytest.approx((2.6 + p_true) / 5, abs=1e-6) and rb == pytest.approx(ra)
    assert rc == pytest.approx((2.6 + 1 - p_true) / 5, abs=1e-6)
    expected = ra * rb * (1 - rc) / (ra * rb * (1 - rc) + (1 - ra) * (1 - rb) * rc)
    assert p_true == pytest.approx(expected, abs=1e-6)
    assert ra > 0.65 > rc
    assert rel.at["a", "low"] < ra < rel.at["a", "high"]
    assert est.converged_
    assert "participant: base 0.65 (+)" in rel.at["a", "reasons"]
    assert "1 of 1 claims corroborated by independent witnesses (+)" in rel.at["a", "reasons"]
    assert "1 of 1 claims contradicted by other witnesses (−)" in rel.at["c", "reasons"]


def test_testimony_reasons_from_source_criticism(tonkin):
    est = srccrit.Reliability().fit(tonkin)
    rel = est.reliability_
    herrick = [r for r in rel.at["herrick", "reasons"] if r.startswith("testimony in herrick1964")]
    assert herrick and "document (contemporary record), within a year" in herrick[0] and herrick[0].endswith("(+)")
    # McNamara's two testimonies weigh apart: two days after the events, and 30 years after
    mcnamara = [r for r in rel.at["mcnamara", "reasons"] if r.startswith("testimony in")]
    assert any("mcnamara1964" in r and "within a year" in r for r in mcnamara)
    assert any("mcnamara1995" in r and "30 years after the events" in r and r.endswith("(−)") for r in mcnamara)
    t = est.testimonies_.set_index("claim")
    assert t.at["mcnamara-1964-aug4", "reliability"] > t.at["mcnamara-boats", "reliability"]
    assert rel.at["nsa-history", "prior"] == pytest.approx(0.85)  # the document base; the kind of source is the testimony's
    assert t.at["hanyok-no-attack", "reliability"] > rel.at["nsa-history", "reliability"]


def test_bundled_reliability_reasons_name_hostility_and_the_archive(bundled):
    rel = srccrit.reliability(bundled)
    assert "hostile to Shi Zhe, who contradicts him (−)" in rel.at["kovalev", "reasons"]
    assert "hostile to Ivan V. Kovalev, who contradicts him (−)" in rel.at["shi-zhe", "reasons"]
    assert any("checked by the 1995 archival release (rusarch1995) agree with it (+)" in r for r in rel.at["zubok", "reasons"])
    # the archive's strong prior puts it first
    assert rel.index[0] == "russian-archives-1995"
    assert (rel["low"] <= rel["reliability"]).all() and (rel["reliability"] <= rel["high"]).all()


def test_bundled_contradictions_include_gao_gang_and_manchuria(bundled):
    table = srccrit.contradictions(bundled)
    gao = table[table["proposition"] == "gao-manchuria-proposal"].set_index("position")
    assert "kovalev" in gao.at["affirms", "witnesses"] and gao.at["denies", "witnesses"] == ["shi-zhe"]
    manch = table[table["proposition"] == "ussr-kept-manchurian-concessions"].set_index("position")
    assert manch.at["denies", "sources"] == ["zubok2007failed"]
    assert manch.at["affirms", "sources"] == ["madonreview"]
    assert manch.at["affirms", "witnesses"] == ["goncharov-lewis-xue"]
    # a conclusion's notebook asks for its own propositions only: the same rows as the whole table's
    some = ["gao-manchuria-proposal", "ussr-kept-manchurian-concessions", "archives-support-book"]  # the last uncontested
    mine = srccrit.contradictions(bundled, propositions=some)
    whole = table[table["proposition"].isin(some)].reset_index(drop=True)
    assert len(mine) == len(whole) > 0
    pd.testing.assert_frame_equal(mine.astype(object).reset_index(drop=True), whole.astype(object))
    with pytest.raises(srccrit.UsageError, match="no proposition 'not-a-proposition'"):  # a typo is not an empty table
        srccrit.contradictions(bundled, propositions=[*some, "not-a-proposition"])
    one = srccrit.contradictions(bundled, propositions="gao-manchuria-proposal")  # one id, not its letters
    assert set(one["proposition"]) == {"gao-manchuria-proposal"}


def test_support_verdicts_lines_and_fragility(make_case):
    case = srccrit.load_case(make_case(TWO_AGAINST_ONE))
    s = srccrit.support(case).loc["p-true"]
    assert s["lines_for"] == 2 and s["lines_against"] == 1
    assert s["probability"] == pytest.approx(srccrit.propositions(case).at["p", "p_true"])
    assert s["verdict"] == verdict(s["probability"])
    # dropping Anna (or, equally, Boris) leaves one against one: back to even, the largest move
    assert s["pivotal_witness"] == "a" and s["pivotal_shift"] < 0
    assert s["probability"] + s["pivotal_shift"] == pytest.approx(0.5)


def test_fragile_when_one_witness_carries_the_conclusion(bundled):
    s = srccrit.support(bundled)
    row = s.loc["stalin-turned-in-january-1950"]
    assert row["fragile"] and row["break_count"] == 1 and row["pivotal_witness"] == "zubok" and row["sole_support"] == "zubok"
    assert row["verdict_without"] != row["verdict"]
    assert s.loc["stalin-approved-invasion", "verdict"] == "well-supported"
    assert not s.loc["stalin-approved-invasion", "fragile"] and s.loc["stalin-approved-invasion", "break_count"] >= 2
    # Gao Gang's offer rests on Kovalev alone (the book's statement derives from his papers)
    gao = s.loc["gao-offered-manchuria"]
    assert gao["sole_support"] == "kovalev" and not gao["fragile"] and pd.isna(gao["break_count"])  # not supported: nothing to break
    assert int(s["fragile"].sum()) <= 3  # the old definition flagged 5 of 7


FRAGILITY = """
    case: fragility
    sources:
      s1: {kind: document, date: 1950}
      s2: {kind: document, date: 1951}
      s3: {kind: document, date: 1952}
    witnesses:
      a: {name: Anna, prior: 0.9, prior_strength: 10000}
      b: {name: Boris, prior: 0.9, prior_strength: 10000}
      c: {name: Chen, prior: 0.9, prior_strength: 10000}
    propositions:
      one: {text: Held by Anna alone}
      two: {text: Held by Anna and Boris}
      three: {text: Held by all three}
      other: {text: Denied by Chen}
    conclusions:
      by-one: {text: One, rests_on: {one: true}}
      by-two: {text: Two, rests_on: {two: true}}
      by-three: {text: Three, rests_on: {three: true}}
      two-needs: {text: Two propositions, rests_on: {one: true, three: true}}
      against: {text: Against Chen, rests_on: {other: true}}
    claims:
      - {id: a1, witness: a, source: s1, proposition: one, stance: affirms}
      - {id: a2, witness: a, source: s1, proposition: two, stance: affirms}
      - {id: b2, witness: b, source: s2, proposition: two, stance: affirms}
      - {id: a3, witness: a, source: s1, proposition: three, stance: affirms}
      - {id: b3, witness: b, source: s2, proposition: three, stance: affirms}
      - {id: c3, witness: c, source: s3, proposition: three, stance: affirms}
      - {id: c4, witness: c, source: s3, proposition: other, stance: denies}
"""


def test_sole_support_and_break_count_worked_out_by_hand(make_case):
    # reliabilities pinned at 0.9 (prior strength 10,000): one affirming witness gives 0.9, two
    # 0.9^2 / (0.9^2 + 0.1^2) = 0.988, three 0.9986; none 0.5
    s = srccrit.support(srccrit.load_case(make_case(FRAGILITY)), testimony=False)
    assert s.at["by-one", "probability"] == pytest.approx(0.9, abs=1e-3)
    assert s.at["by-one", "sole_support"] == "a" and s.at["by-one", "break_count"] == 1 and s.at["by-one", "fragile"]
    assert s.at["by-two", "sole_support"] is None and s.at["by-two", "break_count"] == 2 and not s.at["by-two", "fragile"]
    assert s.at["by-three", "break_count"] == 3
    # two propositions: 0.9 * 0.9986; Anna alone holds the first, so she alone breaks it
    assert s.at["two-needs", "sole_support"] == "a" and s.at["two-needs", "break_count"] == 1
    assert s.at["against", "probability"] == pytest.approx(0.1, abs=1e-3) and pd.isna(s.at["against", "break_count"])
    for cid, row in s.iterrows():  # the three pivotal fields describe one removal
        assert row["verdict_without"] == verdict(row["probability"] + row["pivotal_shift"]), cid


def test_without_fragility_the_fragility_fields_are_empty(make_case, capsys):
    path = make_case(FRAGILITY)
    s = srccrit.support(srccrit.load_case(path), fragility=False)
    assert s["fragile"].isna().all() and s["break_count"].isna().all() and s["pivotal_witness"].isna().all()
    assert s["pivotal_shift"].isna().all() and s["verdict_without"].isna().all()
    assert s.at["by-one", "sole_support"] == "a"  # needs no re-estimate
    from srccrit.cli import main

    assert main(["support", str(path), "--no-fragility", "--format", "json"]) == 0
    import json

    row = json.loads(capsys.readouterr().out)[0]
    assert row["fragile"] is None and row["pivotal_witness"] is None and row["verdict_without"] is None and row["break_count"] is None


def test_as_of_counts_only_available_sources(bundled):
    before = srccrit.support(bundled, as_of="1994").loc["stalin-approved-invasion", "probability"]
    after = srccrit.support(bundled, as_of="1995").loc["stalin-approved-invasion", "probability"]
    assert after > before  # the 1995 release corroborates
    with pytest.raises(srccrit.SrccritError):
        srccrit.support(bundled, as_of="nineteen")


def test_timeline_steps_as_archives_open(bundled):
    t = srccrit.timeline(bundled)
    inv = t[t["conclusion"] == "stalin-approved-invasion"].set_index("as_of")
    assert inv.at["prior", "probability"] == 0.5
    assert bool(inv.at["1995", "archival"]) and "rusarch1995" in inv.at["1995", "released"]
    assert inv.at["1995", "probability"] > inv.at["1994", "probability"]


def test_propositions_resolve_values(bundled):
    props = srccrit.propositions(bundled)
    assert props.at["stalin-change-of-mind-date", "value"] == "1950-01-30"
    assert props.at["treaty-breakthrough-date", "value"] in {"1950-01-20/1950-01-25", "1950-01-01/1950-01-10"}
    assert 0.5 <= props.at["stalin-assisted-invasion", "probability"] <= 1


def test_undeclared_dependence_flags_shared_minority_positions(make_case):
    rows = []
    for i in range(4):
        # x and y share every minority position; five independent witnesses hold the majority
        rows.append(f"  - {{id: x{i}, witness: x, source: s1, proposition: p{i}, stance: denies}}")
        rows.append(f"  - {{id: y{i}, witness: y, source: s2, proposition: p{i}, stance: denies}}")
        for j in range(5):
            rows.append(f"  - {{id: m{i}{j}, witness: m{j}, source: s3, proposition: p{i}, stance: affirms}}")
    text = ("case: copy\nsources: {s1: {kind: memoir}, s2: {kind: memoir}, s3: {kind: document}}\n"
            "witnesses: {x: {name: X}, y: {name: Y}, " + ", ".join(f"m{j}: {{name: M{j}}}" for j in range(5)) + "}\n"
            "propositions: {" + ", ".join(f"p{i}: {{text: P{i}}}" for i in range(4)) + "}\nclaims:\n" + "\n".join(rows) + "\n")
    table = srccrit.undeclared_dependence(srccrit.load_case(make_case(text)))
    assert table[["witness_a", "witness_b"]].values.tolist() == [["x", "y"]]
    assert table["shared_minority"].item() == 4 and table["score"].item() > 2


def test_no_evidence_leaves_conclusions_at_their_prior(bundled):
    s = srccrit.support(bundled, as_of="1900")
    assert (s["probability"] == s["prior"]).all()


def test_local_fragility_approximates_the_exact_refit(bundled):
    exact = srccrit.support(bundled)
    local = srccrit.support(bundled, exact_limit=0)  # force the large-case path
    same_witness = (exact["pivotal_witness"] == local["pivotal_witness"]).sum()
    assert same_witness >= len(exact) - 2
    both = exact["pivotal_witness"] == local["pivotal_witness"]
    assert (np.sign(exact.loc[both, "pivotal_shift"]) == np.sign(local.loc[both, "pivotal_shift"])).all()
    np.testing.assert_allclose(exact["probability"], local["probability"])  # the estimate itself is the same


def test_a_fitted_estimator_is_reused_with_the_same_results(bundled):
    est = srccrit.Reliability().fit(bundled)
    a, b = srccrit.support(bundled), srccrit.support(bundled, estimator=est)
    np.testing.assert_allclose(a["probability"], b["probability"])
    assert a["pivotal_witness"].tolist() == b["pivotal_witness"].tolist()
    pa, pb = srccrit.propositions(bundled), srccrit.propositions(bundled, estimator=est)
    np.testing.assert_allclose(pa["probability"], pb["probability"])


def test_analyses_leave_the_case_untouched(bundled):
    """The analyses share the claims' category indexes for speed; none may rename or change them."""
    before = bundled.claims.copy(deep=True)
    names = {c: bundled.claims[c].cat.categories.name for c in ("witness", "source", "proposition")}
    est = srccrit.Reliability().fit(bundled)
    est.skills_.index.name = "renamed by a user"
    est.reliability_.index.name = "renamed too"
    # the evidence shares the claims' columns: writing into it must copy, not reach the case
    est.evidence_.loc[0, "witness"] = "mao"
    est.evidence_.loc[1, "claim"] = "edited"
    est.evidence_.loc[2, "proposition"] = est.evidence_.at[3, "proposition"]
    srccrit.support(bundled)
    srccrit.contradictions(bundled)
    srccrit.propositions(bundled)
    pd.testing.assert_frame_equal(bundled.claims, before)
    assert {c: bundled.claims[c].cat.categories.name for c in names} == names


def test_a_witness_checked_by_many_archival_releases_gets_one_total(make_case):
    releases = [f"a{i}" for i in range(5)]
    bib = "\n".join(f"@misc{{{k}, title = {{{k}}}, year = {{1995}}}}" for k in ["memoir", *releases])
    props = "".join(f"  p{i}: {{text: P{i}}}\n" for i in range(5))
    claims = "".join(f"  - {{id: k{i}, witness: kim, source: memoir, proposition: p{i}, stance: affirms}}\n" for i in range(5))
    # four releases agree with him, one does not
    claims += "".join(f"  - {{id: a{i}-p{i}, source: a{i}, proposition: p{i}, stance: {'affirms' if i < 4 else 'denies'}}}\n" for i in range(5))
    sources = "  memoir: {kind: memoir, date: 1990, author: kim}\n" + "".join(f"  a{i}: {{kind: archival-release, date: 1995, author: arch{i}}}\n" for i in range(5))
    witnesses = "  kim: {name: Kim}\n" + "".join(f"  arch{i}: {{name: Archive {i}, proximity: document}}\n" for i in range(5))
    path = make_case(f"case: many\nsources:\n{sources}witnesses:\n{witnesses}propositions:\n{props}claims:\n{claims}", bib=bib)
    reasons = srccrit.Reliability().fit(srccrit.load_case(path)).reliability_.at["kim", "reasons"]
    assert "4 of 5 claims checked by 5 archival releases agree with them (+)" in reasons
    assert not any("archival release (a" in r for r in reasons)  # no line per release


def test_sides_of_a_plain_claims_table_where_nobody_affirms(make_case):
    """A claims table built by hand (stance as plain text) may lack a stance entirely: denials
    still take side 1, and neither the uncertain nor a claim with no stance takes a side."""
    from srccrit.analysis.evidence import positions

    case = srccrit.load_case(make_case(TWO_AGAINST_ONE))
    claims = case.claims.copy()
    claims["stance"] = pd.Series(["denies", None, "uncertain"], index=claims.index, dtype=object)
    ev = positions(case, claims)
    assert ev["side"].tolist() == [1, -1, -1]
    assert ev["position"].tolist() == ["denies", None, None]
    assert ev["line"].tolist() == [0, -1, -1]


def test_a_case_edited_between_fits_is_read_afresh(make_case):
    """The codes a fit converts once are not kept: a claim changed afterwards changes the result."""
    case = srccrit.load_case(make_case(TWO_AGAINST_ONE))
    before = srccrit.Reliability().fit(case).propositions_.at["p", "p_true"]
    case.claims["witness"].array[2] = "a"  # in place: Chen's denial now Anna's, and she contradicts herself
    after = srccrit.Reliability().fit(case)
    assert after.evidence_["witness"].astype(str).tolist() == ["a", "b", "a"]
    assert after.propositions_.at["p", "p_true"] != pytest.approx(before)


BELOW_CHANCE = """
    case: below-chance
    sources:
      s1: {kind: memoir, date: 1950, author: w0}
      s2: {kind: memoir, date: 1951, author: w1}
      s3: {kind: memoir, date: 1952, author: w2}
      s4: {kind: memoir, date: 1953, author: w3}
    witnesses:
      w0: {name: Participant, proximity: participant}
      w1: {name: Document, proximity: document}
      w2: {name: Reviewer, proximity: reviewer}
      w3: {name: Newcomer, proximity: participant}
    propositions:
      p: {text: P happened}
    claims:
      - {id: k0, witness: w0, source: s1, proposition: p, stance: affirms}
      - {id: k1, witness: w1, source: s2, proposition: p, stance: affirms}
      - {id: k2, witness: w2, source: s3, proposition: p, stance: denies}
"""


def test_agreeing_with_a_witness_never_lowers_him(make_case):
    """Hypothesis found it: a newcomer agrees with the reviewer against two stronger witnesses.
    Read backwards (the plain one-coin model, once the newcomer is estimated below 0.5), his
    denial counted for P and lowered the very reviewer he agrees with."""
    without = srccrit.Reliability().fit(srccrit.load_case(make_case(BELOW_CHANCE, name="without")))
    case = srccrit.load_case(make_case(BELOW_CHANCE + "      - {id: k3, witness: w3, source: s4, proposition: p, stance: denies}\n", name="with"))
    est = srccrit.Reliability().fit(case)
    assert est.propositions_.at["p", "p_true"] <= without.propositions_.at["p", "p_true"] + 1e-9
    assert est.reliability_.at["w2", "reliability"] >= without.reliability_.at["w2", "reliability"] - 1e-9


def test_a_witness_worse_than_a_guess_is_disregarded_not_read_backwards(make_case):
    """A contrarian denies three things two documents affirm: he ends below even odds, his
    reasons say his testimony carries no weight, and his denials do not count for them."""
    docs = "".join(f"      - {{id: d{i}, witness: w1, source: s2, proposition: q{i}, stance: affirms}}\n"
                   f"      - {{id: e{i}, witness: w0, source: s1, proposition: q{i}, stance: affirms}}\n" for i in range(3))
    props = "".join(f"      q{i}: {{text: Q{i}}}\n" for i in range(3))
    base = BELOW_CHANCE.replace("    claims:\n", props + "    claims:\n") + docs
    contrarian = "".join(f"      - {{id: c{i}, witness: w3, source: s4, proposition: q{i}, stance: denies}}\n" for i in range(3))
    without = srccrit.Reliability().fit(srccrit.load_case(make_case(base, name="without")))
    est = srccrit.Reliability().fit(srccrit.load_case(make_case(base + contrarian, name="with")))
    rel = est.reliability_
    assert rel.at["w3", "reliability"] < 0.5
    assert "below even odds: on yes/no questions his testimony is given no weight, not read as its opposite (−)" in rel.at["w3", "reasons"]
    assert not any("below even odds" in r for r in rel.at["w1", "reasons"])
    for q in ("q0", "q1", "q2"):
        assert est.propositions_.at[q, "p_true"] <= without.propositions_.at[q, "p_true"] + 1e-9


MIXED_DATES = """
    case: dates
    sources:
      s1: {kind: document, date: 1992}
      s2: {kind: document, date: 1992-10}
      s3: {kind: memoir, date: 1995}
      s4: {kind: memoir, date: 1995-03}
      s5: {kind: memoir, date: 1990, available: 1993-05-17}
    witnesses:
      a: {name: Anna}
      b: {name: Boris}
      c: {name: Chen}
      d: {name: Dora}
      e: {name: Emil}
    propositions:
      p: {text: P}
    conclusions:
      c: {text: P holds, rests_on: {p: true}}
    claims:
      - {id: c1, witness: a, source: s1, proposition: p, stance: affirms}
      - {id: c2, witness: b, source: s2, proposition: p, stance: affirms}
      - {id: c3, witness: c, source: s3, proposition: p, stance: affirms}
      - {id: c4, witness: d, source: s4, proposition: p, stance: denies}
      - {id: c5, witness: e, source: s5, proposition: p, stance: affirms}
"""


def test_timeline_steps_in_the_order_of_the_days_they_count_from(make_case):
    case = srccrit.load_case(make_case(MIXED_DATES))
    t = srccrit.timeline(case)
    steps = t[t["as_of"] != "prior"].drop_duplicates("as_of")
    assert steps["as_of"].tolist() == ["1992-10", "1992", "1993-05-17", "1995-03", "1995"]  # a month ends before its year
    assert steps["date"].dt.date.astype(str).tolist() == ["1992-10-31", "1992-12-31", "1993-05-17", "1995-03-31", "1995-12-31"]
    assert steps["date"].is_monotonic_increasing  # the chart never steps backwards
    assert steps["released"].tolist() == [["s2"], ["s1"], ["s5"], ["s4"], ["s3"]]  # the source that caused each step
    # as of June 1995 the March memoir counts, the one dated only "1995" does not yet
    june = set(case.available_claims("1995-06")["id"])
    assert "c4" in june and "c3" not in june and "c3" in set(case.available_claims("1995")["id"])


def test_a_frozen_heap_is_thawed_after_and_a_heap_frozen_before_is_left_frozen():
    import gc

    from srccrit._gc import frozen_heap

    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError), frozen_heap():
        raise ValueError("an error inside")
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the caller's own freeze
    try:
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("params", [{"temper": False}, {"copying": False}, {"testimony": False}])
def test_fragility_refits_with_the_model_of_the_estimator_given(params):
    """support(case, estimator=est) drops witnesses and refits: with est's own parameters, so it
    says what support(case, **params) says."""
    case = srccrit.load_case()
    given = srccrit.support(case, estimator=srccrit.Reliability(**params).fit(case))
    direct = srccrit.support(case, **params)
    pd.testing.assert_frame_equal(given, direct)


def test_id_lookups_use_python_strings_kept_per_index(bundled):
    """Ids are looked up in indexes of Python strings (pandas keeps their hash tables; an Arrow
    index builds one at every lookup), converted once per index and kept: the same answers."""
    from srccrit.analysis.evidence import object_index, object_labels

    assert bundled.propositions.index.dtype == object and bundled.witnesses.index.dtype == object
    arrow = pd.Index(["b", "a", "c"], dtype="str")
    looked = object_index(arrow)
    assert looked.dtype == object and looked.equals(arrow) and object_index(arrow) is looked
    assert list(looked.get_indexer(["c", "x", "a"])) == [2, -1, 1]
    values = object_labels(arrow)
    assert values.tolist() == ["b", "a", "c"] and object_labels(arrow) is values and not values.flags.writeable
    other = pd.Index(["b", "a", "d"], dtype="str")  # another index is converted on its own
    assert object_labels(other).tolist() == ["b", "a", "d"] and object_index(other).tolist() == ["b", "a", "d"]
    plain = pd.Index(["x"], dtype=object)
    assert object_index(plain) is plain


# -- copies of a source whose own testimony is out of view -------------------------------------

@pytest.fixture(scope="module")
def zinoviev():
    from conftest import CASES

    return srccrit.load_case(CASES / "zinoviev-1924")


def test_sources_derived_from_one_unopened_file_are_one_line_before_it_opens(zinoviev):
    """The Zinoviev letter (1924), written from published history: the Foreign Office's note,
    the Daily Mail and Baldwin all rest on SIS's copy and assurances. Before SIS's files were
    opened (1999) they were still one line of evidence, SIS's, not three."""
    ev = srccrit.positions(zinoviev.with_claims(zinoviev.available_claims("1990"))).set_index("claim")
    assert set(ev.loc[["fo-1", "dm-1", "ba-1"], "origin"]) == {"sis"}
    assert ev.loc[["fo-1", "dm-1", "ba-1"], "line"].nunique() == 1
    s = srccrit.support(zinoviev, as_of="1990")
    assert s.at["authentic", "lines_for"] == 1 and s.at["forgery", "lines_against"] == 1
    assert s.at["authentic", "sole_support"] == "sis"
    reasons = srccrit.reliability(zinoviev, as_of="1990").at["sis", "reasons"]
    assert "no claim of his own here: his testimony reaches the case through baldwin1928commons, dailymail1924, fo1924note, " \
           "which derive from him (1 line in his name)" in reasons
    # the same three lines as the whole case has them, where SIS's own claim is one of them
    whole = srccrit.positions(zinoviev).set_index("claim")
    assert whole.at["si-2", "line"] == whole.at["fo-1", "line"] == whole.at["ba-1", "line"]
    # Baldwin repeating SIS in 1928 adds nothing the Foreign Office had not already said
    tl = srccrit.timeline(zinoviev)
    forgery = tl[tl["conclusion"] == "forgery"].set_index("as_of")["probability"]
    assert forgery["1928-03-19"] == pytest.approx(forgery["1925"], abs=0.02)
    assert forgery["1925"] > 0.7 and forgery["1999-02"] > forgery["1967"]


def test_dropping_the_original_drops_its_copies(zinoviev):
    """Fragility's removal of a witness takes the derived sources that repeat him with him:
    before the fix, dropping SIS made the three copies three independent lines."""
    for exact_limit in (2_000, 0):  # the refit and the local re-scoring agree
        s = srccrit.support(zinoviev, as_of="1924-10-25", exact_limit=exact_limit)
        assert s.at["authentic", "probability"] >= 0.7
        assert s.at["authentic", "pivotal_witness"] == "sis" and s.at["authentic", "break_count"] == 1
        assert s.at["authentic", "pivotal_shift"] < -0.2
    kept = zinoviev.claims[(zinoviev.claims["witness"] != "sis")]
    est = srccrit.Reliability().fit(zinoviev, kept)
    ev = est.evidence_.set_index("claim")
    assert ev.loc[["fo-1", "dm-1", "ba-1"], "line"].nunique() == 1  # what a direct fit without him sees


def test_a_copy_of_an_archival_release_is_not_checked_by_it(zinoviev):
    rel = srccrit.reliability(zinoviev)
    for copier in ("foreign-office", "daily-mail", "baldwin"):
        assert not any("archival release" in r for r in rel.at[copier, "reasons"]), copier
    assert any(r.startswith("0 of 1 claims checked by the 1999-02 archival release (sis1924files)") for r in rel.at["tuc", "reasons"])


def test_what_if_sets_a_witness_aside_with_the_copies_of_him(zinoviev):
    out = srccrit.what_if(zinoviev, without=["sis"])
    # without SIS, nothing says the letter was genuine: the Foreign Office, the Mail and Baldwin
    # only repeated his file
    assert out.at["authentic", "lines_for"] == 0 and out.at["forgery", "lines_against"] == 0
    kept = srccrit.what_if(zinoviev, without=["foreign-office"])
    assert kept.at["authentic", "lines_for"] == 1  # the copy gone, SIS's line stays


def test_a_subset_with_claims_the_whole_case_lacks_keeps_their_own_lines(zinoviev):
    """A subset's orphans are found in the whole case by row label and id; a claim the whole
    case does not hold keeps its own line, whatever its label."""
    claims = zinoviev.claims.copy()
    extra = claims[claims["id"] == "ba-1"].copy()
    extra["id"] = "ba-new"
    sub_claims = pd.concat([claims[claims["witness"] != "sis"], extra])  # its label is ba-1's
    ev = srccrit.positions(zinoviev.with_claims(sub_claims)).set_index("claim")
    assert ev.at["ba-1", "origin"] == "sis"
    assert ev.at["ba-new", "origin"] == "baldwin"  # ba-1's label but not its id: not in the whole case, its own line


def test_the_estimators_propositions_carry_the_values_propositions_gives(bundled):
    """``Reliability().fit(case).propositions_`` is the table ``srccrit.propositions`` gives (with
    ``best_side``): a valued proposition's ``value`` was missing there (NaN) and only the
    function filled it in."""
    est = srccrit.Reliability().fit(bundled)
    table = srccrit.propositions(bundled, estimator=est)
    assert "best_side" in est.propositions_ and "best_side" not in table
    valued = table["type"] != "boolean"
    assert valued.any() and table.loc[valued, "value"].notna().all()
    assert est.propositions_["value"].tolist() == table["value"].tolist()
    assert est.propositions_.at["treaty-breakthrough-date", "value"] == table.at["treaty-breakthrough-date", "value"]


def test_what_if_names_witnesses_as_the_case_does(bundled):
    """A witness set aside (or given a prior) by id, name or alias, one or a list, as
    ``case.witness`` reads them: ``without="kovalev"`` set aside the witnesses 'k', 'o', ... (an
    error), and ``"Shih Che"`` was unknown."""
    by_id = srccrit.what_if(bundled, without=["shi-zhe"])
    assert srccrit.what_if(bundled, without="Shih Che").equals(by_id)
    assert srccrit.what_if(bundled, without="kovalev").equals(srccrit.what_if(bundled, without=["kovalev"]))
    assert srccrit.what_if(bundled, priors={"Shih Che": 0.3}).equals(srccrit.what_if(bundled, priors={"shi-zhe": 0.3}))
    with pytest.raises(srccrit.UsageError, match="did you mean 'kovalev'"):
        srccrit.what_if(bundled, without=["kovalv"])
    with pytest.raises(srccrit.UsageError, match="between 0 and 1"):
        srccrit.what_if(bundled, priors={"kovalev": 2})


def test_api_arguments_out_of_range_are_usage_errors(bundled):
    """Clear errors, also ValueErrors, for arguments srccrit cannot use (they passed silently or
    raised a bare TypeError)."""
    for params, words in [({"interval": 90}, "strictly between 0 and 1"), ({"n_iter": 2.5}, "whole number"), ({"strength": -1}, "above 0"),
                          ({"tol": 0}, "above 0"), ({"copying": "yes"}, "True or False"), ({"habits": "maybe"}, "'auto'")]:
        with pytest.raises(srccrit.UsageError, match=words):
            srccrit.Reliability(**params)
    assert isinstance(srccrit.UsageError("x"), ValueError)
    with pytest.raises(srccrit.UsageError, match="did you mean 'gao-manchuria-proposal'"):
        srccrit.contradictions(bundled, propositions=["gao-manchuria-proposl"])
    with pytest.raises(srccrit.UsageError, match="not from a dict"):
        srccrit.load_case({"case": "x"})
    with pytest.raises(srccrit.UsageError, match="must be callable"):
        srccrit.register_value_type("isbn-like", 3)


def test_an_estimator_fitted_on_another_case_is_refused(bundled):
    """A notebook cell given the fit of another case (or of another version of this one) gave
    that case's propositions and support without a word; now it says what the fit was of."""
    from conftest import CASES

    from srccrit import charts

    tonkin = srccrit.load_case(CASES / "tonkin")
    est = srccrit.Reliability().fit(bundled)
    for call in (lambda: srccrit.propositions(tonkin, estimator=est), lambda: srccrit.support(tonkin, estimator=est),
                 lambda: charts.reliability_chart(tonkin, estimator=est)):
        with pytest.raises(srccrit.UsageError, match="fitted on case 'sino-soviet-korea', not on 'tonkin-1964'"):
            call()
    with pytest.raises(srccrit.UsageError, match="as of '1994'"):
        srccrit.support(bundled, as_of="1994", estimator=est)
    with pytest.raises(srccrit.UsageError, match="not str"):
        srccrit.support(bundled, estimator="est")
    with pytest.raises(srccrit.UsageError, match="unfitted"):
        srccrit.propositions(bundled, estimator=srccrit.Reliability())
    # the same case loaded again, a year as a number, some of its claims (what_if): accepted
    again = srccrit.load_case(bundled.path)
    assert srccrit.support(again, estimator=est, fragility=False)["probability"].equals(srccrit.support(bundled, fragility=False)["probability"])
    early = srccrit.Reliability(as_of="1994").fit(bundled)
    by_number = srccrit.support(bundled, as_of=1994, estimator=early, fragility=False)
    by_default = srccrit.support(bundled, estimator=early, fragility=False)  # no date given: the estimator's
    assert by_number["probability"].equals(by_default["probability"]) and set(by_default["as_of"]) == {"1994"}
    # another version of the case: a claim the case does not have
    fewer = bundled.with_claims(bundled.claims.iloc[1:])
    with pytest.raises(srccrit.UsageError, match="claims case 'sino-soviet-korea' does not have"):
        srccrit.propositions(fewer, estimator=est)


def test_the_sides_labels_found_aside_are_those_found_inline(bundled, monkeypatch):
    """In a large case the sides' written labels are found on a second thread while the lines
    are numbered: the evidence must be the same as found in line (the bundled case has boolean,
    date and text sides)."""
    import importlib
    import threading

    evidence = importlib.import_module("srccrit.analysis.evidence")
    inline = srccrit.positions(bundled)
    monkeypatch.setattr(evidence, "_LABELS_ASIDE", 0)
    made_aside = []
    labels = evidence._labels
    monkeypatch.setattr(evidence, "_labels", lambda *args: made_aside.append(threading.current_thread() is not threading.main_thread()) or labels(*args))
    aside = srccrit.positions(bundled)
    assert aside.equals(inline) and aside is not inline
    assert made_aside == [True, True]  # text, then dates
    valued = inline["type"].isin(["date", "text"]).to_numpy()
    assert valued.any() and inline["position"][valued].notna().all()
