"""SME size classes under 工信部联企业〔2011〕300号: every industry group, every boundary.

The thresholds below are typed from the reference table
(/work/shared/reference/sme-size-2011.md), not read from the code, so the
code's table is checked against the document. X employees, Y operating
revenue (万元), Z total assets (万元).
"""
import dataclasses
import json
from decimal import Decimal

import pytest

from reference import size_rules
from reference.size_rules import LARGE, MEDIUM, MICRO, SMALL

X, Y, Z = "employees", "revenue", "total_assets"

# row: (a code of the group, rule key, indicators, SME-below / large-from, medium-from, small-from)
REFERENCE = {
    1: ("A01", "agriculture", (Y,), (20000,), (500,), (50,)),
    2: ("C39", "industry", (X, Y), (1000, 40000), (300, 2000), (20, 300)),
    3: ("E48", "construction", (Y, Z), (80000, 80000), (6000, 5000), (300, 300)),
    4: ("F51", "wholesale", (X, Y), (200, 40000), (20, 5000), (5, 1000)),
    5: ("F52", "retail", (X, Y), (300, 20000), (50, 500), (10, 100)),
    6: ("G54", "transport", (X, Y), (1000, 30000), (300, 3000), (20, 200)),
    7: ("G592", "warehousing", (X, Y), (200, 30000), (100, 1000), (20, 100)),
    8: ("G60", "postal", (X, Y), (1000, 30000), (300, 2000), (20, 100)),
    9: ("H61", "accommodation", (X, Y), (300, 10000), (100, 2000), (10, 100)),
    10: ("H62", "catering", (X, Y), (300, 10000), (100, 2000), (10, 100)),
    11: ("I63", "information_transmission", (X, Y), (2000, 100000), (100, 1000), (10, 100)),
    12: ("I65", "software_it", (X, Y), (300, 10000), (100, 1000), (10, 50)),
    13: ("K701", "real_estate_development", (Y, Z), (200000, 10000), (1000, 5000), (100, 2000)),
    14: ("K702", "property_management", (X, Y), (1000, 5000), (300, 1000), (100, 500)),
    15: ("L72", "leasing_business_services", (X, Z), (300, 120000), (100, 8000), (10, 100)),
    16: ("M73", "other", (X,), (300,), (100,), (10,)),
}


def just_below(indicator, value):
    return value - 1 if indicator == X else Decimal(value) - Decimal("0.01")


def figures_at(indicators, values, **override):
    figures = dict(zip(indicators, values))
    figures.update(override)
    return figures


def boundary_cases():
    """(row, label, figures, expected class) at and just below every bound of every row."""
    for row, (code, _, indicators, large, medium, small) in REFERENCE.items():
        yield row, "at every large bound", figures_at(indicators, large), LARGE
        yield row, "at every medium bound", figures_at(indicators, medium), MEDIUM
        yield row, "at every small bound", figures_at(indicators, small), SMALL
        yield row, "nothing at all", figures_at(indicators, [0] * len(indicators)), MICRO
        for i, name in enumerate(indicators):
            yield (row, f"{name} just below the large bound", figures_at(
                indicators, large, **{name: just_below(name, large[i])}), MEDIUM)
            yield (row, f"{name} just below the medium bound (drops a class)", figures_at(
                indicators, medium, **{name: just_below(name, medium[i])}), SMALL)
            yield (row, f"{name} just below the small bound", figures_at(
                indicators, small, **{name: just_below(name, small[i])}), MICRO)
            yield (row, f"only {name} below the small bound, the rest large (micro needs one)",
                   figures_at(indicators, large, **{name: just_below(name, small[i])}), MICRO)


@pytest.mark.parametrize("row, label, figures, expected",
                         [pytest.param(*case, id=f"row{case[0]}-{case[1]}") for case in boundary_cases()])
def test_size_class_at_each_boundary_of_each_industry_group(row, label, figures, expected):
    code = REFERENCE[row][0]
    classification = size_rules.size_of(code, None, figures)
    assert classification.size_class == expected
    assert classification.applied.rule.row == row
    assert classification.size_rule == REFERENCE[row][1]


@pytest.mark.parametrize("row", REFERENCE)
def test_code_table_matches_the_reference_table(row):
    _, key, indicators, large, medium, small = REFERENCE[row]
    rule = size_rules.RULES[key]
    assert rule.row == row
    assert rule.indicators == indicators
    assert rule.sme_below == dict(zip(indicators, large))
    assert rule.medium_from == dict(zip(indicators, medium))
    assert rule.small_from == dict(zip(indicators, small))


def test_the_table_has_sixteen_rows():
    assert sorted(rule.row for rule in size_rules.RULES.values()) == list(range(1, 17))


def test_agriculture_sme_bound_is_twenty_thousand_not_the_misprinted_two_thousand():
    assert size_rules.size_of("A01", None, {Y: 19999}).size_class == MEDIUM
    assert size_rules.size_of("A01", None, {Y: 2000}).size_class == MEDIUM


def test_figures_the_row_does_not_read_are_ignored():
    assert size_rules.size_of("C39", None, {X: 40, Y: 1200, Z: 999999}).size_class == SMALL
    assert size_rules.size_of("M73", None, {X: 150, Y: 0}).size_class == MEDIUM


def test_a_missing_figure_the_row_reads_is_named():
    with pytest.raises(size_rules.MissingFigures) as caught:
        size_rules.size_of("E48", None, {X: 10, Y: 5000, Z: None})
    assert caught.value.fields == (Z,)


@pytest.mark.parametrize("code, rule, by_analogy", [
    ("A01", "agriculture", False), ("A05", "agriculture", False),
    ("B06", "industry", False), ("C13", "industry", False), ("C3911", "industry", False),
    ("D44", "industry", False), ("D46", "industry", False),
    ("E47", "construction", False), ("E50", "construction", False),
    ("F51", "wholesale", False), ("F52", "retail", False),
    ("G53", "other", True),                                   # railways: outside the table
    ("G54", "transport", False), ("G55", "transport", False), ("G56", "transport", False),
    ("G57", "transport", False), ("G58", "transport", False),
    ("G591", "transport", False), ("G5910", "transport", False),   # 装卸搬运 counts as transport
    ("G592", "warehousing", False), ("G593", "warehousing", False), ("G594", "warehousing", False),
    ("G595", "warehousing", False), ("G596", "warehousing", False), ("G599", "warehousing", False),
    ("G60", "postal", False),
    ("H61", "accommodation", False), ("H62", "catering", False),
    ("I63", "information_transmission", False), ("I64", "information_transmission", False),
    ("I65", "software_it", False),
    ("K701", "real_estate_development", False), ("K702", "property_management", False),
    ("K703", "other", False), ("K709", "other", False),
    ("K704", "other", True),                                  # 房地产租赁经营: outside the table
    ("L71", "leasing_business_services", False), ("L72", "leasing_business_services", False),
    ("M73", "other", False), ("M75", "other", False), ("N77", "other", False), ("O80", "other", False),
    ("O82", "other", False),
    ("P83", "other", True),                                   # education
    ("Q84", "other", True),                                   # health (卫生, 2017 numbering)
    ("Q85", "other", False),                                  # social work (社会工作) is listed
    ("R86", "other", False), ("R90", "other", False),
    ("S91", "other", True), ("S96", "other", True), ("T97", "other", True),
])
def test_each_industry_code_maps_to_its_row(code, rule, by_analogy):
    applied = size_rules.rule_for(code)
    assert (applied.rule.key, applied.by_analogy) == (rule, by_analogy)
    assert applied.size_rule == (f"{rule}:by_analogy" if by_analogy else rule)


@pytest.mark.parametrize("code", ["C", "G59", "K70", "K705", "G597"])
def test_codes_too_coarse_for_a_row_are_refused(code):
    with pytest.raises(size_rules.AmbiguousIndustry):
        size_rules.rule_for(code)


def test_individual_business_is_classified_by_analogy_with_its_industry_row():
    applied = size_rules.rule_for("F52", json.loads('"individual_business"'))   # as a request body names it
    assert applied.rule.key == "retail" and applied.by_analogy
    assert size_rules.size_of("F52", "individual_business", {X: 3, Y: 80}).size_rule == "retail:by_analogy"


FINANCIAL_REASON = ("not classified under 300号: financial firms (J 金融业) come under 金融业企业划型标准规定 "
                    "(银发〔2015〕309号), whose total-assets thresholds depend on the kind of financial "
                    "institution, which an industry code does not give; OneNet does not classify them")


@pytest.mark.parametrize("code", ["J66", "J67", "J68", "J69", "J6930"])
def test_financial_firms_are_not_classified_under_300_and_say_why(code):
    """银发〔2015〕309号, not 300号, classifies 金融业; OneNet gives no class rather than a guess."""
    with pytest.raises(size_rules.NotClassified) as raised:
        size_rules.rule_for(code)
    assert (raised.value.size_rule, raised.value.reason) == ("financial:not_classified", FINANCIAL_REASON)
    classification = size_rules.size_of(code, None, {X: 30, Y: 2900, Z: 38000})
    assert (classification.size_class, classification.size_rule, classification.reason) == (
        None, "financial:not_classified", FINANCIAL_REASON)
    assert size_rules.required_figures(code) == ()


def test_describe_says_why_a_financial_firm_has_no_row():
    assert size_rules.describe("financial:not_classified") == {
        "rule": "financial", "row": None, "name": "金融业", "by_analogy": False, "indicators": [],
        "reason": FINANCIAL_REASON}


def test_describe_names_the_row():
    assert size_rules.describe("other:by_analogy") == {
        "rule": "other", "row": 16, "name": "其他未列明行业", "by_analogy": True, "indicators": ["employees"],
        "reason": None}
    assert size_rules.describe("industry") == {
        "rule": "industry", "row": 2, "name": "工业", "by_analogy": False, "indicators": ["employees", "revenue"],
        "reason": None}


def test_rows_and_classifications_cannot_be_altered_by_their_users():
    """``rule_for`` hands the same cached objects to every caller: none may change them."""
    classification = size_rules.size_of("C39", None, {X: 40, Y: 1200})
    for thing, field in ((classification, "size_class"), (classification.applied, "by_analogy"),
                         (classification.applied.rule, "row")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(thing, field, None)
