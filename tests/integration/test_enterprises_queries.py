"""Which enterprises: counts, pages of USCCs, search — and that they agree with "explain"."""
import json
import os
import random
import uuid
from datetime import date, timedelta

import psycopg2
import pytest

from services.enterprises.domain import today
from tests.stack import new_uscc, rpc, sql

REGIONS = ("110105", "110108", "320102", "320106", "330106", "440305", "440106", "510107")
INDUSTRIES = ("C39", "C34", "I65", "F52", "F51", "E48", "K702", "M73", "G54")
TAGS = ("出口", "数字经济", "外贸")
NAMES = ("智能装备有限公司", "专精特新科技有限公司", "软件服务有限公司", "精密制造股份有限公司")


def synthetic(rng, tag):
    """One random but plausible registration carrying ``tag``."""
    region = rng.choice(REGIONS)
    founded = None if rng.random() < 0.15 else date(1995, 1, 1) + timedelta(days=rng.randrange(30 * 365))
    awarded = today() - timedelta(days=rng.randrange(2000))
    tiers = [{"tier": kind, "certificate_no": f"{kind}-{rng.randrange(10 ** 9)}",
              "level": "national" if kind == "little_giant" else "province",
              "awarded_on": awarded.isoformat(), "expires_on": (awarded + timedelta(days=3 * 365)).isoformat()}
             for kind in ("tech_sme", "innovative_sme", "specialized_sme", "little_giant") if rng.random() < 0.25]
    body = {"uscc": new_uscc(region), "name": f"{rng.choice(['北京', '江苏', '浙江', '广东'])}{rng.choice(NAMES)}",
            "region_code": region, "industry_code": rng.choice(INDUSTRIES),
            "employees": rng.choice([0, 5, 19, 20, 150, 300, 999, 1000, 1500]),
            "revenue": rng.choice([0, 99.99, 300, 1999.99, 2000, 5000, 39999.99, 40000]),
            "total_assets": rng.choice([150, 5000, 90000]),
            "tags": [tag, f"{tag}-{rng.choice('abc')}"] + rng.sample(TAGS, rng.randrange(3)), "tiers": tiers}
    if rng.random() < 0.8:
        body["rd_expense"] = rng.choice([0, 10, 60, 300, 900])
    if founded:
        body["registered_on"] = founded.isoformat()
        body["figures_year"] = max(founded.year, today().year - 1)
    return body


@pytest.fixture(scope="module")
def seeded(enterprises_container):
    """60 synthetic enterprises sharing a fresh tag, imported in one batch."""
    tag = f"seed-{uuid.uuid4().hex[:8]}"
    rng = random.Random(20250615)
    bodies = [synthetic(rng, tag) for _ in range(60)]
    with rpc("enterprises") as proxy:
        report = proxy.import_enterprises("\n".join(json.dumps(b, ensure_ascii=False) for b in bodies), "jsonl")
    assert report["rejected"] == [] and report["stored"] == 60
    return tag, bodies


CRITERIA = [
    {},
    {"region_prefixes": ["11"]},
    {"region_prefixes": ["3201", "44"]},
    {"region_prefixes": ["440305"]},
    {"industry_codes": ["C"]},
    {"industry_codes": ["I65", "F52"]},
    {"industry_codes": ["K702"]},
    {"size_classes": ["small", "micro"]},
    {"size_classes": ["medium"]},
    {"size_classes": ["large"]},
    {"tiers": ["specialized_sme", "little_giant"]},
    {"tiers": ["tech_sme"]},
    {"employees_min": 20},
    {"employees_max": 300},
    {"employees_min": 20, "employees_max": 999},
    {"revenue_min": 300},
    {"revenue_max": 1999.99},
    {"rd_ratio_min": 0},
    {"rd_ratio_min": 0.03},
    {"rd_ratio_min": 0.1},
    {"registered_years_min": 3},
    {"registered_years_min": 10},
    {"region_prefixes": ["32", "33"], "industry_codes": ["C"], "size_classes": ["small", "micro"],
     "rd_ratio_min": 0.02},
    {"region_prefixes": ["11", "44"], "tiers": ["innovative_sme"], "employees_min": 5, "registered_years_min": 2},
]


def test_counts_and_uscc_pages_agree_with_explain_for_every_criterion(enterprises, seeded):
    tag, bodies = seeded
    scoped = {str(i): dict(criteria, tags=[tag]) for i, criteria in enumerate(CRITERIA)}
    scoped["own tag"] = {"tags": [f"{tag}-a"]}
    scoped["either own tag"] = {"tags": [f"{tag}-b", f"{tag}-a"], "size_classes": ["micro", "small"]}
    met = {key: set() for key in scoped}
    for body in bodies:
        for key in enterprises.matches(body["uscc"], scoped):
            met[key].add(body["uscc"])
    for key, criteria in scoped.items():
        assert enterprises.count_matching(criteria) == len(met[key]), criteria
        assert set(enterprises.matching_usccs(criteria, limit=10000)["usccs"]) == met[key], criteria
    sizes = [len(found) for found in met.values()]
    assert sum(0 < size < len(bodies) for size in sizes) >= len(scoped) - 3
    assert max(sizes) == len(bodies)


def test_explain_names_each_criterion_with_the_enterprises_value(enterprises, seeded):
    _, bodies = seeded
    body = bodies[0]
    answer = enterprises.explain(body["uscc"], {"region_prefixes": [body["region_code"][:2]],
                                                "employees_min": body["employees"] + 1})
    assert answer["matches"] is False
    assert answer["criteria"] == [
        {"criterion": "region_prefixes", "passed": True, "required": [body["region_code"][:2]],
         "actual": body["region_code"]},
        {"criterion": "employees_min", "passed": False, "required": body["employees"] + 1,
         "actual": body["employees"]}]


def test_matching_usccs_pages_through_every_match_in_uscc_order(enterprises, seeded):
    tag, bodies = seeded
    pages, after = [], None
    while True:
        page = enterprises.matching_usccs({"tags": [tag]}, after_uscc=after, limit=7)
        pages.append(page["usccs"])
        after = page["next_after"]
        if after is None:
            break
    listed = [uscc for page in pages for uscc in page]
    assert listed == sorted(body["uscc"] for body in bodies)
    assert all(len(page) == 7 for page in pages[:-1])


def test_counts_within_a_region_prefix_leave_the_rest_out(enterprises, seeded):
    tag, bodies = seeded
    in_jiangsu = [b for b in bodies if b["region_code"].startswith("32")]
    assert enterprises.count_matching({"tags": [tag]}, within="32") == len(in_jiangsu) > 0


def test_name_search_finds_a_chinese_substring_inside_longer_names(enterprises, seeded):
    tag, bodies = seeded
    expected = sorted(b["uscc"] for b in bodies if "专精特新" in b["name"])
    found = enterprises.search({"tag": tag, "name": "专精特新", "sort": "uscc"}, 100, 0)
    assert [item["uscc"] for item in found["items"]] == expected and found["total"] == len(expected) > 0
    assert all("contact" not in item for item in found["items"])


def test_name_search_is_served_by_the_trigram_index():
    """The database's ctype must let pg_trgm cut Chinese text into trigrams, or the index is useless."""
    assert sql("enterprises", "SELECT array_length(show_trgm('专精特新'), 1)") == [(5,)]
    conn = psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options="-c search_path=enterprises,public")
    try:
        with conn.cursor() as cur:   # 20 000 rows, planned, then rolled back
            cur.execute("INSERT INTO enterprise (uscc, name, region_code, province_code, industry_code, "
                        "figures_year, employees, revenue, size_class, size_rule) "
                        "SELECT 'PLAN' || lpad(n::text, 14, '0'), '某某' || n || '号贸易有限公司', '110105', "
                        "'110000', 'F51', 2024, 10, 100, 'micro', 'wholesale' FROM generate_series(1, 20000) n")
            cur.execute("SELECT gin_clean_pending_list('enterprise_name_trgm'::regclass)")
            cur.execute("ANALYZE enterprise")
            cur.execute("EXPLAIN SELECT uscc FROM enterprise e WHERE e.name ILIKE '%专精特新%'")
            plan = " ".join(row[0] for row in cur.fetchall())
    finally:
        conn.rollback()
        conn.close()
    assert "enterprise_name_trgm" in plan


def test_search_filters_sorts_and_pages(enterprises, seeded):
    tag, bodies = seeded
    pages = [enterprises.search({"tag": tag, "sort": "-revenue"}, 25, offset) for offset in (0, 25, 50)]
    items = [item for page in pages for item in page["items"]]
    assert [p["total"] for p in pages] == [60, 60, 60]
    assert sorted(item["uscc"] for item in items) == sorted(b["uscc"] for b in bodies)
    assert [item["revenue"] for item in items] == sorted((b["revenue"] for b in bodies), reverse=True)
    micro_in_11 = enterprises.search({"tag": tag, "region_prefix": "11", "size_class": "micro",
                                      "industry_code": "C"}, 100, 0)
    assert all(i["region_code"].startswith("11") and i["size_class"] == "micro" and i["industry_code"][0] == "C"
               for i in micro_in_11["items"])
    assert micro_in_11["total"] == len(micro_in_11["items"]) == enterprises.count_matching(
        {"tags": [tag], "region_prefixes": ["11"], "size_classes": ["micro"], "industry_codes": ["C"]})
    with_tier = enterprises.search({"tag": tag, "tier": "specialized_sme"}, 100, 0)
    assert all("specialized_sme" in item["active_tiers"] for item in with_tier["items"])
    assert with_tier["total"] == sum(1 for b in bodies if any(
        t["tier"] == "specialized_sme" and date.fromisoformat(t["expires_on"]) >= today() for t in b["tiers"])) > 0


def test_names_sort_in_pinyin_order(enterprises):
    tag = f"pinyin-{uuid.uuid4().hex[:8]}"
    names = ["重庆山城机械有限公司", "北京朝阳科技有限公司", "阿拉善绿色农业有限公司"]
    for name in names:
        enterprises.register({"uscc": new_uscc("110105"), "name": name, "region_code": "110105",
                              "industry_code": "C39", "employees": 10, "revenue": 100, "tags": [tag]})
    found = enterprises.search({"tag": tag}, 10, 0)
    assert [item["name"] for item in found["items"]] == ["阿拉善绿色农业有限公司", "北京朝阳科技有限公司",
                                                         "重庆山城机械有限公司"]


@pytest.mark.parametrize("on, founded_on_29_february_counts", [
    (date(2025, 2, 28), True),     # 民法典 第二百零二条: no 29 February in 2025, the month's last day
    (date(2025, 2, 27), False),
])
def test_sql_filter_gives_a_29_february_founding_its_full_year_on_28_february(enterprises, on,
                                                                               founded_on_29_february_counts):
    from services.enterprises import schemas, store
    tag = f"leap-{uuid.uuid4().hex[:8]}"
    leap, day_after = new_uscc("110105"), new_uscc("110105")
    for uscc, founded in ((leap, "2024-02-29"), (day_after, "2024-03-01")):
        enterprises.register({"uscc": uscc, "name": "北京闰日示例科技有限公司", "region_code": "110105",
                              "industry_code": "C39", "registered_on": founded, "figures_year": 2024,
                              "employees": 10, "revenue": 100, "tags": [tag]})
    where, params = store.predicate(schemas.Criteria().load({"registered_years_min": 1, "tags": [tag]}), on)
    found = {row[0] for row in sql("enterprises", f"SELECT e.uscc FROM enterprise e WHERE {where}", params)}
    assert found == ({leap} if founded_on_29_february_counts else set())
