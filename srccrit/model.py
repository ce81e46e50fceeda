"""The case model: a research question with its sources, witnesses, propositions, claims and
conclusions, held as typed pandas tables, with name lookup across aliases and spellings."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ._arrays import positions_in
from .dates import fold_text
from .errors import Problem, SrccritError

__all__ = [
    "Case",
    "SOURCE_KINDS",
    "PROXIMITIES",
    "PROPOSITION_TYPES",
    "STANCES",
    "BASES",
    "FIELDS",
    "CASE_FIELDS",
    "UnknownName",
    "frame_html",
]

SOURCE_KINDS = (
    "monograph", "article", "memoir", "interview", "diary", "letter", "document",
    "archival-release", "testimony", "speech", "report", "review", "newspaper", "other",
)
#: closest to the events first
PROXIMITIES = (
    "participant", "eyewitness", "official", "document", "contemporary", "secondhand",
    "historian", "reviewer",
)
#: the built-in proposition types (format 1.1 adds ``time`` and ``names``; a user may register more:
#: :func:`srccrit.normalisers.register_value_type`, and :func:`srccrit.normalisers.value_types` lists them all)
PROPOSITION_TYPES = ("boolean", "date", "number", "text", "time", "names")
STANCES = ("affirms", "denies", "uncertain")
#: how a claim was read out of its source (format 1.1): the words given, their sense, or the
#: case author's own inference
BASES = ("quoted", "paraphrased", "inferred")

#: the fields of each table in the case format (``id`` included); others are warned about
FIELDS = {
    "sources": ("id", "kind", "date", "available", "derives_from", "author", "note"),
    "witnesses": ("id", "name", "aliases", "role", "side", "proximity", "hostile_to", "prior", "prior_strength", "note"),
    "propositions": ("id", "text", "type", "date", "unit", "note"),
    "conclusions": ("id", "text", "held_by", "rests_on", "note"),
    "claims": ("id", "witness", "source", "locator", "proposition", "stance", "value", "date", "via", "quote", "note",
               "against_interest", "self_serving", "basis"),
}
#: the top-level fields of a case file
CASE_FIELDS = ("case", "title", "bibliography", *FIELDS)


class UnknownName(SrccritError, KeyError):
    """A name that matches no witness (or source); the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


#: rows of each table a Case shows of itself in a notebook
REPR_ROWS = 20


def frame_html(frame: pd.DataFrame, caption: str | None = None, max_rows: int = 60) -> str:
    """An HTML table of ``frame`` with every cell and label escaped (pandas' ``escape=True``)."""
    shown = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")], errors="ignore")
    shown = shown.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    out = shown.to_html(max_rows=max_rows, escape=True, border=0, classes="srccrit-table", na_rep="")
    if caption:
        out = f"<p><strong>{html.escape(caption)}</strong></p>" + out
    return out


@dataclass
class Case:
    """A loaded, validated case. Build one with :func:`srccrit.load_case`.

    Tables (``pandas.DataFrame``, indexed by id except ``claims`` which has an ``id`` column):

    * ``sources``: kind, date_start/date_end, available_start/available_end, derives_from, author
      (witness id), and the bibliographic fields entry_type, bib_author, title, year, ...
    * ``witnesses``: name, aliases, role, side, proximity, hostile_to, prior
    * ``propositions``: text, type, date_start/date_end
    * ``conclusions``: text, held_by, and ``rests_on`` as its own table (conclusion, proposition,
      required, required_low, required_high, required_fold)
    * ``claims``: id, witness, source, locator, proposition, stance, value (as written),
      value_low/value_high (days for dates), value_fold, date_start/date_end, via, quote, note.
      ``witness``, ``source`` and ``proposition`` are categoricals over the sorted ids of their
      tables, ``type`` and ``stance`` over the format's words: the analyses group on their codes.
    """

    id: str
    title: str
    path: Path | None
    sources: pd.DataFrame
    witnesses: pd.DataFrame
    propositions: pd.DataFrame
    conclusions: pd.DataFrame
    rests_on: pd.DataFrame
    claims: pd.DataFrame
    bibliography: Any = None
    warnings: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list, repr=False, compare=False)  # the table and bibliography files it was read from
    _names: dict[str, str] | None = field(default=None, repr=False)
    _rows: dict = field(default_factory=dict, repr=False, compare=False)
    _whole: "Case | None" = field(default=None, repr=False, compare=False)  # the case a with_claims() subset was taken from

    # ----------------------------------------------------------------- lookups
    @property
    def name_index(self) -> dict[str, str]:
        """Folded id, name and alias -> witness id (first witness wins on a clash)."""
        if self._names is None:
            from .names import name_keys

            names: dict[str, str] = {}
            for wid, row in self.witnesses.iterrows():
                for n in [wid, row.get("name")] + list(row.get("aliases") or []):
                    if n:
                        for key in sorted(name_keys(n)):
                            names.setdefault(key, wid)
            self._names = names
        return self._names

    def witness(self, name: str) -> pd.Series:
        """The witness called ``name`` (id, name or alias; case- and accent-insensitive).

        >>> case.witness("Shih Che")["name"]
        'Shi Zhe'
        """
        wid = self.resolve_witness(name)
        row = self.witnesses.loc[wid].copy()
        row.name = wid
        return row

    def resolve_witness(self, name: str) -> str:
        """The id of the witness called ``name``; :class:`UnknownName` with suggestions if none."""
        key = fold_text(name)
        if key in self.name_index:
            return self.name_index[key]
        # transliteration variants (Wade-Giles, Russian romanisations) where the module can tell
        from .names import romanisation_keys

        for variant in romanisation_keys(name):
            if variant in self.name_index:
                return self.name_index[variant]
        by_initials = self._by_initials(name)
        if by_initials is not None:
            return by_initials
        by_family = self._by_family_name(name)
        if by_family is not None:
            return by_family
        plain = [k for k in self.name_index if not k.startswith(("c:", "r:", "g:"))]
        hints = process.extract(key, plain, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
        suggestion = ", ".join(sorted({f"{self.name_index[h[0]]!r}" for h in hints}))
        raise UnknownName(f"no witness called {name!r} in case {self.id!r}" + (f"; did you mean {suggestion}?" if suggestion else ""))

    def _by_initials(self, name: str) -> str | None:
        """The one witness a name with initials may stand for (``I. V. Kovalev``, ``Kovalev, I.``):
        the same family name (in any romanisation) and given names with those initials, in order;
        None if no witness or several fit."""
        from .names import initials_and_family, initials_fit, same_person

        shape = initials_and_family(name)
        if shape is None:
            return None
        initials, family = shape
        fits = set()
        for wid, row in self.witnesses.iterrows():
            for form in [row.get("name")] + list(row.get("aliases") or []):
                words = str(form or "").replace(",", " ").split()
                if len(words) >= 2 and same_person(words[-1], family) and initials_fit(initials, words[:-1]):
                    fits.add(wid)
        return next(iter(fits)) if len(fits) == 1 else None

    def _by_family_name(self, name: str) -> str | None:
        """The one witness whose family name (the last word of his name or an alias, or its tail
        from a particle: ``van der Lubbe``) is ``name`` in any spelling the case's keys fold
        (Göring, Goering, Goring); None if no witness or several have it."""
        from .names import same_person

        query = " ".join(name.split())
        if not query or len(query.split()) > 3 or any(not w.replace("-", "").replace("'", "").isalpha() for w in query.split()):
            return None
        fits = set()
        for wid, row in self.witnesses.iterrows():
            for form in [row.get("name")] + list(row.get("aliases") or []):
                words = str(form or "").replace(",", " ").split()
                if len(words) < 2:
                    continue
                tails = {words[-1]} | {" ".join(words[i:]) for i in range(1, len(words) - 1) if words[i][:1].islower()}
                if any(same_person(tail, query) for tail in tails):
                    fits.add(wid)
        return next(iter(fits)) if len(fits) == 1 else None

    def source(self, key: str) -> pd.Series:
        if key not in self.sources.index:
            hints = process.extract(key, list(self.sources.index), scorer=fuzz.WRatio, limit=3, score_cutoff=60)
            hint = ", ".join(repr(h[0]) for h in hints)
            raise UnknownName(f"no source {key!r} in case {self.id!r}" + (f"; did you mean {hint}?" if hint else ""))
        row = self.sources.loc[key].copy()
        row.name = key
        return row

    def witness_name(self, wid: str) -> str:
        if wid in self.witnesses.index:
            return str(self.witnesses.at[wid, "name"])
        return wid

    def rows_of(self, table: str, ids: pd.Index):
        """Row positions in ``table`` (``"sources"``, ``"witnesses"``, ``"propositions"``) of
        ``ids`` (-1 where absent). Remembered for the id indexes the analyses reuse (the
        categories of the claims' columns), so a million-claim case looks them up once."""
        hit = self._rows.get((table, id(ids)))
        if hit is not None and hit[0] is ids:
            return hit[1]
        rows = positions_in(getattr(self, table).index, ids)
        self._rows[(table, id(ids))] = (ids, rows)
        return rows

    # ------------------------------------------------------------ derivation
    def with_claims(self, claims: pd.DataFrame) -> "Case":
        """The same case over a subset (or reordering) of its claims (it remembers the whole
        case: a claim derived from a source whose own claim is left out still belongs to that
        source's line of evidence)."""
        return replace(self, claims=claims, _names=self._names, _rows=self._rows, _whole=self._whole if self._whole is not None else self)

    def available_claims(self, as_of: str | None) -> pd.DataFrame:
        """Claims whose source was available to historians by ``as_of`` (all if None)."""
        if as_of is None:
            return self.claims
        from .dates import parse_date

        try:
            limit = parse_date(as_of)
        except ValueError as exc:
            raise SrccritError(f"--as-of: {exc}") from None
        end = pd.Timestamp(limit.end).as_unit("s")
        avail = self.sources["available_end"].reindex(self.claims["source"]).to_numpy()
        keep = pd.isna(avail) | (avail <= end.to_datetime64())
        return self.claims[keep]

    # ---------------------------------------------------------------- display
    def summary(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "witnesses": len(self.witnesses),
            "propositions": len(self.propositions),
            "conclusions": len(self.conclusions),
            "claims": len(self.claims),
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{v} {k}" for k, v in self.summary().items())
        return f"<Case {self.id!r}: {counts}>"

    def _repr_html_(self) -> str:
        counts = self.summary()
        witnesses = self.witnesses[["name", "role", "side", "proximity"]].copy()
        witnesses["claims"] = self.claims["witness"].value_counts().reindex(witnesses.index).fillna(0).astype(int)
        witnesses = witnesses.sort_values(["claims", "name"], ascending=[False, True], kind="mergesort")
        conclusions = self.conclusions[["text"]]
        parts = [
            f"<h3>{html.escape(self.title)} <small>({html.escape(self.id)})</small></h3>",
            "<p>" + ", ".join(f"{v} {html.escape(k)}" for k, v in counts.items()) + "</p>",
            frame_html(witnesses.head(REPR_ROWS), "Witnesses, most claims first"
                       + (f" (the first {REPR_ROWS} of {len(witnesses)})" if len(witnesses) > REPR_ROWS else "")),
            frame_html(conclusions.head(REPR_ROWS), "Conclusions"
                       + (f" (the first {REPR_ROWS} of {len(conclusions)})" if len(conclusions) > REPR_ROWS else "")),
        ]
        if self.warnings:
            parts.append("<p><strong>Warnings</strong></p><ul>" + "".join(f"<li>{html.escape(str(w))}</li>" for w in self.warnings) + "</ul>")
        return "\n".join(parts)
