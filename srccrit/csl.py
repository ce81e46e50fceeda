"""CSL-JSON of BibTeX/biblatex entries, for Zotero, pandoc and citeproc.

The mapping follows pandoc's biblatex reader (the reference implementation; the test suite
compares the two field by field): entry types to CSL types, names split by bibtexparser's name
parser (``Diebold,, A. Richard``, ``von Hippel, Eric``, ``Reagle, Jr., Joseph M.``, a corporate
``{World Health Organization}`` as a literal), dates with months and seasons, and every standard
field: container-title, collection-title and -number, publisher (school, institution,
organization for theses, reports and proceedings), publisher-place, edition, genre for theses
and reports, volume, issue, number, page, event, accessed, original-date, DOI, ISBN, ISSN, URL,
note, language, abstract, keyword. Title case is left as written (pandoc converts English titles
to sentence case; srccrit does not change a user's titles).
"""

from __future__ import annotations

import json
import re

from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

from .io.bibliography import latex_to_text

__all__ = ["csl_item", "csl_json_items", "CSL_TYPES"]

CSL_TYPES = {
    "article": "article-journal", "periodical": "article-journal", "suppperiodical": "article-journal",
    "book": "book", "mvbook": "book", "collection": "book", "mvcollection": "book", "proceedings": "book", "mvproceedings": "book",
    "reference": "book", "mvreference": "book", "manual": "book", "software": "book", "booklet": "pamphlet",
    "inbook": "chapter", "bookinbook": "chapter", "suppbook": "chapter", "incollection": "chapter", "suppcollection": "chapter",
    "inreference": "entry-encyclopedia", "inproceedings": "paper-conference", "conference": "paper-conference",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis", "report": "report", "techreport": "report",
    "online": "webpage", "www": "webpage", "electronic": "webpage", "unpublished": "manuscript", "patent": "patent",
    "dataset": "dataset", "letter": "personal_communication", "review": "review", "standard": "legislation",
    "video": "motion_picture", "movie": "motion_picture", "audio": "song", "music": "song", "image": "graphic",
    "artwork": "graphic", "legislation": "legislation", "jurisdiction": "legal_case", "misc": "document",
}
_ARTICLE_SUBTYPES = {"magazine": "article-magazine", "newspaper": "article-newspaper"}
_THESIS_GENRES = {"phdthesis": "PhD thesis", "mathesis": "Master’s thesis", "mastersthesis": "Master’s thesis",
                  "candthesis": "Candidate thesis", "techreport": "Technical report", "resreport": "Research report"}
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_LANGUAGES = {"english": "en-US", "american": "en-US", "british": "en-GB", "german": "de-DE", "ngerman": "de-DE",
              "french": "fr-FR", "russian": "ru-RU", "spanish": "es-ES", "italian": "it-IT", "chinese": "zh-CN",
              "japanese": "ja-JP", "korean": "ko-KR", "portuguese": "pt-PT", "dutch": "nl-NL", "polish": "pl-PL"}
_PARTS = ("book", "chapter", "paper-conference", "entry-encyclopedia")


def _names(raw_value: str) -> list[dict]:
    """CSL names from a raw BibTeX name list (braces kept, so a corporate name stays whole)."""
    value = raw_value.strip()
    if len(value) >= 2 and value[0] in "{\"" and value[-1] in "}\"":
        value = value[1:-1]
    out = []
    for person in split_multiple_persons_names(value):
        person = person.strip()
        if not person:
            continue
        if person.startswith("{") and person.endswith("}") and person.count("{") == 1:
            out.append({"literal": latex_to_text(person[1:-1])})
            continue
        try:
            parts = parse_single_name_into_parts(person, strict=False)
        except Exception:  # noqa: BLE001 - bibtexparser raises its own InvalidNameError and others
            out.append({"literal": latex_to_text(person)})
            continue
        name: dict = {}
        if parts.last:
            name["family"] = latex_to_text(" ".join(parts.last))
        if parts.first:
            # "T.H." -> "T. H.", as pandoc writes initials
            name["given"] = re.sub(r"\.(?=[^\W\d_])", ". ", latex_to_text(" ".join(parts.first)))
        if parts.von:
            name["dropping-particle"] = latex_to_text(" ".join(parts.von))
        if parts.jr:
            name["suffix"] = latex_to_text(" ".join(parts.jr))
        if name.get("family", "").startswith("{") or (list(name) == ["family"] and " " in name["family"]):
            name = {"literal": name["family"].strip("{}")}
        out.append(name or {"literal": latex_to_text(person)})
    return out


def _list(value: str) -> str:
    return "; ".join(part.strip() for part in re.split(r"\s+and\s+", value) if part.strip())


def _date_parts(text: str) -> list[list[int]] | None:
    """``2001``, ``2001-05``, ``2021-21`` (a season), ``1993-00-00``, ``1945/1947`` -> CSL date parts."""
    parts = []
    for piece in text.split("/"):
        nums = [int(x) for x in re.findall(r"\d+", piece)[:3]]
        while nums and nums[-1] == 0:
            nums.pop()  # 00 means unknown
        if not nums or nums[0] < 100:
            continue
        parts.append(nums)
    return parts or None


def _month(value: str) -> int | None:
    v = value.strip().lower()[:3]
    if v in _MONTHS:
        return _MONTHS[v]
    return int(value) if value.strip().isdigit() and 1 <= int(value) <= 24 else None


def csl_item(key: str, entry_type: str, fields: dict[str, str], raw_fields: dict[str, str]) -> dict:
    """One CSL-JSON item from an entry's decoded ``fields`` (and its ``raw_fields`` for names)."""
    f = {k.lower(): v for k, v in fields.items() if v is not None and str(v).strip() != ""}
    etype = entry_type.lower()
    ctype = CSL_TYPES.get(etype, "document")
    if ctype == "article-journal" and f.get("entrysubtype", "").lower() in _ARTICLE_SUBTYPES:
        ctype = _ARTICLE_SUBTYPES[f["entrysubtype"].lower()]
    item: dict = {"id": key, "type": ctype}

    title = bare = f.get("title", "")
    if f.get("subtitle"):
        title += ": " + f["subtitle"]
    if f.get("titleaddon"):
        title += ". " + f["titleaddon"]
    if f.get("maintitle"):
        item["volume-title"] = title
        title = f["maintitle"] + (": " + f["mainsubtitle"] if f.get("mainsubtitle") else "")
    if title:
        item["title"] = title
    if f.get("shorttitle"):
        item["title-short"] = f["shorttitle"]
    elif title != bare and bare and not f.get("maintitle"):
        item["title-short"] = bare  # as pandoc does: the title without its subtitle or addon
    elif ": " in title:
        item["title-short"] = title.split(": ", 1)[0]

    for src, dst in (("author", "author"), ("editor", "editor"), ("translator", "translator"), ("bookauthor", "container-author")):
        raw = raw_fields.get(src)
        if raw:
            item[dst] = _names(raw)

    container = f.get("journaltitle") or f.get("journal")
    if ctype in _PARTS and f.get("booktitle"):
        container = f["booktitle"] + (": " + f["booksubtitle"] if f.get("booksubtitle") else "")
    if container:
        item["container-title"] = container
    if f.get("shortjournal"):
        item["container-title-short"] = f["shortjournal"]

    if f.get("series"):
        item["collection-title"] = f["series"]
    if ctype.startswith("article"):
        issue = ", ".join(v for v in (f.get("number"), f.get("issue")) if v)
        if issue:
            item["issue"] = issue
    elif f.get("number"):
        item["collection-number" if f.get("series") else "number"] = f["number"]

    # biblatex's list fields ("Inria and University of Paris") are joined as pandoc joins them
    publisher = [_list(f[k]) for k in ("school", "institution", "organization", "publisher") if f.get(k)]
    if f.get("howpublished"):
        publisher.append(f["howpublished"])
    if publisher:
        item["publisher"] = "; ".join(dict.fromkeys(publisher))
    if f.get("address") or f.get("location"):
        item["publisher-place"] = _list(f.get("address") or f.get("location"))  # BibTeX's address first, as pandoc

    if ctype in ("thesis", "report"):
        kind = f.get("type") or (etype if etype in _THESIS_GENRES else None)
        if kind:
            item["genre"] = _THESIS_GENRES.get(kind.lower(), kind)
    elif f.get("type"):
        item["genre"] = f["type"]

    for src, dst in (("volume", "volume"), ("volumes", "number-of-volumes"), ("pagetotal", "number-of-pages"),
                     ("edition", "edition"), ("chapter", "chapter-number"), ("version", "version"), ("eventtitle", "event"),
                     ("venue", "event-place"), ("doi", "DOI"), ("isbn", "ISBN"), ("issn", "ISSN"), ("abstract", "abstract"),
                     ("keywords", "keyword"), ("annotation", "annote")):
        if f.get(src):
            item[dst] = f[src]
    if f.get("pages"):
        item["page"] = re.sub(r"\s*[-–—]+\s*", "-", f["pages"])
    url = f.get("url")
    if not url and f.get("eprint") and f.get("eprinttype", "").lower() in ("arxiv", "arxiv.org"):
        url = "https://arxiv.org/abs/" + f["eprint"]
    if url:
        item["URL"] = url
    note = ". ".join(v for v in (f.get("note"), f.get("addendum")) if v)
    if note:
        item["note"] = note
    if f.get("langid") or f.get("language"):
        lang = (f.get("langid") or f.get("language")).strip()
        item["language"] = _LANGUAGES.get(lang.lower(), lang)

    issued = None
    if f.get("date"):
        issued = _date_parts(f["date"])
    elif f.get("year"):
        issued = _date_parts(f["year"])
        month = _month(f["month"]) if f.get("month") else None
        if issued and month and len(issued) == 1 and len(issued[0]) == 1:
            issued[0].append(month)
            if f.get("day", "").strip().isdigit() and 1 <= int(f["day"]) <= 31:
                issued[0].append(int(f["day"]))
    if issued:
        item["issued"] = {"date-parts": issued}
    elif f.get("year") or f.get("date"):
        item["issued"] = {"literal": f.get("date") or f.get("year")}
    for src, dst in (("urldate", "accessed"), ("origdate", "original-date"), ("eventdate", "event-date")):
        if f.get(src):
            parts = _date_parts(f[src])
            item[dst] = {"date-parts": parts} if parts else {"literal": f[src]}
    return item


#: what a child entry takes from its crossref/xdata parent under another name (biblatex's
#: default inheritance): the parent's title is the book a chapter or paper is in
_INHERIT_AS = {"title": "booktitle", "subtitle": "booksubtitle", "titleaddon": "booktitleaddon", "author": "bookauthor"}
_NOT_INHERITED = {"ids", "crossref", "xdata", "entryset", "entrysubtype", "execute", "label", "options", "related", "relatedtype",
                  "shorthand", "sortkey", "sortname"}


def _ancestors(rec, parents: dict, limit: int = 8):
    """(link, parent) for the crossref/xdata parents of ``rec``, nearest first, then theirs (a
    chain such as module -> version -> software), each once."""
    seen, frontier = {rec.key}, [rec]
    for _ in range(limit):
        nxt = []
        for node in frontier:
            for link in ("crossref", "xdata"):
                for pkey in re.split(r"\s*,\s*", node.fields.get(link, "") or ""):
                    parent = parents.get(pkey)
                    if parent is not None and parent.key not in seen:
                        seen.add(parent.key)
                        nxt.append(parent)
                        yield link, parent
        if not nxt:
            return
        frontier = nxt


def csl_json_items(records, parents: dict | None = None) -> list[dict]:
    """CSL items for :class:`~srccrit.io.bibliography.BibRecord` objects, in the order given;
    ``crossref``/``xdata`` parents (looked up in ``parents``, key -> record) lend their fields as
    biblatex does (a parent's title becomes the child's booktitle)."""
    parents = parents if parents is not None else {r.key: r for r in records}
    items = []
    for rec in records:
        fields, raw = dict(rec.fields), {}
        for fl in rec.raw.fields:
            value = str(fl.value).strip()
            # names as written (braces mark a corporate name); a @string macro: its decoded value
            raw[fl.key.lower()] = value if value[:1] in "{\"" else rec.fields.get(fl.key, rec.fields.get(fl.key.lower(), value))
        for link, parent in _ancestors(rec, parents):
            if True:
                part = CSL_TYPES.get(rec.entry_type, "") in _PARTS and CSL_TYPES.get(parent.entry_type, "") == "book"
                praw = {fl.key.lower(): str(fl.value).strip() for fl in parent.raw.fields}
                for name, value in parent.fields.items():
                    name = name.lower()
                    if name in _NOT_INHERITED:
                        continue
                    target = _INHERIT_AS.get(name, name) if part and link == "crossref" else name
                    if target not in {k.lower() for k in fields}:
                        fields[target] = value
                        if name in praw:
                            raw.setdefault(target, praw[name])
        items.append(csl_item(rec.key, rec.entry_type, fields, raw))
    return items


def dumps(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
