"""How srccrit writes a probability or a reliability for a reader (tables, notebooks, charts,
reasons, BibTeX annotations): one rule, shared by the analyses' reasons and the I/O edge."""

from __future__ import annotations

__all__ = ["share_text"]


def share_text(value: float, words: bool = False) -> str:
    """A probability or reliability to two decimals, except that one short of certainty is not
    shown as certain: 0.999 is ">0.99" (a historian reads "1.00" as settled), 0.001 "<0.01";
    exactly 0 and 1 stay "0.00" and "1.00". ``words``: "over 0.99" / "under 0.01", for text
    that goes where ``<`` and ``>`` are not safe (LaTeX's default encoding prints them as
    other characters)."""
    text = f"{value:.2f}"
    if text == "1.00" and value < 1:
        return "over 0.99" if words else ">0.99"
    if text in ("0.00", "-0.00") and value > 0:
        return "under 0.01" if words else "<0.01"
    return text
