"""The strategies of the document's own formats (tests/formats.py) make values the server takes."""
import json
import re

import pytest
from hypothesis import given, settings

from gateway import openapi
from reference import credit_codes, validators
from services.enterprises.schemas import check_profile_industry
from services.notifications.schemas import check_time_zone
from services.requests.schemas import check_period
from tests import formats

# Each format and the checks the server makes of it (the rules of gateway.openapi.RULES).
CHECKS = {
    "gb2260-division": [validators.check_division],
    "gb2260-region": [validators.check_known_region],
    "gb2260-province": [validators.check_province_or_nation],
    "gb2260-county": [validators.check_county],
    "region-prefix": [validators.check_region_prefix],
    "gb4754": [validators.check_industry],
    "period": [check_period],
    "uscc": [credit_codes.validate],
    "time-zone": [check_time_zone],
}
# Formats whose values the fuzz run takes from elsewhere: cursors are those the lists gave out.
OTHERWISE_MADE = {"cursor"}
STANDARD = {"date", "date-time", "time", "email", "uri", "uuid", "jsonl"}


def formats_in(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            formats_in(value, found)
    elif isinstance(node, list):
        for value in node:
            formats_in(value, found)
    return found


def test_every_format_of_the_document_is_standard_or_has_a_strategy():
    with open(openapi.DOCUMENT_PATH, encoding="utf-8") as handle:
        used = formats_in(json.load(handle), set())

    assert used - STANDARD - OTHERWISE_MADE == set(formats.FORMATS) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(formats.FORMATS))
def test_a_format_strategy_makes_values_the_server_takes_and_its_patterns_match(name):
    patterns = [re.compile(rule["pattern"]) for rule in openapi.RULES.values() if rule.get("format") == name]

    @given(formats.FORMATS[name]())
    @settings(max_examples=200, database=None, derandomize=True)
    def taken(value):
        for check in CHECKS[name]:
            check(value)
        assert any(pattern.search(value) for pattern in patterns), value

    taken()


def test_profile_industries_are_the_strategy_s_codes_of_a_division_or_deeper():
    @given(formats.industry_codes())
    @settings(max_examples=200, database=None, derandomize=True)
    def taken(code):
        if len(code) > 1:
            check_profile_industry(code)

    taken()
