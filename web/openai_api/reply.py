"""The assistant's reply in OpenAI's shapes: a chat completion, or the chunks of a streamed one.

The message is the answer followed by numbered sources (file, page, snippet), the answer's own
passage first; a question with no answer in the documents is told so in words, with the closest
passages, never answered with a guess. The structured answer (`POST /api/ask`'s JSON: span,
offsets, passages, highlights, feedback token) rides along in the `ragqa` field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from qa.text import is_mostly_cjk

SNIPPET_CHARS = 160
WORDS = {
    "en": {"none": "I found no answer to this question in the documents.", "closest": "Closest passages",
           "sources": "Sources", "page": "p. {}"},
    "zh": {"none": "文档中没有找到这个问题的答案。", "closest": "最相关的段落", "sources": "来源", "page": "第{}页"},
}  # fmt: skip


def _snippet(passage: dict[str, Any], around: tuple[int, int] | None) -> str:
    """The passage's sentence that holds `around` (else its best sentence, else its start), shortened."""
    text: str = passage["text"]
    sentences = [h for h in passage.get("highlights", []) if h.get("kind") == "sentence"]
    if around is not None:
        sentences = [h for h in sentences if h["start"] <= around[0] and around[1] <= h["end"]] or sentences
    start, end = (sentences[0]["start"], sentences[0]["end"]) if sentences else (0, len(text))
    if around is not None and not sentences:
        start = max(0, around[0] - SNIPPET_CHARS // 2)
    snippet = " ".join(text[start:end].split())
    return snippet if len(snippet) <= SNIPPET_CHARS else snippet[: SNIPPET_CHARS - 1] + "…"


def citations(served: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbered sources: the answer's passage first, then the other passages as ranked."""
    answer: dict[str, Any] | None = served.get("answer")
    span = None if answer is None else (answer["start"], answer["end"])
    held_by = None if answer is None else answer["passage_id"]
    # The answer's passage first; sorting is stable, so the rest keep their rank.
    passages = sorted(served.get("passages", []), key=lambda p: p["id"] != held_by)
    cited = []
    for n, passage in enumerate(passages, 1):
        path = (passage.get("source") or {}).get("path") or passage.get("doc") or ""
        cited.append(
            {
                "n": n,
                "passage_id": passage["id"],
                "file": PurePath(path).name or passage.get("doc"),
                "title": passage.get("title"),
                "page": passage.get("page"),
                "snippet": _snippet(passage, span if passage["id"] == held_by else None),
            }
        )
    return cited


def message_text(served: dict[str, Any], cited: list[dict[str, Any]]) -> str:
    """The assistant message: the answer with its citation, or that none was found; then the sources."""
    words = WORDS["zh" if is_mostly_cjk(served.get("question") or "") else "en"]
    answer = served.get("answer")
    head = f"{answer['text']} [1]" if answer is not None else words["none"]
    lines = [head]
    if cited:
        lines += ["", f"{words['sources'] if answer is not None else words['closest']}:"]
    for source in cited:
        where = source["file"] + (", " + words["page"].format(source["page"]) if source["page"] is not None else "")
        lines.append(f"[{source['n']}] {where}: {source['snippet']}")
    return "\n".join(lines)


def extension(served: dict[str, Any], cited: list[dict[str, Any]]) -> dict[str, Any]:
    return {**served, "citations": cited}


def completion(reply_id: str, model: str, text: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A `chat.completion` object (no token usage: nothing is generated)."""
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop", "logprobs": None}
        ],
        "ragqa": extra,
    }


def chunks(reply_id: str, model: str, text: str, extra: dict[str, Any]) -> Iterator[str]:
    """The reply as server-sent events of `chat.completion.chunk`s, a line of text each, then `data: [DONE]`.

    The answer is whole before the first chunk, so an error is an ordinary error response instead of a
    broken stream; the structured answer comes in the last chunk, with the finish reason."""
    created = int(time.time())

    def event(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        chunk = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **more,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for line in text.splitlines(keepends=True):
        yield event({"content": line})
    yield event({}, "stop", ragqa=extra)
    yield "data: [DONE]\n\n"
