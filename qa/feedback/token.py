"""A signature over an answer as served, so feedback can vouch only for answers this server gave.

A thumbs up makes the shown answer gold in `ragqa feedback export`; without this, anyone could post
a thumbs up for any text. The server signs (a fresh nonce, question, answer, its passage, the
passages shown) with a key kept beside the feedback database (`qa.feedback.private`); a submission
must carry the token back. The token is `<nonce>.<signature>`: the nonce names this one serving of
the answer, so the store keeps one record per token however often it is sent. HMAC-SHA256 (stdlib
`hmac`), compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence

from qa.feedback.submission import Feedback

NONCE_BYTES = 12
_NONCE_CHARS = 16  # NONCE_BYTES in unpadded urlsafe base64


class FeedbackSigner:
    """Sign served answers and check that feedback names one of them."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, question: str, answer: str | None, passage_id: str | None, passages: Sequence[str]) -> str:
        """A token for one serving of this answer: signing it again gives another token."""
        nonce = _b64(secrets.token_bytes(NONCE_BYTES))
        return f"{nonce}.{self._mac(nonce, question, answer, passage_id, passages)}"

    def _mac(
        self, nonce: str, question: str, answer: str | None, passage_id: str | None, passages: Sequence[str]
    ) -> str:
        # Stripped as check_feedback strips what comes back; JSON of a list keeps field boundaries unambiguous.
        answer = (answer.strip() or None) if answer else None
        fields = [nonce, question.strip(), answer, passage_id, list(passages)]
        payload = json.dumps(fields, ensure_ascii=True).encode("ascii")
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def sign_result(self, result: dict) -> str:
        """The token for one `POST /api/ask` answer (its JSON shape)."""
        answer = result.get("answer")
        return self.sign(
            result["question"],
            answer["text"] if answer else None,
            answer["passage_id"] if answer else None,
            [p["id"] for p in result["passages"]],
        )

    def key_for(self, purpose: str) -> bytes:
        """A key derived from the secret for another use (e.g. hashing client addresses)."""
        return hmac.new(self._secret, purpose.encode("utf-8"), hashlib.sha256).digest()

    def sign_record(self, record_id: int) -> str:
        """A reference to one stored record that only its sender gets (the page shows its question again)."""
        digest = hmac.new(self.key_for("record"), str(record_id).encode("ascii"), hashlib.sha256).digest()[:12]
        return f"{record_id}.{base64.urlsafe_b64encode(digest).decode('ascii')}"

    def record_id(self, reference: object) -> int | None:
        """The record a `sign_record` reference names, or None for anything else."""
        if not isinstance(reference, str) or not reference.isascii():
            return None
        number, _, _ = reference.partition(".")
        if not number.isdigit() or len(number) > 18:
            return None
        return int(number) if hmac.compare_digest(self.sign_record(int(number)), reference) else None

    def verify(self, feedback: Feedback, token: object) -> str | None:
        """The token's nonce when it was signed for exactly this answer as served, else None.

        The rating and correction are the client's to choose, so they are not signed: one record per
        nonce (`FeedbackStore.add`) keeps a token from counting twice."""
        if not isinstance(token, str) or not token.isascii():
            return None
        nonce, dot, mac = token.partition(".")
        if not dot or len(nonce) != _NONCE_CHARS:
            return None
        expected = self._mac(nonce, feedback.question, feedback.answer, feedback.passage_id, feedback.passages)
        return nonce if hmac.compare_digest(expected, mac) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
