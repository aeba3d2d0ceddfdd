"""A spreadsheet cell's value as Excel shows it: 1,234.50 not 1234.5, (81) not -81, dates as ISO dates.

A question quotes what the reader saw on screen, so the indexed text follows the cell's number
format where it is a plain one (thousands separators, decimals, percent, negatives in brackets,
literal text such as a currency sign, "—" for zero); anything fancier falls back to the plain
number, integers without ".0".
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"'  # literal text
    r"|\\(?P<escaped>.)"  # one literal character
    r"|[_*].?"  # padding (_) and fill (*) characters: layout, not text
    r"|\[(?P<bracket>[^\]]*)\]"  # a colour, a condition or a currency: [Red], [<0], [$€-407]
    r"|(?P<number>[#0?][#0?,]*(?:\.[#0?]*)?)"
    r"|(?P<other>.)",
    re.S,
)
_LITERAL = set(" $-+/():!^&'~{}<>=€£¥%")


def cell_text(value: object, number_format: str | None = None) -> tuple[str, bool]:
    """(text shown, whether the value is text); ("", True) for an empty cell."""
    if value is None:
        return "", True
    if isinstance(value, str):
        return value, True
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes"), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    if isinstance(value, int | float):
        return format_number(value, number_format or "General"), False
    return str(value), True


def format_number(value: int | float, number_format: str) -> str:
    """The number in an Excel number format's plain parts; the general form for what it does not follow."""
    sections = number_format.split(";")
    section = sections[0]
    negative_section = False
    if value < 0 and len(sections) > 1:
        section, value, negative_section = sections[1], -value, True
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    if "general" in section.lower():
        return ("-" if negative_section else "") + general(value)
    out: list[str] = []
    placed = False
    for match in _TOKEN.finditer(section):
        kind = match.lastgroup
        if kind == "quoted" or kind == "escaped":
            out.append(match.group(kind))
        elif kind == "bracket":
            currency = re.match(r"\$([^-]*)", match.group("bracket"))
            if currency:
                out.append(currency.group(1))
        elif kind == "number":
            if placed:
                return general(value)
            out.append(_digits(value * (100 if "%" in section else 1), match.group("number")))
            placed = True
        elif kind == "other":
            char = match.group(kind)
            if char not in _LITERAL and char != "@":
                return general(-value if negative_section else value)  # dates, fractions, exponents
            if char != "@":
                out.append(char)
    text = "".join(out).strip()
    if not placed:
        # A section of literal text only, such as "—" for zero; a section of nothing shows the number.
        return text or general(-value if negative_section else value)
    if value < 0 and not negative_section:
        text = "-" + text
    return text


def general(value: int | float) -> str:
    """Excel's General format: integers without a decimal point, at most 15 significant digits."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return f"{value:.15g}"


def _digits(value: int | float, pattern: str) -> str:
    integer, _, fraction = pattern.partition(".")
    scale = len(integer) - len(integer.rstrip(","))  # each trailing comma divides by a thousand
    decimals = sum(1 for c in fraction if c in "0#?")
    # Excel rounds halves away from zero (2.5 -> 3), Python's formatting to even (2.5 -> 2).
    exact = (Decimal(repr(abs(value))) / 1000**scale).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    grouping = "," if "," in integer.rstrip(",") else ""
    return f"{exact:{grouping}.{decimals}f}"
