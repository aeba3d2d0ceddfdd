"""Collection names: short, lower-case, safe as a folder name and in a URL, never hidden."""

from __future__ import annotations

import re

from qa.errors import BadRequest

DEFAULT = "default"  # the server's own index (RAGQA_INDEX), read-only over HTTP
PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def check_name(name: object) -> str:
    """The name when it is a valid collection name; BadRequest (400 `invalid_name`) saying the rule otherwise."""
    if not isinstance(name, str) or not PATTERN.fullmatch(name):
        raise BadRequest(
            "a collection name is 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit",
            code="invalid_name",
        )
    return name
