"""Hypothesis strategies for the OpenAPI document's own formats, from the reference data.

The document states each rule the server checks in code as a pattern and a ``format`` of
its own (:data:`gateway.openapi.RULES`): a pattern says the shape, the format says which
values of that shape exist (a GB/T 2260 code in use, a USCC whose check character is
right). A property-based client that knows the formats generates values the server
accepts; :func:`register` teaches them to schemathesis.
"""
from hypothesis import strategies as st
from stdnum.cn import uscc as uscc_standard

from reference import industries, regions
from reference.size_rules import SPLIT_DIVISIONS
from reference.validators import NATIONWIDE

# The GB 32100 alphabet of a USCC's organisation part (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Kinds of body OneNet meets: enterprises, individual businesses, cooperatives, government
# bodies and public institutions (debtors).
USCC_KINDS = ("91", "92", "93", "11", "12")


def _divisions():
    return sorted(division.code for division in regions.active_divisions())


def _counties():
    return sorted(division.code for division in regions.county_level_divisions())


def division_codes():
    """``check_division``: a division in use, or 000000 for the whole country."""
    return st.sampled_from([NATIONWIDE] + _divisions())


def provinces_or_nation():
    """``check_province_or_nation``: a province's code, or 000000 for the whole country."""
    return st.sampled_from([NATIONWIDE] + sorted(d.code for d in regions.active_divisions(regions.PROVINCE)))


def known_regions():
    """``check_known_region``: a province, city or county code."""
    return st.sampled_from(_divisions())


def county_codes():
    """``check_county``: a county-level division in use."""
    return st.sampled_from(_counties())


def region_prefixes():
    """``check_region_prefix``: a province (2 digits), a city (4) or a county (6)."""
    return st.sampled_from(sorted({regions.prefix(code) for code in _divisions()}))


def industry_codes():
    """GB/T 4754-2017: a section, or a division with its group or class where the size rules need
    one (G59, K70), else sometimes one or two digits more."""
    sections = [section.code for section in industries.all_sections()]
    divisions = [division.code for section in sections for division in industries.divisions(section)]
    split = [division[0] + group for division in divisions if division[1:] in SPLIT_DIVISIONS
             for group in SPLIT_DIVISIONS[division[1:]]]
    plain = [division for division in divisions if division[1:] not in SPLIT_DIVISIONS]
    deeper = st.tuples(st.sampled_from(plain), st.text("0123456789", min_size=0, max_size=2)).map("".join)
    return st.one_of(st.sampled_from(sections), deeper, st.sampled_from(split))


def periods():
    """A year, a quarter or a month of the years the pattern allows."""
    years = st.integers(min_value=2000, max_value=2099).map(str)
    return st.one_of(years,
                     st.tuples(years, st.integers(1, 4)).map(lambda pair: f"{pair[0]}-Q{pair[1]}"),
                     st.tuples(years, st.integers(1, 12)).map(lambda pair: f"{pair[0]}-{pair[1]:02d}"))


def usccs():
    """A unified social credit code with its check character right, registered in a county."""
    organisation = st.text(USCC_ALPHABET, min_size=9, max_size=9)
    body = st.tuples(st.sampled_from(USCC_KINDS), county_codes(), organisation).map("".join)
    return body.map(lambda first17: first17 + uscc_standard.calc_check_digit(first17))


def time_zones():
    """A time zone of the IANA database, as this machine's holds it (the server reads the same)."""
    import zoneinfo
    return st.sampled_from(sorted(zoneinfo.available_timezones()))


FORMATS = {
    "gb2260-division": division_codes,
    "gb2260-region": known_regions,
    "gb2260-province": provinces_or_nation,
    "gb2260-county": county_codes,
    "region-prefix": region_prefixes,
    "gb4754": industry_codes,
    "period": periods,
    "uscc": usccs,
    "time-zone": time_zones,
}


def register():
    """Teach schemathesis every format of :data:`FORMATS` (once per process)."""
    import schemathesis
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy())
