"""The real-data benchmark's cases (benchmarks/realdata): public data with gold answers, read as
a user would read them, and srccrit scored on them against majority vote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import srccrit

REALDATA = Path(__file__).resolve().parents[1] / "benchmarks" / "realdata"
sys.path.insert(0, str(REALDATA))

from convert import DATASETS, key, triples_for, write_case  # noqa: E402
from run import majority, score, srccrit_answers  # noqa: E402


@pytest.mark.parametrize("name, variant, srccrit_at_least, p99_right", [("flights", "raw", 370, 0.97), ("flights", "normalised", 370, 0.97),
                                                                          ("books", "raw", 78, 0.97), ("books", "normalised", 92, 0.97)])
def test_srccrit_beats_majority_vote_on_public_data_with_gold(tmp_path, name, variant, srccrit_at_least, p99_right):
    """Flight times from 38 web sites (copied feeds, a dozen spellings of a time) and author
    lists from 877 booksellers: srccrit's defaults (copying, normalisers, spellings' support)
    are right where majority vote is not, and their confident answers are right."""
    ds = DATASETS[name]()
    write_case(ds, variant, tmp_path / "case")
    answers = srccrit_answers(tmp_path / "case")
    mine = score(answers, ds.gold, ds.type)
    t = triples_for(ds, variant)
    vote = score(majority(t.drop_duplicates(["source", "item"])), ds.gold, ds.type)
    assert mine["right"] >= srccrit_at_least > vote["right"]
    # the issue asks 97% of the answers given p >= .99 to be right (the flights' gold has faults
    # of its own: see the benchmark's README)
    assert mine["right_p99"] >= p99_right


def test_the_converted_cases_load_and_say_what_they_left_out(tmp_path):
    info = write_case(DATASETS["flights"](), "normalised", tmp_path / "f")
    assert info["left_out"] > 0 and info["claims"] + info["left_out"] == len(DATASETS["flights"]().triples)
    case = srccrit.load_case(tmp_path / "f" / "case.yaml")
    assert set(case.propositions["type"]) == {"time"}
    assert key("4:30 p.m.", "time") == key("16:30", "time") == "16:30"
    assert key("Han, Jiawei and Kamber, Micheline", "names") == key("J. Han; M. Kamber", "names")


def test_the_crowd_script_reads_the_collections_layout(tmp_path, capsys):
    """benchmarks/realdata/crowd.py runs on a clone of the crowdsourcing collection it cites
    (answer.csv and truth.csv per data set; not in this repository): a toy set in that layout
    gives one row per system, and a folder holding no data set exits 2."""
    import crowd

    toy = tmp_path / "datasets" / "d_Toy Set"
    toy.mkdir(parents=True)
    rows = ["question,worker,answer"] + [f"{q},{w},{(q + (w == 'w3')) % 2}" for q in range(12) for w in ("w1", "w2", "w3")]
    (toy / "answer.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (toy / "truth.csv").write_text("question,truth\n" + "".join(f"{q},{q % 2}\n" for q in range(12)), encoding="utf-8")
    assert crowd.main([str(tmp_path / "datasets")]) == 0
    out = capsys.readouterr().out
    assert "d_Toy-Set" in out and "majority vote" in out and "srccrit, no copying" in out
    result = crowd.run(crowd.load(toy), tmp_path / "work")
    by = {r["system"]: r for r in result}
    assert by["srccrit"]["accuracy"] == by["majority vote"]["accuracy"] == 1.0  # two of three right on every item
    assert crowd.main([str(tmp_path / "empty")]) == 2


def test_the_crowd_script_reads_the_spectral_methods_layout(tmp_path, capsys):
    """Zhang et al.'s file pairs (NAME_crowd.txt: "item worker label", NAME_truth.txt: "item
    label"), as in their repository's src/ folder: each pair is a data set by its name; a
    crowd file whose lines are not three fields is refused."""
    import crowd

    src = tmp_path / "src"
    src.mkdir()
    (src / "toy_crowd.txt").write_text("".join(f"{q}\t{w}\t{1 + (q + (w == 3)) % 2}\n" for q in range(1, 13) for w in (1, 2, 3)), encoding="utf-8")
    (src / "toy_truth.txt").write_text("".join(f"{q}\t{1 + q % 2}\n" for q in range(1, 13)), encoding="utf-8")
    (src / "lonely_crowd.txt").write_text("1 1 1\n", encoding="utf-8")  # no truth file: not a data set
    assert sorted(crowd.collection(src)) == ["toy"]
    ds = crowd.load_pairs(src / "toy_crowd.txt", src / "toy_truth.txt")
    assert len(ds.triples) == 36 and ds.gold["q1"] == "label-2" and set(ds.triples["source"]) == {"worker-1", "worker-2", "worker-3"}
    assert crowd.main([str(src), "--only", "toy"]) == 0
    out = capsys.readouterr().out
    assert "toy" in out and "majority vote" in out
    (src / "bad_crowd.txt").write_text("1 1\n", encoding="utf-8")
    (src / "bad_truth.txt").write_text("1 1\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="item worker label"):
        crowd.load_pairs(src / "bad_crowd.txt", src / "bad_truth.txt")


def test_the_population_script_reads_the_edit_history_layout(tmp_path, capsys):
    """benchmarks/realdata/population.py on a clone of the Wikipedia population data it cites
    (not in this repository): "city_year TAB contributor TAB figure TAB year" per claim, Latin-1
    names, gold as "city, state, year, figure"; figures with separators are numbers, and a
    folder without the files is refused."""
    import population

    folder = tmp_path / "population"
    folder.mkdir()
    claims = []
    for i in range(10):
        city = f"town {i}, ohio_2000"
        claims += [f"{city}\tcontributor #1: bot\t{1000 + i}\t2000", f"{city}\tcontributor #2: alice\t{1000 + i:,}\t2000",
                   f"{city}\tcontributor #0 (10.0.0.{i})\t{9000 + i}\t2000"]
    claims.append("gmina ojrze\xf1_2006\tcontributor #3: kotbot\t4393\t2006")  # not UTF-8 in the original
    (folder / "population-new.txt").write_bytes(("\n".join(claims) + "\n").encode("latin-1"))
    (folder / "population-gd.txt").write_text("".join(f"town {i}, ohio, 2000, {1000 + i}\n" for i in range(10)), encoding="utf-8")
    ds = population.load(folder)
    assert len(ds.triples) == 31 and ds.type == "number" and ds.gold["town 3, ohio_2000"] == "1003"
    rows = {r["system"]: r for r in population.compare(ds)}
    # "1,003" and "1003" are one figure: two of three on every town, every town right
    assert rows["srccrit"]["right"] == rows["majority vote"]["right"] == 10
    assert population.main([str(folder)]) == 0
    assert "srccrit, no copying" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="population-new.txt"):
        population.load(tmp_path / "nothing")
