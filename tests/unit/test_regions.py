"""GB/T 2260 region codes read from python-stdnum's loc.dat."""


import pytest

from reference import regions
from reference.regions import Division


@pytest.mark.parametrize(
    "code, name, level, valid_from, valid_to, active",
    [
        ("110000", "北京市", "province", None, None, True),
        ("110100", "市辖区", "city", None, None, True),
        ("110105", "朝阳区", "county", None, None, True),
        ("110103", "崇文区", "county", None, 2010, False),
        ("110111", "房山区", "county", 1986, None, True),
        ("320000", "江苏省", "province", None, None, True),
        ("320100", "南京市", "city", None, None, True),
        ("320102", "玄武区", "county", 1983, None, True),
        ("429000", "省直辖县级行政单位", "city", 1986, None, True),
        ("429004", "仙桃市", "county", 1994, None, True),
        ("460000", "海南省", "province", 1988, None, True),
        ("810000", "香港特别行政区", "province", 1997, None, True),
    ],
)
def test_a_code_names_its_division_level_and_years_in_use(code, name, level, valid_from, valid_to, active):
    division = regions.lookup(code)
    assert division == Division(code, name, level, valid_from, valid_to)
    assert division.active is active
    assert regions.is_known(code)
    assert regions.is_active(code) is active


def test_renamed_code_keeps_its_history():
    division = regions.lookup("130502")
    assert (division.name, division.valid_from, division.valid_to) == ("襄都区", 1983, None)
    assert [span.name for span in division.history] == ["桥东区", "襄都区"]
    assert division.history[0].valid_to == 2019
    assert division.valid_in(2010) and division.valid_in(2024)


def test_code_reused_after_a_gap():
    division = regions.lookup("419001")  # 义马市 1986-1989, 济源市 since 1997
    assert division.name == "济源市"
    assert division.valid_in(1987)
    assert not division.valid_in(1993)
    assert division.valid_in(2020)


@pytest.mark.parametrize("code, year, expected", [("110103", 2010, True), ("110103", 2011, False), ("110111", 1985, False)])
def test_a_code_is_valid_only_in_the_years_it_was_in_use(code, year, expected):
    assert regions.lookup(code).valid_in(year) is expected


@pytest.mark.parametrize("code", ["999999", "110199", "12345", "1101055", "abcdef", "", None])
def test_unknown_or_malformed_codes_are_not_found(code):
    assert regions.lookup(code) is None
    assert not regions.is_known(code)
    assert not regions.is_active(code)


def test_lookup_ignores_surrounding_blanks():
    assert regions.lookup(" 110105 ").name == "朝阳区"


@pytest.mark.parametrize(
    "code, level, province, city, prefix",
    [
        ("110000", "province", "110000", None, "11"),
        ("110100", "city", "110000", "110100", "1101"),
        ("110105", "county", "110000", "110100", "110105"),
        ("320000", "province", "320000", None, "32"),
        ("320100", "city", "320000", "320100", "3201"),
        ("320102", "county", "320000", "320100", "320102"),
        ("429004", "county", "420000", "429000", "429004"),
        ("441900", "city", "440000", "441900", "4419"),
    ],
)
def test_a_code_knows_its_level_province_city_and_prefix(code, level, province, city, prefix):
    assert regions.level_of(code) == level
    assert regions.province_of(code) == province
    assert regions.city_of(code) == city
    assert regions.prefix(code) == prefix


def test_city_of_returns_none_when_the_data_has_no_city_entry():
    # 11 99 xx was never issued, so no city-level entry exists above it.
    assert regions.city_of("119901") is None


@pytest.mark.parametrize("function", [regions.level_of, regions.province_of, regions.city_of, regions.prefix])
def test_hierarchy_rejects_malformed_codes(function):
    with pytest.raises(ValueError, match="not a 6-digit"):
        function("1101")


@pytest.mark.parametrize(
    "code, names",
    [
        ("110105", ["北京市", "市辖区", "朝阳区"]),
        ("110103", ["北京市", "市辖区", "崇文区"]),
        ("320102", ["江苏省", "南京市", "玄武区"]),
        ("320100", ["江苏省", "南京市"]),
        ("320000", ["江苏省"]),
        ("429004", ["湖北省", "省直辖县级行政单位", "仙桃市"]),
        ("999999", []),
    ],
)
def test_chain_lists_the_divisions_from_the_province_down(code, names):
    assert [division.name for division in regions.chain(code)] == names


def test_prefix_matches_descendants():
    county = "320102"
    assert county.startswith(regions.prefix("320000"))
    assert county.startswith(regions.prefix("320100"))
    assert not county.startswith(regions.prefix("320200"))


def test_active_divisions_are_listed_by_level_in_code_order():
    provinces = list(regions.active_divisions("province"))
    assert len(provinces) == 34  # 31 mainland + 台湾, 香港, 澳门
    assert [d.code for d in provinces][:2] == ["110000", "120000"]
    cities = {d.code for d in regions.active_divisions("city")}
    assert {"110100", "320100", "429000", "441900"} <= cities
    counties = list(regions.active_divisions("county"))
    codes = [d.code for d in counties]
    assert codes == sorted(codes)
    assert "110105" in codes and "110103" not in codes
    assert all(d.active and d.level == "county" and not d.is_summary for d in counties)
    assert len(counties) == 2847


def test_active_divisions_skip_summary_codes():
    assert regions.lookup("420101").is_summary
    assert "420101" not in {d.code for d in regions.active_divisions()}


def test_active_divisions_all_levels_in_code_order():
    codes = [d.code for d in regions.active_divisions()]
    assert codes == sorted(codes)
    assert {d.level for d in regions.active_divisions()} == {"province", "city", "county"}


def test_active_divisions_rejects_unknown_level():
    with pytest.raises(ValueError, match="unknown region level"):
        next(regions.active_divisions("town"))


@pytest.mark.parametrize("code", ["110105", "320102", "429004", "441900", " 110101"])
def test_active_counties_are_accepted(code):
    assert regions.validate_county(code).code == code.strip()


@pytest.mark.parametrize(
    "code, allow_retired, message",
    [
        ("999999", False, "unknown region code 999999"),
        ("110103", False, "region code 110103 was retired in 2010"),
        ("110000", False, "110000 is a province, a county-level code is required"),
        ("320100", False, "320100 is a city, a county-level code is required"),
        ("110100", False, "110100 is a city, a county-level code is required"),
        ("420101", False, "420101 is a summary code"),
        ("11010", False, "not a 6-digit"),
        ("", False, "not a 6-digit"),
    ],
)
def test_codes_that_are_no_active_county_are_refused_with_the_reason(code, allow_retired, message):
    with pytest.raises(ValueError, match=message):
        regions.validate_county(code, allow_retired=allow_retired)


def test_a_retired_county_is_accepted_where_history_is_allowed():
    assert regions.validate_county("110103", allow_retired=True).name == "崇文区"


def test_division_is_frozen():
    division = regions.lookup("110105")
    with pytest.raises(AttributeError):
        division.name = "x"


# -- corrections over the upstream data (民政部 annual code lists) ---------------------------

@pytest.mark.parametrize("code, name, valid_to, successor, successor_name", [
    ("429001", "随州市", 1999, "421300", "随州市"),
    ("422900", "林区", 1983, "429021", "神农架林区"),
    ("422921", "神农架林区", 1983, "429021", "神农架林区"),
])
def test_replaced_codes_the_library_shows_active_are_retired_with_their_successor(
        code, name, valid_to, successor, successor_name):
    division = regions.lookup(code)
    assert (division.name, division.valid_to, division.successor, division.active) == (
        name, valid_to, successor, False)
    assert regions.lookup(successor).name == successor_name and regions.is_active(successor)


def test_every_correction_still_changes_the_library_data_and_names_its_source():
    for correction in regions.CORRECTIONS:
        assert regions.upstream(correction.code).active, f"{correction.code} is fixed upstream: drop the line"
        assert correction.source.startswith("民政部 县级以上行政区划代码")


@pytest.mark.parametrize("code, message", [
    ("429001", "region code 429001 was retired in 1999; it is now 421300"),
    ("422921", "region code 422921 was retired in 1983; it is now 429021"),
])
def test_registration_refuses_a_replaced_code_and_names_its_successor(code, message):
    with pytest.raises(ValueError) as raised:
        regions.validate_county(code)
    assert str(raised.value) == message


def test_replaced_codes_are_not_divisions_in_use():
    in_use = {division.code for division in regions.active_divisions()}
    assert not in_use & {"429001", "422900", "422921"}
    assert {"421300", "429021"} <= in_use
    assert sum(1 for _ in regions.active_divisions("county")) == 2847
