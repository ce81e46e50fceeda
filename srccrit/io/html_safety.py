"""Make generated HTML pages inert: an allow-list of URL schemes and of elements, applied to the
whole document after nbconvert (or our own templates) wrote it.

Case text is escaped where srccrit writes it into Markdown and HTML; this is the second line of
defence, for whatever a renderer still turns into markup: no ``javascript:``/``data:`` links, no
remote images, scripts, stylesheets or frames, no inline event handlers. Pages keep working
offline (nothing is fetched from a CDN).
"""

from __future__ import annotations

import re

import lxml.html

__all__ = ["sanitize_page", "sanitize_tree", "page_text", "SAFE_LINK_SCHEMES"]

#: schemes a link may use (a link with no scheme, ``#anchor`` or ``page.html``, is always allowed)
SAFE_LINK_SCHEMES = ("http", "https", "mailto")
#: inline images srccrit embeds (figures); remote images are never loaded
_SAFE_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_REMOVED = ("iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "portal")
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "background", "data", "ping")


def _scheme(url: str) -> str | None:
    cleaned = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore control characters and spaces in schemes
    m = _SCHEME.match(cleaned)
    return m.group(1).lower() if m else None


def _link_ok(url: str) -> bool:
    scheme = _scheme(url)
    return scheme is None or scheme in SAFE_LINK_SCHEMES


def sanitize_page(page: str) -> str:
    """The page with everything live from outside removed; the rest unchanged in meaning."""
    return page_text(sanitize_tree(lxml.html.document_fromstring(page)))


def page_text(doc) -> str:
    """A parsed page (see :func:`sanitize_tree`) as the text of an HTML5 document."""
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode", method="html") + "\n"


def sanitize_tree(doc):
    """:func:`sanitize_page` on a page already parsed by ``lxml.html`` (changed in place and
    returned), for a caller that edits the page too: one parse instead of two."""
    for el in list(doc.iter()):
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in _REMOVED or (tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh"):
            el.drop_tree()
            continue
        if tag == "script" and el.get("src") is not None:
            el.drop_tree()  # remote scripts (require.js, MathJax from a CDN): the page works without them
            continue
        if tag == "link" and el.get("href") is not None and _scheme(el.get("href")) is not None:
            el.drop_tree()
            continue
        if tag in ("img", "source", "video", "audio", "track", "input"):
            src = el.get("src")
            if src is not None and not (_SAFE_IMAGE.match(src.strip()) or _scheme(src) is None):
                if tag == "img":
                    alt = el.get("alt") or ""
                    el.drop_tree() if not alt else _replace_with_text(el, f"[image not loaded: {alt}]")
                else:
                    el.drop_tree()
                continue
        for name in list(el.attrib):
            low = name.lower()
            value = el.attrib[name]
            if low.startswith("on") or low == "srcdoc" or low == "formaction":
                del el.attrib[name]
            elif low in _URL_ATTRIBUTES and low != "src" and not _link_ok(value):
                del el.attrib[name]
            elif low == "src" and not (_SAFE_IMAGE.match(value.strip()) or _scheme(value) is None):
                del el.attrib[name]
            elif low == "style" and re.search(r"url\s*\(\s*['\"]?\s*(?!data:image/)[a-z][a-z0-9+.\-]*:", value, re.I):
                del el.attrib[name]
    return doc


def _replace_with_text(el, text: str) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + text + tail
    else:
        parent.text = (parent.text or "") + text + tail
    parent.remove(el)
