"""Query filters on document metadata (`qa.ingest.metadata`): equality, one-of, ranges on numbers and dates.

A filter is a JSON object, one key a field; every key must hold (AND):

    {"type": "pdf"}                                    equality
    {"type": {"in": ["pdf", "docx"]}}                  one of
    {"modified": {"gte": "2024-01-01", "lt": "2025-01-01"}}   a range (gt, gte, lt, lte; ANDed)
    {"pages": {"lte": 10}, "folder": "reports"}        several fields

A field's kind is the index's: `path`, `folder`, `type` and `title` are text, `modified` a date,
`pages` a number, and a source's own field (a JSONL record's key) is a boolean, a number or a
date where every document holding it holds one, else text. Dates are ISO 8601 (`2024-01-01`, or
with a time; without a zone, UTC). Ranges apply to numbers and dates only. A document without the
field matches no condition on it. A filter naming a field no document has, an operator that does
not exist or a value of the wrong kind is refused (`BadRequest`, a 400) saying which.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from qa.errors import BadRequest

Value = str | float | bool | datetime
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


def _text(value: Any) -> Value | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> Value | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _boolean(value: Any) -> Value | None:
    return value if isinstance(value, bool) else None


def _date(value: Any) -> Value | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # 2024-02-30: shaped like a date, but none
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    """What a field holds: how a value (a document's or a filter's) becomes comparable, None if it cannot."""

    name: str
    convert: Callable[[Any], Value | None]
    ordered: bool  # whether ranges apply
    example: str  # for messages


TEXT = Kind("text", _text, False, '"pdf"')
NUMBER = Kind("number", _number, True, "10")
BOOLEAN = Kind("boolean", _boolean, False, "true")
DATE = Kind("date", _date, True, '"2024-01-01"')
BUILT_IN = {"path": TEXT, "folder": TEXT, "type": TEXT, "title": TEXT, "modified": DATE, "pages": NUMBER}

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "in": lambda value, options: value in options,
    **_ORDER,
}
OPERATORS = tuple(_TESTS)


def fields_of(metas: Iterable[Mapping[str, Any]]) -> dict[str, Kind]:
    """Every field the documents hold, with its kind: the built-in ones', a source field's by its values."""
    values: dict[str, list[Any]] = {}
    for meta in metas:
        for key, value in meta.items():
            if key not in BUILT_IN:
                values.setdefault(key, []).append(value)
    found = dict(BUILT_IN)
    for key, held in values.items():
        found[key] = next((k for k in (BOOLEAN, NUMBER, DATE) if all(k.convert(v) is not None for v in held)), TEXT)
    return found


@dataclass(frozen=True)
class Condition:
    """One field's tests, every one of which a document's value must pass."""

    field: str
    kind: Kind
    tests: tuple[tuple[str, Any], ...]  # (operator, operand converted to the field's kind)

    def matches(self, meta: Mapping[str, Any]) -> bool:
        value = self.kind.convert(meta.get(self.field))
        if value is None:
            return False
        return all(_TESTS[op](value, operand) for op, operand in self.tests)


@dataclass(frozen=True)
class Filter:
    """Conditions on a document's metadata, all of which must hold."""

    conditions: tuple[Condition, ...]

    @classmethod
    def parse(cls, data: Any, fields: Mapping[str, Kind]) -> Filter:
        """A filter from its JSON, checked against the index's fields (`fields_of`); raises BadRequest."""
        if not isinstance(data, dict):
            raise BadRequest(
                '\'filters\' must be a JSON object like {"type": "pdf"} or {"pages": {"lte": 10}}',
                code="invalid_filters",
            )
        return cls(tuple(_condition(name, spec, fields) for name, spec in data.items()))

    def matches(self, meta: Mapping[str, Any]) -> bool:
        return all(c.matches(meta) for c in self.conditions)


def _condition(name: str, spec: Any, fields: Mapping[str, Kind]) -> Condition:
    kind = fields.get(name)
    if kind is None:
        raise BadRequest(
            f"no document has the field '{name}' to filter on; fields: {', '.join(sorted(fields))}",
            code="unknown_filter_field",
        )
    if not isinstance(spec, dict):
        return Condition(name, kind, (("eq", _operand(name, kind, spec)),))
    if not spec:
        raise BadRequest(f"the filter on '{name}' is empty; give a value or operators", code="invalid_filter_operator")
    tests: list[tuple[str, Any]] = []
    for op, operand in spec.items():
        if op not in OPERATORS:
            raise BadRequest(
                f"unknown operator '{op}' in the filter on '{name}'; use one of: {', '.join(OPERATORS)}",
                code="invalid_filter_operator",
            )
        if op in _ORDER and not kind.ordered:
            raise BadRequest(
                f"'{name}' is {kind.name}: ranges ({op}) apply to numbers and dates; use a value or 'in'",
                code="invalid_filter_operator",
            )
        if op == "in":
            if not isinstance(operand, list) or not operand:
                raise BadRequest(f"'in' on '{name}' takes a non-empty list of values", code="invalid_filter_value")
            tests.append((op, tuple(_operand(name, kind, v) for v in operand)))
        else:
            tests.append((op, _operand(name, kind, operand)))
    return Condition(name, kind, tuple(tests))


def _operand(name: str, kind: Kind, value: Any) -> Value:
    converted = kind.convert(value)
    if converted is None:
        raise BadRequest(
            f"'{name}' is {kind.name}: {json.dumps(value, ensure_ascii=False)} is not one (like {kind.example})",
            code="invalid_filter_value",
        )
    return converted
