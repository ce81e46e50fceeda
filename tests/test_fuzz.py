"""A seeded fuzz test of the loader and the CLI: thousands of mutated case files (the bundled case
and a mini case), each of which must either load or raise ``srccrit.SrccritError`` -- never any
other exception -- while the commands run on them write nothing but their ``-o`` file."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

import srccrit
from srccrit.cli import main

from conftest import BUNDLED, ROOT
from test_hostile import snapshot, write_case

#: what a hostile or careless hand puts in a value: YAML 1.1 words, bad dates, tags, anchors,
#: flow collections, control characters, paths, huge numbers, markup
JUNK = ["1944-13-45", "1950-02-30", "0000-01-01", "[a, b]", "{x: 1}", "!!int x", "!!float y", "!!timestamp 1950-02-30",
        "yes", "on", "off", "1:30", "1e400", "-1e400", '"1e400±1e400"', "10,000", "{value: 10,000}", "~", "''", "-", "*x",
        "&x y", "*undefined", "\t", "é", "{{", "}}", "[[[[", "<script>alert(1)</script>", "[x](javascript:alert(1))",
        "../../etc/passwd", "/etc/passwd", ".", "0123", "0x1F", "?", "|", ">", "!", "%", "@", "`", "&a [*a]",
        "=HYPERLINK(\"x\")", "$\\frac{$", "null", "true", "false", ".inf", ".nan", "2021-21", "1950/1949", "1950?", "±", "nan"]

EXAMPLES = {"mini": 1600, "bundled": 400}


def _mutations(lines: list[str], rng: random.Random) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        op = rng.random()
        if op < 0.35 and ":" in lines[i]:
            key, _, _ = lines[i].partition(":")
            lines[i] = f"{key}: {rng.choice(JUNK)}"
        elif op < 0.5 and "{" in lines[i] and ":" in lines[i]:
            # a field value inside a flow mapping
            parts = lines[i].split(", ")
            k = rng.randrange(len(parts))
            name = parts[k].rsplit(":", 1)[0]
            parts[k] = f"{name}: {rng.choice(JUNK)}" + ("}" if parts[k].endswith("}") else "")
            lines[i] = ", ".join(parts)
        elif op < 0.6:
            del lines[i]
            if not lines:
                lines = ["x: 1"]
        elif op < 0.75:
            lines.insert(i, lines[rng.randrange(len(lines))])  # repeated keys and rows
        elif op < 0.85:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op < 0.95:
            j = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:j] + rng.choice(JUNK) + lines[i][j:]
        else:
            lines[i] = " " * rng.randint(1, 5) + lines[i]  # indentation
    return lines


def _cases(tmp_path: Path):
    mini = write_case(tmp_path / "mini-src")
    bundled = tmp_path / "bundled-src"
    shutil.copytree(BUNDLED.parent, bundled)
    (tmp_path / "bib").mkdir()
    for bib in (ROOT / "bib").glob("*.bib"):
        shutil.copy(bib, tmp_path / "bib" / bib.name)
    # the bundled case names ../../bib/: keep that layout one level down
    nested = tmp_path / "data" / "bundled"
    nested.parent.mkdir()
    shutil.move(bundled, nested)
    return {"mini": mini, "bundled": nested / "case.yaml"}


@pytest.mark.parametrize("which", list(EXAMPLES))
def test_every_mutated_case_loads_or_raises_a_srccrit_error(tmp_path, which, capsys):
    source = _cases(tmp_path)[which]
    lines = source.read_text(encoding="utf-8").splitlines()
    rng = random.Random(f"srccrit-fuzz-{which}")
    escaped, loaded = [], 0
    for n in range(EXAMPLES[which]):
        text = "\n".join(_mutations(lines, rng)) + "\n"
        source.write_text(text, encoding="utf-8")
        try:
            srccrit.load_case(source)
            loaded += 1
        except srccrit.SrccritError:
            pass
        except BaseException as exc:  # noqa: BLE001 - what the test is for
            escaped.append(f"{type(exc).__name__}: {exc} <- mutation {n}:\n{text}")
            if len(escaped) >= 3:
                break
        if n % 40 == 0:  # the CLI on the same input: exit 0 or 2, nothing written but -o
            def inputs():
                return {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("outputs")}

            before = inputs()
            out = tmp_path / "outputs" / f"support-{n}.json"
            code = main(["support", str(source), "--no-fragility", "--format", "json", "-o", str(out)])
            err = capsys.readouterr().err
            assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, f"{err}\n{text}"
            assert inputs() == before
            assert out.exists() == (code == 0)
    assert not escaped, "\n\n".join(escaped)
    assert loaded > EXAMPLES[which] // 20  # the mutations are not all fatal: analyses run on many of them
