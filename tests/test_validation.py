"""Every error class of the case format, each with a broken fixture and its exact file:line."""

from pathlib import Path

import numpy as np
import pytest

import srccrit
from srccrit.cli import main

from conftest import CASES

BROKEN = CASES / "broken"


def problems(name: str) -> list[str]:
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(BROKEN / name)
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in err.value.problems]


def test_unknown_id_with_hint():
    assert problems("unknown-witness.yaml") == ["unknown-witness.yaml:11: claim 'c1': unknown witness 'kovalyov'; did you mean 'kovalev'?"]


def test_duplicate_ids():
    assert problems("duplicate-ids.yaml") == [
        "duplicate-ids.yaml:7: duplicate id 'kovalev'",
        "duplicate-ids.yaml:12: duplicate claim id 'c1'",
    ]


def test_citekey_missing_from_bibliography():
    (msg,) = problems("missing-citekey.yaml")
    assert msg.startswith("missing-citekey.yaml:5: citekey 'kovalev1992' is not in the bibliography (")
    assert msg.endswith("base.bib); did you mean 'kovalev1991'?")


def test_stance_on_date_proposition():
    assert problems("stance-on-date.yaml") == ["stance-on-date.yaml:16: claim 'c1': a stance on date proposition 'when' (give a value instead)"]


def test_unparseable_dates():
    assert problems("bad-date.yaml") == [
        "bad-date.yaml:6: source 'kovalev1991' date: unparseable date '1991-13': bad month number 13; must be 1-12",
        "bad-date.yaml:12: claim 'c1': value for date proposition 'when': unparseable date '30 January 1950' (expected YYYY, YYYY-MM or YYYY-MM-DD): write 1950-01-30",
    ]


def test_cycle_in_derives_from_is_named():
    assert problems("cycle.yaml") == ["cycle.yaml:7: cycle in derives_from: kovalev1991 -> shi1991 -> kovalev1991"]


def test_bibtex_parse_failure_is_a_warning_with_the_bib_line():
    case = srccrit.load_case(CASES / "broken" / "bib-failure.yaml")  # biber would skip the block too
    (msg,) = [str(w) for w in case.warnings if "bib-failure.bib" in str(w)]
    assert "bib-failure.bib:3: BibTeX parse failure in block '@book{broken1991,'" in msg and msg.endswith("skipped")
    assert "shi1991" in case.bibliography.records and "broken1991" not in case.bibliography.records


def test_every_problem_reported_in_one_pass_sorted():
    found = problems("many-problems.yaml")
    assert len(found) == 14
    lines = [int(m.split(":")[1]) for m in found]
    assert lines == sorted(lines)
    joined = "\n".join(found)
    for expected in [
        ":1: invalid case id 'broken case'",
        ":4: source 'kovalev1991': unknown kind 'memoirs'; did you mean 'memoir'?",
        ":4: source 'kovalev1991': author 'kovalov' is not a witness id; did you mean 'kovalev'?",
        ":6: witness 'kovalev': unknown proximity 'witness'; did you mean 'eyewitness'?",
        ":6: witness 'kovalev': hostile_to names unknown witness 'shizhe'",
        ":11: conclusion 'c': rests_on 'gao' (boolean): expected true or false, got 'maybe'",
        ":11: conclusion 'c': rests_on names unknown proposition 'nope'",
        ":13: claim 'c1': a value on boolean proposition 'gao'",
        ":14: claim 'c2' has both a stance and a value",
        ":15: claim 'c3': value for number proposition 'n': unparseable number 'many'",
        ":16: claim 'c 4': unknown proposition 'gaoo'; did you mean 'gao'?",
        ":16: claim 'c 4': unknown stance 'affirm'; did you mean 'affirms'?",
        ":16: claim 'c 4': via names unknown witness or source 'nobody'",
        ":16: invalid claim id 'c 4'",
    ]:
        assert expected in joined


def test_warnings_are_collected_not_fatal(make_case):
    path = make_case("""
        case: warn
        sources:
          s1: {kind: monograph, date: 1950, derives_from: [s2]}
          s2: {kind: document, date: 1960}
          s3: {kind: memoir}
        witnesses:
          w: {name: W}
          idle: {name: Idle}
        propositions:
          p: {text: P}
          q: {text: Q}
        claims:
          - {id: c1, witness: w, source: s1, proposition: p, stance: affirms}
          - {id: c2, witness: w, source: s2, proposition: p, stance: affirms}
    """)
    case = srccrit.load_case(path)
    msgs = [w.message for w in case.warnings]
    assert "witness 'idle' has no claims" in msgs
    assert "proposition 'q': no claim is about it" in msgs
    assert "source 's3': no claim cites it" in msgs
    assert "source 's1' derives from 's2', which is dated after it" in msgs


def test_cli_validate_exit_codes(capsys):
    assert main(["validate", str(BROKEN / "unknown-witness.yaml")]) == 2
    err = capsys.readouterr().err
    assert "unknown-witness.yaml:11: claim 'c1': unknown witness 'kovalyov'; did you mean 'kovalev'?" in err
    assert "Traceback" not in err
    assert main(["validate", str(CASES / "tonkin")]) == 0
    assert "ok: tonkin-1964 is valid" in capsys.readouterr().out


def test_yaml_syntax_error_names_the_line(tmp_path, capsys):
    bad = tmp_path / "case.yaml"
    bad.write_text("case: x\nsources:\n  s1: {kind: memoir\nwitnesses: {}\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "case.yaml:4: YAML syntax error" in err or "case.yaml:3: YAML syntax error" in err


def test_claims_without_witness_or_known_source_are_reported_not_crashed_on(make_case):
    """A case without a sources table: the claim's unknown source is reported with its line."""
    path = make_case("""
        case: edge
        witnesses:
          a: {name: A}
        propositions:
          p: {text: P}
        claims:
          - {id: c1, source: nowhere, proposition: p, stance: affirms}
        """)
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    assert [(Path(p.file).name, p.line, p.message) for p in err.value.problems] == [("case.yaml", 8, "claim 'c1': unknown source 'nowhere'")]


def test_witness_priors_outside_zero_to_one_are_errors_with_their_lines(make_case):
    path = make_case("""
        case: priors
        witnesses:
          a: {name: A, prior: 1.5}
          b: {name: B, prior: lots}
          c: {name: C, prior: 0.7, prior_strength: 3}
          d: {name: D, prior: 0.7}
        """)
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    assert [(p.line, p.message) for p in err.value.problems] == [
        (4, "witness 'a': prior must be a number between 0 and 1 (exclusive), got '1.5'"),
        (5, "witness 'b': prior must be a number between 0 and 1 (exclusive), got 'lots'"),
    ]
    good = make_case("""
        case: priors
        witnesses:
          c: {name: C, prior: 0.7, prior_strength: 3}
          d: {name: D}
        """, name="good")
    w = srccrit.load_case(good).witnesses
    assert w.loc["c", "prior"] == 0.7 and w.loc["c", "prior_strength"] == 3.0 and np.isnan(w.loc["d", "prior"])


def test_via_in_a_csv_claims_table_is_split_checked_and_read_as_lists(make_case):
    path = make_case("""
        case: relays
        sources:
          s1: {kind: memoir}
          s2: {kind: review}
        witnesses:
          a: {name: A}
          r: {name: R}
        propositions:
          p: {text: P}
        claims: claims.csv
        """)
    csv = "id,witness,source,proposition,stance,via\nc1,a,s2,p,affirms, r ; s1 ;\nc2,a,s1,p,affirms,\nc3,r,s2,p,denies,nobody\n"
    (path.parent / "claims.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    assert [(Path(p.file).name, p.line, p.message) for p in err.value.problems] == [
        ("claims.csv", 4, "claim 'c3': via names unknown witness or source 'nobody'")]
    (path.parent / "claims.csv").write_text(csv.replace("nobody", ""), encoding="utf-8")
    claims = srccrit.load_case(path).claims.set_index("id")
    assert claims.loc["c1", "via"] == ["r", "s1"] and claims.loc["c2", "via"] == [] and claims.loc["c3", "via"] == []


def test_unknown_via_names_stop_after_two_hundred_with_a_count(make_case):
    path = make_case("""
        case: ghosts
        sources: {s1: {kind: memoir}}
        witnesses: {a: {name: A}}
        propositions: {p: {text: P}}
        claims: claims.csv
        """)
    rows = "".join(f"c{i},a,s1,p,affirms,ghost{i}\n" for i in range(205))
    (path.parent / "claims.csv").write_text("id,witness,source,proposition,stance,via\n" + rows, encoding="utf-8")
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    via = [p for p in err.value.problems if "via" in p.message]
    assert len(via) == 201
    assert (via[-1].line, via[-1].message) == (202, "... and 5 more unknown via names")


def _text_case(folder: Path, values: list[str]) -> Path:
    """A case whose claims (a CSV table) give the text proposition ``offer`` these values."""
    (folder / "refs.bib").write_text("".join(f"@misc{{s{i}, title = {{S{i}}}, year = {{1917}}}}\n" for i in range(len(values))), encoding="utf-8")
    (folder / "case.yaml").write_text(
        "case: lookalike\nbibliography: [refs.bib]\nsources:\n"
        + "".join(f"  s{i}: {{kind: newspaper, date: 1917}}\n" for i in range(len(values)))
        + "witnesses:\n" + "".join(f"  w{i}: {{name: W{i}, proximity: contemporary}}\n" for i in range(len(values)))
        + "propositions:\n  offer: {text: What Mexico was offered, type: text}\nclaims: claims.csv\n", encoding="utf-8")
    rows = [f'c{i},w{i},s{i},offer,"{v}"' for i, v in enumerate(values)]
    (folder / "claims.csv").write_text("id,witness,source,proposition,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_text_values_differing_only_in_punctuation_or_order_are_warned_about_and_still_conflict(tmp_path):
    case = srccrit.load_case(_text_case(tmp_path, ["Texas, New Mexico and Arizona", "Texas and California", "Texas, New Mexico, Arizona",
                                                   "Arizona; Texas & New Mexico", "texas, new mexico and arizona"]))
    warned = [f"{Path(w.file).name}:{w.line}: {w.message}" for w in case.warnings if "differs from" in w.message]
    # the second and the fourth spelling, each against the first (its CSV line 2); the same
    # text in other case is one value already, and "Texas and California" is another offer
    assert [w.split(": text value")[0] for w in warned] == ["claims.csv:4: claim 'c2'", "claims.csv:5: claim 'c3'"]
    assert "'Texas, New Mexico and Arizona' (claim 'c0', line 2)" in warned[0] and "stay two values" in warned[0]
    # a warning, not a change of the format's rule: the spellings stay apart, each lending the
    # others half its weight ("and" left out too), so together they outweigh the other offer
    sides = srccrit.contradictions(case).query("proposition == 'offer'")["position"].tolist()
    assert len(sides) == 4
    assert srccrit.propositions(case).at["offer", "value"] != "Texas and California"


def test_many_lookalike_values_are_summed_up_in_one_line(tmp_path):
    values = [v for i in range(30) for v in (f"Place {i} and Town {i}", f"Town {i}, Place {i}")]
    case = srccrit.load_case(_text_case(tmp_path, values))
    warned = [str(w) for w in case.warnings if "differ" in str(w)]
    assert len(warned) == 21 and "10 more text values differ" in warned[-1]


def test_dates_that_cannot_be_in_that_order_are_warned_about(make_case):
    """A source available before it was made, a claim dated after the source that holds it, a
    claim dated before the events it tells of: warnings with their lines (a year overlaps its
    days, so a claim of 1950 about 25 June 1950 is none of these)."""
    case = srccrit.load_case(make_case("""\
        case: order
        sources:
          a: {kind: memoir, date: 1990, available: 1985}
          b: {kind: monograph, date: 1995, available: 1996}
        witnesses:
          w: {name: W, proximity: participant}
        propositions:
          p: {text: P happened, date: 1950-06-25}
          q: {text: Q happened}
        claims:
          - {id: later, witness: w, source: a, proposition: p, stance: affirms, date: 1993}
          - {id: prophecy, witness: w, source: a, proposition: p, stance: affirms, date: 1949-12}
          - {id: same-year, witness: w, source: a, proposition: p, stance: affirms, date: 1950}
          - {id: undated-event, witness: w, source: b, proposition: q, stance: affirms, date: 1900}
        """, bib="@book{a, title={A}, year={1990}}\n@book{b, title={B}, year={1995}}\n"))
    warned = [f"{w.line}: {w.message}" for w in case.warnings if "before" in w.message or "after its source" in w.message]  # (line 1: bibliography)
    assert warned == [
        "4: source 'a': available 1985 is before its date 1990: a source cannot be read before it was made (the two the other way round?)",
        "12: claim 'later' is dated 1993, after its source 'a' (1990), which can hold only what was said by then (for a later edition, cite that edition)",
        "13: claim 'prophecy' is dated 1949-12 (1949-12-31 at the latest), before the events of proposition 'p' (1950-06-25): testimony cannot precede what it tells of",
    ]


UNICODE_CASE = """\
case: катынь-1940
x-defaults: &document {kind: document}
sources:
  beria1940: {<<: *document, date: 1940-03-05, author: берия}
  tass1990: {<<: *document, kind: newspaper, date: 1990-04-13}
witnesses:
  берия: {name: Лаврентий Берия, aliases: [Beria], proximity: official}
  тасс: {name: ТАСС, proximity: official}
propositions:
  нквд: {text: НКВД расстрелял польских офицеров, date: 1940}
  no.1: {text: A dotted id, date: 1940}
conclusions:
  вина-нквд: {text: Вина НКВД, rests_on: {нквд: true}}
  no.1-holds: {text: A dotted conclusion, rests_on: {no.1: true}}
claims:
  - {id: к1, source: beria1940, proposition: нквд, stance: affirms}
  - {id: к2, witness: тасс, source: tass1990, proposition: нквд, stance: affirms}
  - {id: к3, witness: тасс, source: tass1990, proposition: no.1, stance: affirms}
"""


def test_ids_in_other_scripts_and_merge_keys(make_case, tmp_path):
    """Letters are letters in any script (a Russian case's ids were refused as "not letters"),
    its conclusions' notebooks are valid (nbformat wants ASCII cell ids: a Cyrillic or dotted
    conclusion id crashed the report), YAML merge keys share fields (explicit ones win) and an
    `x-` top-level key holding the anchors is the user's own."""
    from srccrit.io.notebooks import conclusion_notebook

    case = srccrit.load_case(make_case(UNICODE_CASE, bib="@misc{beria1940, title={Записка}, year={1940}}\n@misc{tass1990, title={ТАСС}, year={1990}}\n"))
    assert not case.warnings
    assert case.sources.loc["beria1940", "kind"] == "document" and case.sources.loc["tass1990", "kind"] == "newspaper"
    assert srccrit.support(case).loc["вина-нквд", "lines_for"] == 2
    ids = set()
    for conclusion in ("вина-нквд", "no.1-holds"):
        nb = conclusion_notebook(case, conclusion, tmp_path)  # validated by nbformat as it is made
        ids |= {cell["id"] for cell in nb.cells}
    assert len(ids) == sum(len(conclusion_notebook(case, c, tmp_path).cells) for c in ("вина-нквд", "no.1-holds"))  # none shared


@pytest.mark.parametrize("bad", ["two words", "a/b", "bad\u202eid", "e\u0301", "a:b"])
def test_ids_that_are_not_letters_digits_or_marks_are_refused(make_case, bad):
    with pytest.raises(srccrit.CaseError, match="use letters \\(of any script\\), digits"):
        srccrit.load_case(make_case(f"case: c\nsources:\n  s: {{kind: other}}\nwitnesses:\n  '{bad}': {{name: W}}\n", bib="@misc{s, title={S}}\n"))
