"""Benchmark of the SME database at provincial-roll-out scale (not a test).

    python bench/bench_enterprises.py [--rows 1000000] [--batch 50000]

Creates its own database and RabbitMQ vhost (``onenet_bench``), runs the
enterprises service in this process against them, and drops both at the end.
It loads synthetic enterprises spread over every county-level division in use,
through the service's bulk import (JSON lines → checks → COPY → INSERT … SELECT,
with one ``enterprise.registered`` outbox row each), then measures over RPC:

* import rate (rows/s);
* criteria count latency for typical policies' criteria (target ≤ 300 ms at 1M),
  beside a bare SQL ``COUNT(*)`` over the same predicate in the same run;
* paging through all matching USCCs (1000 a page), beside one bare SQL query
  fetching the same USCCs.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import psycopg2  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402
from stdnum.cn import uscc as uscc_standard  # noqa: E402

from chassis import config as process_config, migrate  # noqa: E402

from reference import regions

NAME = "onenet_bench"
SERVER = os.environ.get("ONENET_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{NAME}"
AMQP_URI = os.environ.get("ONENET_BENCH_AMQP", f"amqp://guest:guest@127.0.0.1:5672/{NAME}")

# Industry codes with rough weights of an SME population (manufacturing and trade lead).
INDUSTRIES = [("C39", 8), ("C34", 7), ("C35", 6), ("C38", 5), ("C33", 5), ("C26", 3), ("C13", 3), ("C18", 3),
              ("F51", 12), ("F52", 10), ("I65", 6), ("I64", 2), ("E48", 4), ("G54", 3), ("G592", 1),
              ("H62", 3), ("H61", 1), ("K702", 1), ("L72", 5), ("M73", 2), ("M75", 3), ("O80", 3),
              ("A01", 3), ("R88", 1), ("J69", 1)]
TAGS = ("出口", "外贸", "数字化转型", "高新技术企业", "链主配套", "跨境电商", "乡村振兴", "人工智能", "生物医药", "老字号")
WORDS = ("华创", "鑫源", "恒泰", "中科", "博远", "智联", "精工", "宏达", "安信", "明德", "永盛", "瑞丰", "天成", "汇通")
KINDS = {"C": "制造", "F": "商贸", "I": "信息技术", "E": "建设工程", "G": "物流", "H": "餐饮", "K": "物业管理",
         "L": "商务咨询", "M": "科技", "O": "家政服务", "A": "农业发展", "R": "文化传媒", "J": "商业保理"}
TIER_ODDS = (("tech_sme", 0.10), ("innovative_sme", 0.08), ("specialized_sme", 0.05), ("little_giant", 0.01))

TYPICAL_POLICIES = {
    "provincial R&D subsidy (Jiangsu manufacturing SMEs)": {
        "region_prefixes": ["32"], "industry_codes": ["C"], "size_classes": ["small", "micro"],
        "rd_ratio_min": 0.03, "registered_years_min": 2},
    "national 专精特新 support (tiers, nationwide)": {
        "tiers": ["specialized_sme", "little_giant"], "employees_min": 10},
    "city digital transformation (Suzhou, manufacturing, tagged)": {
        "region_prefixes": ["3205"], "industry_codes": ["C"], "tags": ["数字化转型", "链主配套"]},
    "nationwide broad (manufacturing medium and small)": {
        "industry_codes": ["C"], "size_classes": ["medium", "small"], "employees_min": 20, "revenue_min": 300},
}


def bare_predicate(criteria, today):
    """The same criteria, hand-written in SQL for the baseline."""
    sql, params = [], []
    if "region_prefixes" in criteria:
        sql.append("(" + " OR ".join("region_code LIKE %s" for _ in criteria["region_prefixes"]) + ")")
        params += [p + "%" for p in criteria["region_prefixes"]]
    if "industry_codes" in criteria:
        sql.append("(" + " OR ".join("industry_code LIKE %s" for _ in criteria["industry_codes"]) + ")")
        params += [c + "%" for c in criteria["industry_codes"]]
    if "size_classes" in criteria:
        sql.append("size_class = ANY(%s)")
        params.append(criteria["size_classes"])
    if "tiers" in criteria:
        sql.append("uscc IN (SELECT uscc FROM enterprise_tier WHERE tier = ANY(%s) "
                   "AND awarded_on <= %s AND expires_on >= %s)")
        params += [criteria["tiers"], today, today]
    if "employees_min" in criteria:
        sql.append("employees >= %s")
        params.append(criteria["employees_min"])
    if "revenue_min" in criteria:
        sql.append("revenue >= %s")
        params.append(criteria["revenue_min"])
    if "rd_ratio_min" in criteria:
        sql.append("rd_expense > 0 AND rd_expense >= %s * revenue")
        params.append(criteria["rd_ratio_min"])
    if "registered_years_min" in criteria:
        sql.append("registered_on <= %s")
        params.append(today.replace(year=today.year - criteria["registered_years_min"]))
    if "tags" in criteria:
        sql.append("tags && %s::text[]")
        params.append(criteria["tags"])
    return " AND ".join(sql) or "TRUE", params


def admin(statement):
    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def rabbitmqctl(*args, check=True):
    subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True)


def set_up():
    admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{NAME}"')
    rabbitmqctl("delete_vhost", NAME, check=False)
    rabbitmqctl("add_vhost", NAME)
    rabbitmqctl("set_permissions", "-p", NAME, "guest", ".*", ".*", ".*")
    migrate.apply(DATABASE_URL, "enterprises", os.path.join(ROOT, "services/enterprises/migrations"))


def tear_down():
    admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    rabbitmqctl("delete_vhost", NAME, check=False)


def counties():
    return [d.code for d in regions.active_divisions(regions.COUNTY)]


def synthetic_rows(count, seed=2025):
    """``count`` registrations as JSON lines, spread over every county in use."""
    rng = random.Random(seed)
    codes = counties()
    industries, weights = zip(*INDUSTRIES)
    today = date.today()
    for serial in range(count):
        region = rng.choice(codes)
        industry = rng.choices(industries, weights)[0]
        employees = int(rng.lognormvariate(3.2, 1.1))
        revenue = round(employees * rng.lognormvariate(3.6, 0.9), 2)
        founded = today - timedelta(days=rng.randrange(365, 30 * 365))
        body17 = f"91{region}{serial:09d}"
        row = {"uscc": body17 + uscc_standard.calc_check_digit(body17),
               "name": f"{rng.choice(WORDS)}{rng.choice(WORDS)}"
                       f"{'专精特新' if rng.random() < 0.02 else ''}{KINDS[industry[0]]}有限公司",
               "region_code": region, "industry_code": industry, "registered_on": founded.isoformat(),
               "figures_year": max(founded.year, today.year - 1), "employees": employees, "revenue": revenue,
               "total_assets": round(revenue * rng.uniform(0.5, 2.0), 2),
               "rd_expense": round(revenue * rng.uniform(0, 0.08), 2), "ip_class1_count": rng.randrange(6),
               "tags": rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2)))}
        tiers = []
        for tier, odds in TIER_ODDS:
            if rng.random() < odds:
                awarded = today - timedelta(days=rng.randrange(1, 5 * 365))
                tiers.append({"tier": tier, "certificate_no": f"{tier}-{serial}", "awarded_on": awarded.isoformat(),
                              "level": "national" if tier == "little_giant" else "province",
                              "expires_on": (awarded + timedelta(days=3 * 365)).isoformat()})
        if tiers:
            row["tiers"] = tiers
        yield json.dumps(row, ensure_ascii=False)


def load_enterprises(amqp_uri, rows, batch=50_000, parallel=2):
    """Register ``rows`` synthetic SMEs through the running enterprises service's bulk import,
    ``parallel`` batches at a time: ``(stored, seconds in import calls, seconds in all)``.

    The one loader of the benchmarks (the policy push benchmark loads its million this way).
    """
    stored, busy, lines = 0, 0.0, synthetic_rows(rows)
    batches = [batch] * (rows // batch) + ([rows % batch] if rows % batch else [])
    pool = eventlet.GreenPool(parallel)

    def send(content):
        with ServiceRpcProxy("enterprises", {"AMQP_URI": amqp_uri}, timeout=600) as client:
            return client.import_enterprises(content, "jsonl")

    started = time.perf_counter()
    for start in range(0, len(batches), parallel):
        wave = ["\n".join(next(lines) for _ in range(size)) for size in batches[start:start + parallel]]
        begun = time.perf_counter()
        for report in pool.imap(send, wave):
            assert not report["rejected"], report["rejected"][:3]
            stored += report["stored"]
        busy += time.perf_counter() - begun
    return stored, busy, time.perf_counter() - started


def timed(function, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = function()
        times.append((time.perf_counter() - started) * 1000)
    return answer, statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--parallel", type=int, default=2, help="import batches in flight at once")
    args = parser.parse_args()

    set_up()
    config = process_config.load(os.path.join(ROOT, "services/enterprises/config.yml"))
    config.update({"DATABASE_URL": DATABASE_URL, "AMQP_URI": AMQP_URI, "OUTBOX_RELAY": "off"})
    container = ServiceContainer(__import__("services.enterprises.service", fromlist=["x"]).EnterprisesService,
                                 config)
    container.start()
    sql = psycopg2.connect(DATABASE_URL, options="-c search_path=enterprises,public")
    sql.autocommit = True
    try:
        with ServiceRpcProxy("enterprises", {"AMQP_URI": AMQP_URI}, timeout=600) as enterprises:
            print(f"enterprises: {args.rows:,} synthetic SMEs over {len(counties()):,} counties, "
                  f"batches of {args.batch:,}")
            stored, busy, total = load_enterprises(AMQP_URI, args.rows, args.batch, args.parallel)
            print(f"  import: {stored:,} rows in {busy:.1f} s of import calls = {stored / busy:,.0f} rows/s "
                  f"({args.parallel} batches at a time; checks, COPY, INSERT … SELECT, outbox rows); "
                  f"{total - busy:.1f} s more to generate the JSON lines")
            with sql.cursor() as cur:
                cur.execute("VACUUM ANALYZE enterprises.enterprise")
                cur.execute("VACUUM ANALYZE enterprises.enterprise_tier")
                cur.execute("SELECT pg_size_pretty(pg_total_relation_size('enterprises.enterprise'))")
                print(f"  enterprise table with indexes: {cur.fetchone()[0]}")

            today = date.today()
            print(f"  criteria count, median / max of {args.runs} runs (target ≤ 300 ms at 1M):")
            for label, criteria in TYPICAL_POLICIES.items():
                count, median, worst = timed(lambda: enterprises.count_matching(criteria), args.runs)
                where, params = bare_predicate(criteria, today)
                with sql.cursor() as cur:
                    def bare():
                        cur.execute(f"SELECT count(*) FROM enterprises.enterprise WHERE {where}", params)
                        return cur.fetchone()[0]
                    baseline, base_median, base_worst = timed(bare, args.runs)
                assert baseline == count, (label, baseline, count)
                print(f"    {label}: {count:,} match — service {median:.0f} / {worst:.0f} ms, "
                      f"bare SQL COUNT(*) {base_median:.0f} / {base_worst:.0f} ms")

            criteria = TYPICAL_POLICIES["provincial R&D subsidy (Jiangsu manufacturing SMEs)"]
            started, after, pages, usccs = time.perf_counter(), None, 0, 0
            while True:
                page = enterprises.matching_usccs(criteria, after_uscc=after, limit=1000)
                pages, usccs, after = pages + 1, usccs + len(page["usccs"]), page["next_after"]
                if after is None:
                    break
            paged = time.perf_counter() - started
            where, params = bare_predicate(criteria, today)
            with sql.cursor() as cur:
                begun = time.perf_counter()
                cur.execute(f"SELECT uscc FROM enterprises.enterprise WHERE {where} ORDER BY uscc", params)
                bare_rows = len(cur.fetchall())
                bare_time = time.perf_counter() - begun
            assert bare_rows == usccs
            print(f"  page-through of all {usccs:,} matches of the Jiangsu policy: {pages} pages of 1000 in "
                  f"{paged * 1000:.0f} ms ({paged * 1000 / pages:.1f} ms a page); "
                  f"bare SQL, one query: {bare_time * 1000:.0f} ms")

            found, median, worst = timed(lambda: enterprises.search({"name": "专精特新", "region_prefix": "44"},
                                                                    20, 0), args.runs)
            print(f"  name search 专精特新 in Guangdong, first page: {found['total']:,} found — "
                  f"{median:.0f} / {worst:.0f} ms")
    finally:
        sql.close()
        container.stop()
        tear_down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
