"""The standards' checks as marshmallow validators, written once for every contract.

Each raises ``ValidationError`` with a message a caller can act on.
"""
from marshmallow import ValidationError

from reference import industries, regions

NATIONWIDE = "000000"


def check_division(value):
    """A division code in use today, or ``000000`` for the whole country."""
    if value == NATIONWIDE:
        return
    division = regions.lookup(value)
    if division is None:
        raise ValidationError(f"{value!r} is not a GB/T 2260 division code (or 000000 for nationwide)")
    if not division.active:
        raise ValidationError(f"region code {value} was retired in {division.valid_to}")
    if division.is_summary:
        raise ValidationError(f"region code {value} is a summary code, not a division")


def check_province_or_nation(value):
    """A province's code (``330000``), or ``000000`` for the whole country."""
    check_division(value)
    if value != NATIONWIDE and regions.level_of(value) != regions.PROVINCE:
        raise ValidationError(f"{value} is not a province's code (330000) or 000000 for the whole country")


def check_known_region(value):
    """A known province, city or county code (6 digits), in use or retired (old records keep theirs)."""
    if not (isinstance(value, str) and len(value) == 6 and value.isdigit() and regions.is_known(value)):
        raise ValidationError(f"{value!r} is not a known 6-digit region code")


def check_county(value):
    """A county-level division code in use today (new registrations, moves)."""
    try:
        regions.validate_county(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def check_region_prefix(value):
    """A province (2 digits), city (4) or county (6) prefix of a known division code."""
    if not (value.isdigit() and len(value) in (2, 4, 6)):
        raise ValidationError(f"region prefix {value!r} must be 2, 4 or 6 digits")
    if not regions.is_known(value.ljust(6, "0")):
        raise ValidationError(f"region prefix {value} names no known division")


def check_industry(value):
    """A GB/T 4754-2017 code: a section letter, a division, group or class."""
    try:
        industries.parse_industry_code(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
