"""The enterprises service alone, on the real broker and database: profiles, events, import."""
import itertools
import json
import random
from datetime import timedelta

import pytest

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.enterprises.domain import today
from tests.stack import events_of_type, new_uscc, outbox_payloads, race_in_processes, registration, sql

_serial = itertools.count(random.randrange(10 ** 8))


def tier(kind="specialized_sme", awarded=None, expires=None, level="province", no=None):
    awarded = awarded or today() - timedelta(days=30)
    expires = expires or awarded + timedelta(days=3 * 365)
    return {"tier": kind, "certificate_no": no or f"{kind}-{next(_serial)}", "level": level,
            "awarded_on": awarded.isoformat(), "expires_on": expires.isoformat()}


# -- one file per enterprise ---------------------------------------------------------------

def test_registered_enterprise_reads_back_with_computed_size_class_tiers_and_history(enterprises):
    uscc = new_uscc()
    created = enterprises.register(registration(
        uscc, registered_on="2018-03-01", legal_form="limited_liability", park="中关村科技园",
        total_assets=900, rd_expense=80, ip_class1_count=3, figures_year=2024, tags=["出口", "出口 "],
        contact={"person": "张伟", "phone": "010-65001234"}, tiers=[tier()]))
    profile = enterprises.get(uscc.lower())
    assert profile == created
    assert (profile["size_class"], profile["size_rule"]) == ("small", "industry")
    assert (profile["province_code"], profile["city_code"]) == ("110000", "110100")
    assert profile["tags"] == ["出口"] and profile["active_tiers"] == ["specialized_sme"]
    assert profile["figures"] == [{"year": 2024, "employees": 40, "revenue": 1200.0, "total_assets": 900.0,
                                   "rd_expense": 80.0, "ip_class1_count": 3}]
    assert profile["contact"]["person"] == "张伟"
    assert outbox_payloads("enterprises", "enterprise.registered", uscc)[0] == {
        "uscc": uscc, "name": "北京示例科技有限公司", "region_code": "110105", "industry_code": "C39",
        "province_code": "110000", "city_code": "110100", "size_class": "small", "park": "中关村科技园",
        "active_tiers": ["specialized_sme"], "tags": ["出口"]}


def test_duplicate_uscc_is_a_conflict_and_stores_nothing_more(enterprises):
    uscc = new_uscc()
    enterprises.register(registration(uscc))
    with pytest.raises(Conflict) as caught:
        enterprises.register(registration(uscc, name="另一家公司"))
    assert "uscc" in caught.value.details
    assert enterprises.get(uscc)["name"] == "北京示例科技有限公司"
    assert len(outbox_payloads("enterprises", "enterprise.registered", uscc)) == 1


@pytest.mark.parametrize("change, field", [
    ({"region_code": "110103"}, "region_code"),      # retired
    ({"industry_code": "Q99"}, "industry_code"),
    ({"revenue": -1}, "revenue"),
    ({"industry_code": "E48"}, "total_assets"),      # construction's rule reads total assets
    ({"tiers": [{"tier": "tech_sme", "level": "province", "awarded_on": "2024-01-01",
                 "expires_on": "2025-01-01"}]}, "tiers"),
])
def test_invalid_registration_names_the_field_and_stores_nothing(enterprises, change, field):
    uscc = new_uscc()
    with pytest.raises(ValidationFailed) as caught:
        enterprises.register(registration(uscc, **change))
    assert field in caught.value.details
    with pytest.raises(NotFound):
        enterprises.get(uscc)
    assert sql("enterprises", "SELECT count(*) FROM enterprise_figures WHERE uscc = %s", (uscc,)) == [(0,)]


def test_figures_crossing_the_medium_bound_move_the_size_class_and_announce_it(enterprises):
    uscc = new_uscc()
    enterprises.register(registration(uscc, figures_year=2023))
    updated = enterprises.update(uscc, {"figures_year": 2024, "employees": 320, "revenue": 2500})
    assert (updated["size_class"], updated["figures_year"]) == ("medium", 2024)
    assert [f["year"] for f in updated["figures"]] == [2023, 2024]
    assert outbox_payloads("enterprises", "enterprise.size_class_changed", uscc) == [{
        "uscc": uscc, "region_code": "110105", "from": "small", "to": "medium", "size_rule": "industry",
        "figures_year": 2024}]
    assert outbox_payloads("enterprises", "enterprise.updated", uscc)[0]["changed"] == ["figures"]
    # on a date, the last completed year's figures (上一年度) classify the enterprise
    assert enterprises.size_class_as_of(uscc, "2024-05-01")["size_class"] == "small"
    assert enterprises.size_class_as_of(uscc, "2025-03-01")["size_class"] == "medium"
    assert enterprises.size_class_as_of(uscc, "2023-12-31")["reason"] == (
        "no figures on file for 2022, the year (上一年度) whose figures classify the enterprise on 2023-12-31")


def test_a_change_that_changes_nothing_is_refused_and_announces_nothing(enterprises):
    uscc = new_uscc()
    enterprises.register(registration(uscc, tags=["出口"]))
    with pytest.raises(ValidationFailed) as refused:
        enterprises.update(uscc, {"tags": ["出口"], "employees": 40})
    assert refused.value.details == {"tags": ["unchanged"], "employees": ["unchanged"]}
    assert outbox_payloads("enterprises", "enterprise.updated", uscc) == []
    assert enterprises.history(uscc)["total"] == 0


def test_editing_tiers_announces_the_change(enterprises):
    uscc = new_uscc()
    enterprises.register(registration(uscc, tiers=[tier("tech_sme")]))
    updated = enterprises.update(uscc, {"tiers": [tier("tech_sme"), tier("innovative_sme")]})
    assert updated["active_tiers"] == ["innovative_sme", "tech_sme"]
    [event] = outbox_payloads("enterprises", "enterprise.tier_changed", uscc)
    assert (event["reason"], event["added"], event["removed"]) == ("edited", ["innovative_sme"], [])


def test_an_expired_tier_stops_counting_and_its_expiry_is_announced_once(enterprises):
    uscc = new_uscc()
    enterprises.register(registration(uscc, tiers=[tier("innovative_sme")]))
    assert enterprises.count_matching({"tiers": ["innovative_sme"], "region_prefixes": ["110105"],
                                       "employees_min": 40, "employees_max": 40}) >= 1
    sql("enterprises", "UPDATE enterprise_tier SET expires_on = %s WHERE uscc = %s", (today() - timedelta(days=1), uscc))

    assert enterprises.get(uscc)["active_tiers"] == []
    assert enterprises.explain(uscc, {"tiers": ["innovative_sme"]})["matches"] is False
    assert enterprises.announce_expired_tiers() >= 1
    enterprises.announce_expired_tiers()
    assert outbox_payloads("enterprises", "enterprise.tier_changed", uscc) == [{
        "uscc": uscc, "region_code": "110105", "reason": "expired", "active_tiers_before": ["innovative_sme"],
        "active_tiers": [], "added": [], "removed": ["innovative_sme"], "decided_by": "system"}]


def test_tier_expiry_racing_in_two_processes_announces_each_expiry_once(enterprises):
    """Two replicas of the enterprises service, each its own OS process, announce at the same moment."""
    usccs = [new_uscc() for _ in range(6)]
    for uscc in usccs:
        enterprises.register(registration(uscc, tiers=[tier("innovative_sme")]))
    sql("enterprises", "UPDATE enterprise_tier SET expires_on = %s WHERE uscc = ANY(%s)",
        (today() - timedelta(days=1), usccs))
    announced_before = events_of_type("enterprises", "enterprise.tier_changed")

    results = race_in_processes("services/enterprises/config.yml", "announce_expired_tiers", TIER_SWEEP_INTERVAL=0)

    assert len(results) == 2
    assert sum(results) == events_of_type("enterprises", "enterprise.tier_changed") - announced_before
    for uscc in usccs:
        assert [(event["reason"], event["removed"]) for event in outbox_payloads(
            "enterprises", "enterprise.tier_changed", uscc)] == [("expired", ["innovative_sme"])]


def test_a_change_outside_the_callers_region_answers_like_a_missing_enterprise(enterprises):
    uscc = new_uscc("110105")
    enterprises.register(registration(uscc))
    with pytest.raises(NotFound) as outside:
        enterprises.update(uscc, {"employees": 41}, within="32")
    with pytest.raises(NotFound) as missing:
        enterprises.update(new_uscc("110105"), {"employees": 41}, within="32")
    assert (outside.value.message.replace(uscc, "?"), outside.value.details) == (
        missing.value.message.replace(missing.value.details["uscc"], "?"), {"uscc": uscc})
    with pytest.raises(Forbidden):
        enterprises.update(uscc, {"region_code": "120101"}, within="11")
    assert enterprises.update(uscc, {"region_code": "110108"}, within="11")["region_code"] == "110108"


def test_portrait_is_the_computed_view(enterprises):
    uscc = new_uscc("320102")
    enterprises.register(registration(uscc, name="南京专精特新精密仪器有限公司", industry_code="C40",
                                      registered_on="2015-06-01", figures_year=2023, employees=150,
                                      revenue=12000, rd_expense=600, tiers=[tier("little_giant", level="national")]))
    enterprises.update(uscc, {"figures_year": 2024, "employees": 160, "revenue": 15000, "rd_expense": 900})
    portrait = enterprises.portrait(uscc)
    assert portrait["size_class"] == "small"   # 160 employees < 300: drops from medium
    assert portrait["size_rule"]["name"] == "工业"
    assert [t["tier"] for t in portrait["active_tiers"]] == ["little_giant"]
    assert [r["name"] for r in portrait["region"]] == ["江苏省", "南京市", "玄武区"]
    assert [(y["year"], y["rd_ratio"], y["revenue_growth"]) for y in portrait["figures_trend"]] == [
        (2023, 0.05, None), (2024, 0.06, 0.25)]


def test_matches_answers_which_criteria_an_enterprise_meets(enterprises):
    uscc = new_uscc("440305")
    enterprises.register(registration(uscc, industry_code="I65", employees=30, revenue=800))
    found = enterprises.matches(uscc, {"7": {"region_prefixes": ["44"]}, "8": {"industry_codes": ["C"]},
                                       "9": {}})
    assert sorted(found) == ["7", "9"]
    with pytest.raises(ValidationFailed) as caught:
        enterprises.matches(uscc, {"7": {"tiers": ["unicorn"]}})
    assert "7" in caught.value.details


def test_matches_each_judges_several_enterprises_in_one_call_and_leaves_out_an_unknown_one(enterprises):
    software, factory, unknown = new_uscc("440305"), new_uscc("440305"), new_uscc("440305")
    enterprises.register(registration(software, industry_code="I65", employees=30, revenue=800))
    enterprises.register(registration(factory, industry_code="C39", employees=30, revenue=800))
    found = enterprises.matches_each([software, factory, unknown],
                                     {"7": {"region_prefixes": ["44"]}, "8": {"industry_codes": ["C"]}})
    assert {uscc: sorted(ids) for uscc, ids in found.items()} == {software: ["7"], factory: ["7", "8"]}


# -- bulk import ------------------------------------------------------------------------------

def test_import_stores_good_rows_reports_each_bad_row_and_announces_each_stored_one(enterprises):
    taken = new_uscc("320106")
    enterprises.register(registration(taken))
    good = [new_uscc("320106") for _ in range(3)]
    lines = [json.dumps(registration(good[0], name="江苏一号"), ensure_ascii=False),
             json.dumps(registration(good[1], name="江苏二号", tiers=[tier()]), ensure_ascii=False),
             json.dumps(registration(new_uscc("320106"), revenue="lots"), ensure_ascii=False),
             json.dumps(registration(taken), ensure_ascii=False),
             json.dumps(registration(good[2], name="江苏三号", industry_code="E48", total_assets=500),
                        ensure_ascii=False),
             json.dumps(registration(new_uscc("110105")), ensure_ascii=False)]
    report = enterprises.import_enterprises("\n".join(lines), "jsonl", within="32")
    assert (report["received"], report["stored"]) == (6, 3)
    assert [(r["line"], list(r["errors"])) for r in report["rejected"]] == [
        (3, ["revenue"]), (4, ["uscc"]), (6, ["region_code"])]
    assert enterprises.get(good[1])["active_tiers"] == ["specialized_sme"]
    assert enterprises.get(good[2])["size_rule"] == "construction"
    assert [len(outbox_payloads("enterprises", "enterprise.registered", u)) for u in good] == [1, 1, 1]
    assert sql("enterprises", "SELECT count(*) FROM enterprise_figures WHERE uscc = ANY(%s)", (good,)) == [(3,)]


def test_csv_import_reads_the_header_and_reports_lines(enterprises):
    rows = [new_uscc("330106") for _ in range(2)]
    content = ("uscc,name,region_code,industry_code,employees,revenue,registered_on,tags\n"
               f"{rows[0]},杭州一号科技有限公司,330106,I65,12,300,2021-04-01,数字经济;出口\n"
               f"{rows[1]},杭州二号科技有限公司,330106,I65,12,300,someday,\n")
    report = enterprises.import_enterprises(content, "csv")
    assert report["stored"] == 1
    assert report["rejected"] == [{"line": 3, "uscc": rows[1], "errors": {"registered_on": ["Not a valid date: expected YYYY-MM-DD, e.g. 2026-03-31."]}}]
    assert enterprises.get(rows[0])["tags"] == ["出口", "数字经济"]


def test_import_with_a_bad_header_stores_nothing(enterprises):
    with pytest.raises(ValidationFailed) as caught:
        enterprises.import_enterprises("uscc,name,colour\n", "csv")
    assert "content" in caught.value.details
