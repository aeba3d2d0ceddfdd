"""The official `openai` Python client against a real `ragqa serve`: answers with citations, streamed and not."""

from __future__ import annotations

import pytest
from openai import NotFoundError, OpenAI

ANSWERED = "福建三峡海上风电国际产业园占地多少亩？"


@pytest.fixture()
def openai_client(server: str) -> OpenAI:
    # With no keys configured the server reads no key; the client insists on sending one.
    return OpenAI(base_url=server + "/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_the_client_gets_the_answer_and_its_citations(openai_client: OpenAI) -> None:
    completion = openai_client.chat.completions.create(model="ragqa", messages=[{"role": "user", "content": ANSWERED}])
    text = completion.choices[0].message.content or ""
    assert text.startswith("1000亩 [1]") and "[1] keji-ribao-2024-08-high-tech-parks.txt: " in text
    extra = (completion.model_extra or {})["ragqa"]
    assert extra["answer"]["text"] == "1000亩" and extra["feedback_token"]
    assert extra["citations"][0]["passage_id"] == extra["answer"]["passage_id"]


def test_the_client_streams_the_same_answer(openai_client: OpenAI) -> None:
    whole = openai_client.chat.completions.create(model="ragqa", messages=[{"role": "user", "content": ANSWERED}])
    stream = openai_client.chat.completions.create(
        model="ragqa", messages=[{"role": "user", "content": ANSWERED}], stream=True
    )
    chunks = list(stream)
    assert len(chunks) > 3  # a role chunk, a chunk a line, the finish
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["ragqa"]["answer"]["text"] == "1000亩"


def test_a_two_turn_conversation_answers_the_last_question(openai_client: OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="ragqa",
        messages=[
            {"role": "user", "content": "How tall is the solar tower?"},
            {"role": "assistant", "content": "252 metres [1]"},
            {"role": "user", "content": ANSWERED},
        ],
    )
    assert (completion.choices[0].message.content or "").startswith("1000亩 [1]")


def test_a_follow_up_leans_on_the_turn_before(openai_client: OpenAI) -> None:
    completion = openai_client.chat.completions.create(
        model="ragqa",
        messages=[
            {"role": "user", "content": "福建三峡海上风电国际产业园占地多少亩？"},
            {"role": "assistant", "content": "1000亩 [1]\n\n来源:\n[1] keji-ribao.txt: …"},
            {"role": "user", "content": "总投资呢？"},
        ],
    )
    assert (completion.choices[0].message.content or "").startswith("40亿元 [1]")
    read_as = completion.to_dict()["ragqa"]["read_as"]  # type: ignore[typeddict-item]
    assert read_as["how"] == "ellipsis" and "福建三峡海上风电国际产业园" in read_as["question"]


def test_the_client_lists_models_and_reads_errors(openai_client: OpenAI) -> None:
    assert "ragqa" in [m.id for m in openai_client.models.list()]
    with pytest.raises(NotFoundError) as refused:
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": ANSWERED}])
    assert refused.value.code == "model_not_found"
