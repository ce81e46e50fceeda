"""Documents read as text: a PDF by its text layer (pypdf), page by page; a Word document
(.docx) and an OpenDocument text (.odt) with their notes as Markdown footnotes; anything else
as UTF-8 text. The I/O edge of :func:`srccrit.ingest.read_text`, which reads what these give
(pages, notes, sentences). Every failure is a :class:`~srccrit.SrccritError` naming the file."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SrccritError, not_utf8

__all__ = ["read_document"]


def read_document(path: Path) -> str:
    """The text of the file at ``path``: a PDF's (by its suffix or its first bytes) with a form
    feed after each page, a Word document's or an OpenDocument text's (a zip that is not named
    as a text file) with its notes, else the file as UTF-8."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf" or _starts_with(path, b"%PDF-"):
        return _pdf_text(path)
    if suffix in (".docx", ".docm", ".odt") or (suffix not in _TEXT_SUFFIXES and _starts_with(path, b"PK\x03\x04")):
        return _docx_text(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SrccritError(str(not_utf8(path, str(path), "the text"))) from None


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(magic)) == magic
    except OSError:
        return False


def _pdf_text(path: Path) -> str:
    """The text layer of a PDF, page by page with a form feed after each (as ``pdftotext`` gives
    it; ``srccrit.ingest`` then reads the printed page numbers), by pypdf. A scan without a
    text layer, an encrypted or a damaged file is an error naming the file."""
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a slightly damaged file is read with warnings
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SrccritError(f"{path}: the PDF is encrypted: save an unprotected copy (or its text) and ingest that")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SrccritError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise SrccritError(f"{path}: cannot read this PDF ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not any(page.strip() for page in pages):
        raise SrccritError(f"{path}: this PDF has no text layer (a scan?): run OCR on it first (ocrmypdf, say) and ingest the result")
    return "\f".join(pages) + "\f"


# --------------------------------------------------------------------------- Word

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: the namespace of Word's "Strict Open XML" documents (File > Save As > Strict Open XML)
_W_STRICT = "{http://purl.oclc.org/ooxml/wordprocessingml/main}"
#: files read as text whatever their first bytes (a zip's are "PK\x03\x04": a Word document's)
_TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".tex", ".ltx")
#: the most XML of one part of a Word file read (a zip bomb is refused, not unpacked)
_DOCX_PART_LIMIT = 200_000_000


def _docx_text(path: Path) -> str:
    """A Word document's text (.docx), paragraph by paragraph, with its footnotes and endnotes as
    Markdown footnotes (``[^3]`` where Word shows note 3, ``[^3]: text`` after the text: read by
    :func:`_take_markdown_notes`), numbered as Word numbers them, in the order of their
    references; endnotes after the footnotes. Deleted text of tracked changes and field codes are
    left out. Read with the standard library's zip and lxml (no entities, no network)."""
    import zipfile

    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" not in names and "content.xml" in names:
                return _odt_text(path, z, parser)
            if "word/document.xml" not in names:
                raise SrccritError(f"{path}: neither a Word document nor an OpenDocument text (a zip without word/document.xml "
                                   "or content.xml)")

            def part(name: str):
                if name not in names:
                    return None
                if z.getinfo(name).file_size > _DOCX_PART_LIMIT:
                    raise SrccritError(f"{path}: {name} unpacks to more than {_DOCX_PART_LIMIT // 1_000_000} MB: refused")
                return etree.fromstring(z.read(name), parser=parser)

            document, footnotes, endnotes = part("word/document.xml"), part("word/footnotes.xml"), part("word/endnotes.xml")
    except SrccritError:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError, KeyError, ValueError) as exc:
        raise SrccritError(f"{path}: cannot read this Word document ({type(exc).__name__}: {str(exc)[:200]})") from None

    # a Strict Open XML document has its own namespace, with the same names in it
    W = _W_STRICT if document.tag.startswith(_W_STRICT) else _W

    def notes_of(root, tag: str) -> dict[str, str]:
        out = {}
        for note in (root.iter(W + tag) if root is not None else ()):
            nid = note.get(W + "id")
            if note.get(W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            out[nid] = " ".join(t for t in (paragraph_text(p) for p in note.iter(W + "p")) if t).strip()
        return out

    numbers: dict[tuple[str, str], int] = {}  # (kind, Word's id) -> the number Word shows

    def paragraph_text(p) -> str:
        parts = []
        for el in p.iter():
            tag = el.tag
            if tag == W + "t":
                parts.append(el.text or "")
            elif tag in (W + "tab",):
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                parts.append(" ")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag in (W + "footnoteReference", W + "endnoteReference"):
                key = (tag, el.get(W + "id"))
                parts.append(f"[^{numbers.setdefault(key, len(numbers) + 1)}]")
        return "".join(parts).replace("\n", " ").strip()

    # footnotes first met in the text, numbered in order; endnotes numbered after every footnote
    body = document.find(W + "body")
    paragraphs = [paragraph_text(p) for p in (body.iter(W + "p") if body is not None else ())]
    foot, end = notes_of(footnotes, "footnote"), notes_of(endnotes, "endnote")
    ordered = sorted(numbers.items(), key=lambda kv: (kv[0][0] != W + "footnoteReference", kv[1]))
    renumber = {old: new for new, (_, old) in enumerate(ordered, start=1)}
    paragraphs = [re.sub(r"\[\^(\d+)\]", lambda m: f"[^{renumber.get(int(m.group(1)), int(m.group(1)))}]", t) for t in paragraphs]
    notes = [(renumber[old], (foot if tag == W + "footnoteReference" else end).get(nid)) for (tag, nid), old in ordered]
    return _with_footnotes(paragraphs, notes)


def _with_footnotes(paragraphs: list[str], notes: list[tuple[int, str | None]]) -> str:
    """Paragraphs separated by blank lines, then a Markdown footnote definition ``[^n]: text``
    per note that has a text (what :func:`srccrit.ingest.read_text` reads as notes)."""
    text = "\n\n".join(t for t in paragraphs if t)
    definitions = [f"[^{n}]: {note}" for n, note in notes if note]
    return text + ("\n\n" + "\n".join(definitions) + "\n" if definitions else "\n")


_ODT_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _odt_text(path: Path, z, parser) -> str:
    """An OpenDocument text's (.odt: LibreOffice, OpenOffice) paragraphs and headings, with its
    notes (``text:note``, foot- and endnotes, each where its citation stands) as Markdown
    footnotes numbered in their order, as :func:`_docx_text` gives a Word document's."""
    from lxml import etree

    if z.getinfo("content.xml").file_size > _DOCX_PART_LIMIT:
        raise SrccritError(f"{path}: content.xml unpacks to more than {_DOCX_PART_LIMIT // 1_000_000} MB: refused")
    try:
        root = etree.fromstring(z.read("content.xml"), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SrccritError(f"{path}: cannot read this OpenDocument text (XMLSyntaxError: {str(exc)[:200]})") from None
    T = _ODT_TEXT
    notes: list[str] = []

    def flat(el, inside_note: bool = False) -> str:
        parts = [el.text or ""]
        for child in el:
            tag = child.tag
            if tag == T + "note":
                body = child.find(T + "note-body")
                text = " ".join(t for t in (flat(p, True).strip() for p in (body.iter(T + "p") if body is not None else ())) if t)
                notes.append(text)
                parts.append(f"[^{len(notes)}]")
            elif tag == T + "s":
                parts.append(" " * int(child.get(T + "c", "1") or 1))
            elif tag == T + "tab":
                parts.append("\t")
            elif tag == T + "line-break":
                parts.append(" ")
            elif tag in (T + "tracked-changes", T + "note-citation"):
                pass  # deleted text of tracked changes, a note's printed number
            else:
                parts.append(flat(child, inside_note))
            parts.append(child.tail or "")
        return "".join(parts)

    body = root.find("{urn:oasis:names:tc:opendocument:xmlns:office:1.0}body")
    paragraphs = []
    for el in (body.iter(T + "p", T + "h") if body is not None else ()):
        if any(a.tag in (T + "note-body", T + "tracked-changes") for a in el.iterancestors()):
            continue  # a note's paragraph is the note's; a deleted one is gone
        paragraphs.append(" ".join(flat(el).split()))
    return _with_footnotes(paragraphs, list(enumerate(notes, start=1)))
