"""Control characters in input are refused with the field they were in."""
import re

import pytest

from chassis.text import TEXT_PATTERN, control_character_problems


@pytest.mark.parametrize("value, problems", [
    ({"title": "专精特新\x00"}, {"title"}),
    ({"contact": {"phone": "010\x07"}}, {"contact.phone"}),
    ({"tiers": [{"no": "ok"}, {"no": "\x1b[31m"}]}, {"tiers.1.no"}),
    ({"name": "bad\x7f", "note": "\x85"}, {"name", "note"}),
    ({"bad\x00key": 1}, {"bad\x00key"}),
    ("\x00", {"value"}),
    ({"description": "第一行\n第二行\r\n\t缩进", "count": 3, "flag": None}, set()),
    ({"emoji": "🙂", "wide": "\u3000全角"}, set()),
])
def test_control_characters_are_found_where_they_are(value, problems):
    assert set(control_character_problems(value)) == problems


@pytest.mark.parametrize("text, allowed", [("正常文本\n第二行\t", True), ("a\x00b", False), ("\x1f", False),
                                           ("\x7f", False), ("\x9f", False), ("\xa0", True)])
def test_the_documented_pattern_says_the_same(text, allowed):
    assert bool(re.match(TEXT_PATTERN, text)) is allowed
    assert (not control_character_problems(text)) is allowed
