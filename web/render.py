"""Safe HTML pieces for the templates: highlighted passage text (every character escaped, the app's
tags only), the confidence band of an answer, and the feedback icons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

_ORDER = ("answer", "sentence", "term")


def highlight_html(text: str, highlights: Iterable[dict[str, Any]]) -> Markup:
    """Render text with layered highlights; overlapping kinds share one element with several classes."""
    layers: list[set[str]] = [set() for _ in text]
    for h in highlights:
        for i in range(max(0, h["start"]), min(len(text), h["end"])):
            layers[i].add(h["kind"])
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and layers[j] == layers[i]:
            j += 1
        chunk = str(escape(text[i:j]))
        kinds = [k for k in _ORDER if k in layers[i]]
        if kinds:
            tag = "mark" if "answer" in kinds else "span"
            classes = " ".join(f"hl-{k}" for k in kinds)
            chunk = f'<{tag} class="{classes}">{chunk}</{tag}>'
        out.append(chunk)
        i = j
    return Markup("".join(out))


# A citation's snippet: this many characters of the passage, starting this many before its focus.
# static/chat.js uses the same numbers.
SNIPPET_BEFORE, SNIPPET_CHARS = 20, 60


def snippet(text: str, highlights: Iterable[dict[str, Any]]) -> str:
    """A few words of a passage around what it was cited for (the answer, else its closest sentence),
    so citations of one article are told apart."""
    marks = list(highlights)
    focus = next((h for h in marks if h["kind"] == "answer"), None) or next(
        (h for h in marks if h["kind"] == "sentence"), None
    )
    start = max(0, (focus["start"] if focus else 0) - SNIPPET_BEFORE)
    end = min(len(text), start + SNIPPET_CHARS)
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


# The reader abstains below qa.pipeline.ANSWER_THRESHOLD (0.39), so every shown answer is above it;
# these bands split what is left. static/chat.js uses the same numbers.
HIGH_CONFIDENCE, MEDIUM_CONFIDENCE = 0.8, 0.6


def confidence_level(score: float) -> str:
    """high | medium | low: a word people read faster than a percentage."""
    return "high" if score >= HIGH_CONFIDENCE else "medium" if score >= MEDIUM_CONFIDENCE else "low"


# Thumb outlines (Feather icons, MIT); inline SVG needs no font and no request, and follows the text colour.
_THUMBS = {
    "up": (
        "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3z"
        "M7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3"
    ),
    "down": (
        "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3z"
        "m7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17"
    ),
}


def icon(name: str) -> Markup:
    return Markup(
        '<svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        f'<path d="{_THUMBS[name]}"/></svg>'
    )
