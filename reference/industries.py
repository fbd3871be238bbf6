"""Industry codes (国民经济行业分类, GB/T 4754-2017).

The standard has four levels: 20 sections (门类, letters A-T), 97 divisions
(大类, two digits 01-97), groups (中类, three digits) and classes (小类,
four digits).  Digit codes are unique on their own, the section letter is
implied by the division; the API nevertheless writes the section letter
in front so the code reads on its own: ``C39`` is 制造业 / 计算机、通信和
其他电子设备制造业.

Sections and divisions are kept in ``data/gbt4754_2017.csv``.  Group and
class codes (``K701``, ``G591``, ``L7211``), which the SME size-class rules
need, are accepted with their full code, but only their division part is
checked against the table.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "gbt4754_2017.csv"
_CODE = re.compile(r"([A-Z])(\d{2,4})?")


@dataclass(frozen=True)
class Industry:
    """An industry from GB/T 4754-2017.

    ``code`` is the canonical code: a section letter alone ('C'), or the
    section letter followed by a division, group or class ('C39', 'K701',
    'L7211').  ``name`` is the Chinese name of the section or division;
    for a group or class code it is the name of its division, the most
    specific level the table holds.
    """

    code: str
    name: str
    section: str

    @property
    def division(self) -> str | None:
        """The 2-digit division (大类), or None for a section."""
        return self.code[1:3] or None

    @property
    def is_section(self) -> bool:
        return len(self.code) == 1


@cache
def _table() -> tuple[dict[str, Industry], dict[str, Industry]]:
    """Sections by letter and divisions by 2-digit code, in code order."""
    with _DATA.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        sections: dict[str, Industry] = {}
        division_rows: dict[str, Industry] = {}
        for row in rows:
            if row["section"]:
                code = row["section"] + row["code"]
                division_rows[row["code"]] = Industry(code, row["name"], row["section"])
            else:
                sections[row["code"]] = Industry(row["code"], row["name"], row["code"])
    return sections, division_rows


def parse_industry_code(code: str) -> Industry:
    """Parse and check an industry code such as 'C39', 'C' or 'K701'.

    Lower case and surrounding blanks are tolerated.  Raises ValueError
    when the code is malformed, the section or division is unknown, or the
    letter does not match the division ('A39': division 39 is in C).
    """
    text = str(code).strip().upper() if code is not None else ""
    if not text:
        raise ValueError("industry code is empty")
    match = _CODE.fullmatch(text)
    if not match:
        raise ValueError(
            f"industry code {code!r} is not a GB/T 4754 code: expected a section letter A-T, "
            "optionally followed by a 2-digit division (e.g. 'C39') or a 3/4-digit group or class"
        )
    letter, digits = match.groups()
    sections, divisions_by_code = _table()
    if letter not in sections:
        raise ValueError(f"unknown industry section {letter!r} in {text!r}: GB/T 4754-2017 sections are A-T")
    if digits is None:
        return sections[letter]
    division = divisions_by_code.get(digits[:2])
    if division is None:
        raise ValueError(f"unknown industry division {digits[:2]!r} in {text!r}: divisions are 01-97")
    if division.section != letter:
        raise ValueError(
            f"industry code {text!r} is inconsistent: division {digits[:2]} ({division.name}) "
            f"belongs to section {division.section}, not {letter}"
        )
    return Industry(text, division.name, letter)


def is_valid_industry_code(code: str) -> bool:
    """Whether :func:`parse_industry_code` accepts the code."""
    try:
        parse_industry_code(code)
    except ValueError:
        return False
    return True


def section_of(code: str) -> str:
    """The section letter (门类) of an industry code, e.g. 'C' for 'C39'."""
    return parse_industry_code(code).section


def division_of(code: str) -> str | None:
    """The 2-digit division (大类) of an industry code, None for a bare section."""
    return parse_industry_code(code).division


def all_sections() -> list[Industry]:
    """The 20 sections A-T."""
    return list(_table()[0].values())


def divisions(section: str) -> list[Industry]:
    """The divisions of one section, in code order, e.g. K → [K70]."""
    parsed = parse_industry_code(section)
    if not parsed.is_section:
        raise ValueError(f"{parsed.code!r} is not a section: expected a single letter A-T")
    letter = parsed.section
    return [item for item in _table()[1].values() if item.section == letter]
