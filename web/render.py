"""Passage text with its highlights as safe HTML: every character escaped, the app's tags only."""

from __future__ import annotations

from typing import Any, Iterable

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
