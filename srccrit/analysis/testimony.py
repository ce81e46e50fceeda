"""Testimony, not persons: what each claim's kind of source, delay, basis and interest add to
its witness's skill.

Source criticism weighs a *testimony*: who speaks, in what kind of source, how long after the
events, on what basis, with what interest. The reliability model gives each witness a skill
(:mod:`srccrit.analysis.reliability`) and each testimony a shift of it in log-odds::

    rho(testimony) = sigmoid(logit(r_witness) + delta_kind + shift)

**Kinds of testimony** (``KIND_MEAN``; the EM estimates each kind's ``delta`` around these
prior means, normal prior with standard deviation ``KIND_SD``):

==============================================  =====
contemporary records: document, diary, letter,   +0.60
archival-release, report, speech, newspaper
a claim the case reads through relays (``via``)   -0.20
recollections: memoir, interview, testimony       -0.30
works of scholarship and everything else           0
a retrospective record (below)                     0
==============================================  =====

A document, diary, letter, report, speech or newspaper counts as a *contemporary* record only
when it was written within ``RETROSPECTIVE_AFTER`` (five) years of the events (the claim's date,
else its source's, against the end of the proposition's ``date``): a court's judgment of 1948
on an incident of 1931, a newspaper's piece of 2019 on an affidavit of 1955, are records made in
retrospect, from others' accounts or memory, and weigh as scholarship does. An archival release
is exempt (its ``date`` may be the release's; the documents it makes readable are of their own
time), and so is a record whose events or claim are undated.

**Fixed shifts** (``shift``, stated in the reasons):

* *delay* between the events (the proposition's ``date``) and the claim (its ``date``, else its
  source's) for witnesses who speak from memory (participants, eyewitnesses, officials,
  contemporaries, second-hand witnesses): within a year +0.25; over 10 years -0.15; over 25 -0.30;
* *basis*: ``inferred`` (the case's author's conclusion, not the source's words) -0.80;
  ``quoted`` and ``paraphrased`` 0;
* *against interest* (``against_interest: true``, an admission against the witness's own or his
  side's interest) +1.20;
* *self-serving* (``self_serving: true``, a claim that serves the witness's own or his side's
  interest: a denial of his own guilt, an accusation of his enemy, a justification of his side's
  acts) -0.80, as much as a claim the case's author inferred: cui bono is the first question of
  source criticism, and what a witness had every reason to say tells less than what he had none to;
* *hostile corroboration*: a witness ``hostile_to`` another who stands on the same side of the
  same proposition +0.60 (an enemy's agreement is hard to explain except by the truth).

**Lines.** A line of evidence (one origin, one side) votes once; it is spoken for by its strongest
testimony (the largest prior shift among the origin's own claims on that side; a claim read
through relays only where there is none, a derivative author's restatement only where there is
neither): a cable and a memoir saying the same thing weigh as the cable, and the memoir alone,
before the cable is released, weighs as a memoir.

**Informativeness.** A date or number claim supports the value of its side in proportion to how
much it narrows it: its vote is tempered by ``iota = 1 / (1 + log10((w_claim + u) / (w_side +
u)))`` where ``w`` are the widths of the claim's range and of the side's common value and ``u``
the unit of precision (a day for dates, 1% of the value for numbers). A claim as precise as the
side counts fully; ten times vaguer counts a half, a hundred times a third; an eight-month bracket
around a day about 0.3. A line takes its most precise claim's ``iota``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._arrays import list_lengths
from ..normalisers import RANGE_TYPES
from .em import Testimony, Votes
from .evidence import claim_flags, codes_of, table_values

__all__ = ["KIND_MEAN", "KIND_SD", "testimony_of", "votes_testimony", "TESTIMONY_KIND", "describe_kind", "RECORD_KINDS",
           "RECOLLECTION_KINDS", "BASIS_SHIFT", "AGAINST_INTEREST_SHIFT", "RETROSPECTIVE_AFTER", "SELF_SERVING_SHIFT", "HOSTILE_AGREEMENT_SHIFT", "DELAY_SHIFT"]

RECORD_KINDS = ("document", "diary", "letter", "archival-release", "report", "speech", "newspaper")
RECOLLECTION_KINDS = ("memoir", "interview", "testimony")
SCHOLARLY_KINDS = ("monograph", "article", "review", "other")
#: prior mean (log-odds) of each kind of testimony's shift; "relayed": read through ``via``
KIND_MEAN = {**{k: 0.60 for k in RECORD_KINDS}, **{k: -0.30 for k in RECOLLECTION_KINDS},
             **{k: 0.0 for k in SCHOLARLY_KINDS}, "relayed": -0.20, "retrospective": 0.0}
KIND_SD = 0.5
KIND_NAMES = sorted(KIND_MEAN)
KIND_DTYPE = pd.CategoricalDtype(KIND_NAMES)
#: kinds whose testimony is contemporary with what it records / told from memory
TESTIMONY_KIND = {**{k: "contemporary record" for k in RECORD_KINDS}, **{k: "recollection" for k in RECOLLECTION_KINDS},
                  **{k: "scholarship" for k in SCHOLARLY_KINDS}, "relayed": "relayed", "retrospective": "retrospective record"}
#: a record (but an archival release) written more than this many years after the events is a
#: retrospective record, not a contemporary one
RETROSPECTIVE_AFTER = 5.0
#: the record kinds the rule applies to
_DATED_RECORDS = tuple(k for k in RECORD_KINDS if k != "archival-release")
MEMORY_PROXIMITIES = ("participant", "eyewitness", "official", "contemporary", "secondhand")
DELAY_SHIFT = ((1.0, 0.25), (10.0, 0.0), (25.0, -0.15), (np.inf, -0.30))  # (up to years, shift)
BASIS_SHIFT = {"quoted": 0.0, "paraphrased": 0.0, "inferred": -0.80}
AGAINST_INTEREST_SHIFT = 1.20
SELF_SERVING_SHIFT = -0.80
HOSTILE_AGREEMENT_SHIFT = 0.60
#: a line spoken for by a derived claim (another author restating the origin) only where the
#: origin's own claim is missing: this much is taken off such rows' rank
_NOT_OWN = 100.0
#: and a claim read through relays only where the origin's own words are missing
_RELAYED = 50.0


def describe_kind(kind: str) -> str:
    """``memoir (recollection)``; a class that is its own kind is named once (``relayed``,
    ``retrospective record``)."""
    label = TESTIMONY_KIND.get(kind, "scholarship")
    return label if label.startswith(kind) else f"{kind} ({label})"


def testimony_of(case, ev: pd.DataFrame) -> pd.DataFrame:
    """One row per evidence row (claim): ``kind`` of testimony, ``delay`` (years), ``basis``,
    ``against_interest``, ``hostile_agreement``, ``shift`` (the fixed shifts' sum),
    ``kind_mean``, ``informativeness``."""
    claims = case.claims
    n = len(ev)
    s_code, s_ids = codes_of(ev["source"])
    # kinds as codes over KIND_NAMES: looked up per source, gathered per claim
    source_kind = pd.Series(table_values(case, "sources", "kind", s_ids), dtype=object).fillna("other")
    source_code = pd.Categorical(source_kind, categories=KIND_NAMES).codes.astype(np.int64)
    source_code[source_code < 0] = KIND_NAMES.index("other")
    kind_code = source_code[s_code] if n else np.zeros(0, dtype=np.int64)
    # delay: the claim's date against the events' end
    p_code, p_ids = codes_of(ev["proposition"])
    event_end = table_values(case, "propositions", "date_end", p_ids, dtype="datetime64[s]")[p_code]
    told = claims["date_start"].to_numpy(dtype="datetime64[s]")
    with np.errstate(invalid="ignore"):
        delay = (told - event_end).astype("timedelta64[D]").astype(float) / 365.25
    delay[np.isnat(told) | np.isnat(event_end)] = np.nan
    if n:
        dated_record = np.isin(np.arange(len(KIND_NAMES)), [KIND_NAMES.index(k) for k in _DATED_RECORDS])[kind_code]
        with np.errstate(invalid="ignore"):
            later = dated_record & (delay > RETROSPECTIVE_AFTER)
        kind_code = np.where(later, KIND_NAMES.index("retrospective"), kind_code)
    if "via" in claims.columns and n:
        relayed = list_lengths(claims["via"]) > 0
        if relayed.any():
            kind_code = np.where(relayed, KIND_NAMES.index("relayed"), kind_code)
    # the delay shifts apply to witnesses speaking from memory
    w_code, w_ids = codes_of(ev["witness"])
    memory = np.isin(table_values(case, "witnesses", "proximity", w_ids), list(MEMORY_PROXIMITIES))[w_code] if n else np.zeros(0, bool)
    delay_shift = np.zeros(n)
    has = memory & ~np.isnan(delay)
    bounds = np.array([b for b, _ in DELAY_SHIFT])
    shifts = np.array([s for _, s in DELAY_SHIFT])
    delay_shift[has] = shifts[np.searchsorted(bounds, np.maximum(delay[has], 0.0), side="left")]
    if "basis" in claims.columns and isinstance(claims["basis"].dtype, pd.CategoricalDtype):
        basis = claims["basis"].reset_index(drop=True)
        table = np.array([BASIS_SHIFT.get(b, 0.0) for b in basis.cat.categories] + [0.0])
        basis_shift = table[basis.cat.codes.to_numpy().astype(np.int64)]
    else:
        basis = pd.Series(pd.Categorical(["paraphrased"] * n, categories=list(BASIS_SHIFT)))
        basis_shift = np.zeros(n)
    against, serving = claim_flags(claims, "against_interest"), claim_flags(claims, "self_serving")
    hostile = _hostile_agreement(case, ev)
    shift = delay_shift + basis_shift
    for flag, by in ((against, AGAINST_INTEREST_SHIFT), (serving, SELF_SERVING_SHIFT), (hostile, HOSTILE_AGREEMENT_SHIFT)):
        shift[flag] += by  # few claims carry a flag: no product over every claim
    kind_mean = np.array([KIND_MEAN[k] for k in KIND_NAMES])[kind_code]
    kind = pd.Categorical.from_codes(kind_code, dtype=KIND_DTYPE)
    return pd.DataFrame({"kind": kind, "kind_code": kind_code, "delay": delay, "delay_shift": delay_shift, "basis": basis, "against_interest": against,
                         "self_serving": serving,
                         "hostile_agreement": hostile, "shift": shift, "kind_mean": kind_mean,
                         "informativeness": _informativeness(ev, claims)}, copy=False)


def _hostile_agreement(case, ev: pd.DataFrame) -> np.ndarray:
    """Rows whose origin is hostile to the origin of another line on the same side."""
    out = np.zeros(len(ev), dtype=bool)
    hostile_to = case.witnesses["hostile_to"]
    some = np.flatnonzero(list_lengths(hostile_to) > 0)  # few witnesses name enemies: list only theirs
    enemies = {w: set(h) for w, h in hostile_to.iloc[some].items()}
    if not enemies:
        return out
    side = ev["side"].to_numpy()
    origin = ev["origin"].astype(object).to_numpy()
    mine = np.flatnonzero((side >= 0) & np.isin(origin, list(enemies)))
    if not len(mine):
        return out
    # only the propositions a hostile witness speaks to need their sides' origins listed
    p_code = codes_of(ev["proposition"])[0]
    touched = np.isin(p_code, np.unique(p_code[mine]))
    rows = np.flatnonzero(touched & (side >= 0))
    on: dict = {}
    for i, p, sd in zip(rows.tolist(), p_code[rows].tolist(), side[rows].tolist()):
        on.setdefault((p, sd), set()).add(origin[i])
    for i in mine.tolist():
        out[i] = bool(enemies[origin[i]] & on[(p_code[i], side[i])])
    return out


def _informativeness(ev: pd.DataFrame, claims: pd.DataFrame) -> np.ndarray:
    """``iota`` of each date or number claim against its side's common value (1 elsewhere)."""
    n = len(ev)
    iota = np.ones(n)
    t_code, t_ids = codes_of(ev["type"]) if n else (np.zeros(0, dtype=np.int64), pd.Index([]))
    is_range = np.isin(np.asarray(t_ids, dtype=object), RANGE_TYPES)[t_code] if n else np.zeros(0, bool)
    is_range &= ev["side"].to_numpy() >= 0
    if not is_range.any():
        return iota
    rows = np.flatnonzero(is_range)
    # the claims' own ranges (the evidence's rows are the claims', in their order)
    low = claims["value_low"].to_numpy(dtype=float)[rows]
    high = claims["value_high"].to_numpy(dtype=float)[rows]
    s_low = ev["side_low"].to_numpy(dtype=float)[rows]
    s_high = ev["side_high"].to_numpy(dtype=float)[rows]
    is_date = np.isin(np.asarray(t_ids, dtype=object), ["date", "time"])[t_code[rows]]  # a day, a minute
    mid = np.abs((s_low + s_high) / 2)
    unit = np.where(is_date, 1.0, np.where(mid > 0, 0.01 * mid, 0.01))
    w_claim = np.where(np.isfinite(high - low), high - low, np.inf)
    w_side = np.where(np.isfinite(s_high - s_low), s_high - s_low, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (w_claim + unit) / (w_side + unit)
        value = 1.0 / (1.0 + np.log10(np.maximum(ratio, 1.0)))
    iota[rows] = np.where(np.isfinite(value), value, 1.0)
    return iota


def _first_best(group: np.ndarray, score: np.ndarray, rows: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the first of ``rows`` with the group's highest score (-1: empty group)."""
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, group, score)
    top = score == best[group]
    out = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, group[top], rows[top])
    out[out == np.iinfo(np.int64).max] = -1
    return out


def votes_testimony(votes: Votes, ev: pd.DataFrame, table: pd.DataFrame) -> Testimony:
    """Each vote's testimony: the line's strongest own claim speaks for it (see the module)."""
    line = ev["line"].to_numpy()
    counted = np.flatnonzero(line >= 0)
    l = line[counted]
    n_lines = int(line.max()) + 1 if len(counted) else 0
    iota = table["informativeness"].to_numpy()
    # most lines rest on one claim: it speaks for its line; the choice is made only where
    # several claims share a line (the last write of a shared line is overwritten below)
    rep = np.full(n_lines, -1, dtype=np.int64)
    rep[l] = counted
    iota_line = np.zeros(n_lines)
    iota_line[l] = iota[counted]
    multi = np.bincount(l, minlength=n_lines) > 1
    if multi.any():
        several = counted[multi[l]]
        l_several = line[several]
        own = (codes_of(ev["witness"])[0][several] == codes_of(ev["origin"])[0][several])
        relayed = table["kind_code"].to_numpy()[several] == KIND_NAMES.index("relayed")
        rank = (table["shift"].to_numpy()[several] + table["kind_mean"].to_numpy()[several]
                - np.where(own, 0.0, _NOT_OWN) - np.where(relayed, _RELAYED, 0.0))
        best = _first_best(l_several, rank, several, n_lines)
        rep[best >= 0] = best[best >= 0]
        iota_line[multi] = 0.0
        np.maximum.at(iota_line, l_several, iota[several])
    rows = rep[votes.line_ids]
    code = table["kind_code"].to_numpy()[rows]
    present = np.flatnonzero(np.bincount(code, minlength=len(KIND_NAMES)))
    renumber = np.full(len(KIND_NAMES), -1, dtype=np.int64)
    renumber[present] = np.arange(len(present))
    kinds = [KIND_NAMES[i] for i in present]
    kind_code = renumber[code]
    return Testimony(shift=table["shift"].to_numpy()[rows], kind=kind_code, kinds=kinds,
                     kind_mean=np.array([KIND_MEAN.get(k, 0.0) for k in kinds]), kind_sd=KIND_SD,
                     weight=iota_line[votes.line_ids], claim_row=rows)


