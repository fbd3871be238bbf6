"""GB/T 4754-2017 industry sections and divisions."""

import pytest

from reference import industries
from reference.industries import Industry

SECTION_RANGES = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
    "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
    "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
    "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}


def test_the_standard_has_twenty_sections_in_order():
    sections = industries.all_sections()
    assert [s.code for s in sections] == list("ABCDEFGHIJKLMNOPQRST")
    assert all(s.is_section and s.section == s.code and s.division is None for s in sections)


@pytest.mark.parametrize("section, bounds", SECTION_RANGES.items())
def test_each_section_holds_its_range_of_divisions(section, bounds):
    low, high = bounds
    expected = [f"{section}{n:02d}" for n in range(low, high + 1)]
    assert [d.code for d in industries.divisions(section)] == expected


def test_the_standard_has_ninety_seven_divisions():
    total = [d for s in industries.all_sections() for d in industries.divisions(s.code)]
    assert len(total) == 97
    assert len({d.name for d in total}) == 97
    assert all(d.code[1:].isdigit() and len(d.code) == 3 and d.division == d.code[1:] for d in total)


def test_data_file_cites_the_standard():
    first_line = industries._DATA.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# GB/T 4754-2017 国民经济行业分类")


@pytest.mark.parametrize(
    "code, expected",
    [
        ("C39", Industry("C39", "计算机、通信和其他电子设备制造业", "C")),
        ("I65", Industry("I65", "软件和信息技术服务业", "I")),
        ("F52", Industry("F52", "零售业", "F")),
        ("A05", Industry("A05", "农、林、牧、渔专业及辅助性活动", "A")),
        ("C25", Industry("C25", "石油、煤炭及其他燃料加工业", "C")),
        ("R87", Industry("R87", "广播、电视、电影和录音制作业", "R")),
        ("T97", Industry("T97", "国际组织", "T")),
        ("C", Industry("C", "制造业", "C")),
        ("D", Industry("D", "电力、热力、燃气及水生产和供应业", "D")),
        ("K701", Industry("K701", "房地产业", "K")),
        ("K702", Industry("K702", "房地产业", "K")),
        ("G591", Industry("G591", "装卸搬运和仓储业", "G")),
        ("L7211", Industry("L7211", "商务服务业", "L")),
        (" c39 ", Industry("C39", "计算机、通信和其他电子设备制造业", "C")),
    ],
)
def test_a_code_parses_to_its_industry_at_any_depth(code, expected):
    assert industries.parse_industry_code(code) == expected
    assert industries.is_valid_industry_code(code)


@pytest.mark.parametrize(
    "code, message",
    [
        ("A39", "division 39 .* belongs to section C, not A"),
        ("C70", "belongs to section K, not C"),
        ("K591", "belongs to section G, not K"),
        ("U", "unknown industry section 'U'"),
        ("C98", "unknown industry division '98'"),
        ("C00", "unknown industry division '00'"),
        ("39", "not a GB/T 4754 code"),
        ("C3", "not a GB/T 4754 code"),
        ("C39012", "not a GB/T 4754 code"),
        ("C-39", "not a GB/T 4754 code"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_bad_codes_are_refused_with_the_reason(code, message):
    with pytest.raises(ValueError, match=message):
        industries.parse_industry_code(code)
    assert not industries.is_valid_industry_code(code)


@pytest.mark.parametrize(
    "code, section, division",
    [("C39", "C", "39"), ("C", "C", None), ("K701", "K", "70"), ("L7211", "L", "72"), ("A01", "A", "01")],
)
def test_section_and_division_are_read_from_a_code(code, section, division):
    assert industries.section_of(code) == section
    assert industries.division_of(code) == division


def test_section_and_division_of_reject_bad_codes():
    with pytest.raises(ValueError):
        industries.section_of("A39")
    with pytest.raises(ValueError):
        industries.division_of("Z")


def test_divisions_requires_a_section():
    with pytest.raises(ValueError, match="not a section"):
        industries.divisions("C39")
    with pytest.raises(ValueError):
        industries.divisions("U")
