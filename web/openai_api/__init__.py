"""An OpenAI-compatible endpoint, for the chat front ends and agent tools people already run.

`POST /v1/chat/completions` answers the last user message of a conversation from the documents
(extractively: the answer is a span of a passage, never generated), with numbered citations in
the assistant message and the whole structured answer in the `ragqa` field; `GET /v1/models` lists
one model per collection the key may read (`ragqa` is the default collection, `ragqa/<name>` the
others). Keys, errors and admission are those of /api, errors in OpenAI's shape.
"""

from web.openai_api.views import bp

__all__ = ["bp"]
