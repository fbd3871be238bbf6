"""Agencies: national skeleton load, routing and Chinese search, over real RPC.

Starts the agencies service in this process against a scratch database
(``onenet_bench_agencies``) under its own RPC name, so it never answers a
running network's calls, and with the outbox relay off. Prints:

* the skeleton load (≈3,200 agencies) through the RPC, first and repeated;
* ``route`` latency beside the same-run baseline of ``get`` (one row by key);
* the query plans of routing and search (index scans, not sequential ones);
* search latency over 5,000 library entries, with the bigram index and with
  index scans switched off (the same-run baseline).
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import psycopg2  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402

from chassis import config as process_config, migrate  # noqa: E402
from services.agencies.service import AgenciesService  # noqa: E402

CALLS = 300


class BenchAgencies(AgenciesService):
    """The agencies service under another RPC name, without event consumers."""

    name = "agencies_bench"
    record_rating = None


def timed(call, times=CALLS):
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main():
    config = process_config.load(os.path.join(ROOT, "services/agencies/config.yml"))
    parts = urlsplit(config["DATABASE_URL"])
    dsn = urlunsplit(parts._replace(path="/onenet_bench_agencies"))
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS onenet_bench_agencies WITH (FORCE)")
    admin.cursor().execute("CREATE DATABASE onenet_bench_agencies")
    migrate.apply(dsn, "agencies", os.path.join(ROOT, "services/agencies/migrations"))
    config.update(DATABASE_URL=dsn, OUTBOX_RELAY="off")
    container = ServiceContainer(BenchAgencies, config)
    container.start()
    conn = psycopg2.connect(dsn, options="-c search_path=agencies,public")
    conn.autocommit = True
    try:
        with ServiceRpcProxy("agencies_bench", {"AMQP_URI": config["AMQP_URI"]}, timeout=60) as agencies:
            started = time.perf_counter()
            loaded = agencies.generate_skeleton()
            first = time.perf_counter() - started
            started = time.perf_counter()
            agencies.generate_skeleton()
            again = time.perf_counter() - started
            print(f"skeleton: {loaded['created']} agencies in {first:.2f} s through RPC; "
                  f"repeated (nothing new) {again:.2f} s")

            county = agencies.list_agencies({"level": "county", "region": "320102"}, 1, 0)["items"][0]
            get_median, get_p95 = timed(lambda: agencies.get(county["id"]))
            route_median, route_p95 = timed(lambda: agencies.route("320102", "international"))
            print(f"baseline get(agency_id): median {get_median:.2f} ms, p95 {get_p95:.2f} ms ({CALLS} calls)")
            print(f"route(320102, international): median {route_median:.2f} ms, p95 {route_p95:.2f} ms")
            with conn.cursor() as cur:
                cur.execute("ANALYZE")
                cur.execute("EXPLAIN SELECT * FROM agency WHERE region_prefix = ANY(%s) "
                            "AND (level <> 'station' OR park = %s)", (["", "32", "3201", "320102"], None))
                print("routing plan:\n  " + "\n  ".join(row[0] for row in cur.fetchall()))

                cur.execute("""
                    INSERT INTO search_entry (kind, ref_id, title, body, service_areas, region_code, visible)
                    SELECT 'faq', n, '关于第' || n || '号' || (CASE WHEN n % 250 = 0 THEN '专精特新' ELSE '普通' END)
                                || '中小企业政策问答',
                           repeat('企业经营管理与融资服务问答内容', 20), '{policy}', '320102', true
                    FROM generate_series(1, 5000) AS n""")
                cur.execute("ANALYZE search_entry")
                cur.execute("EXPLAIN SELECT * FROM search_entry WHERE visible AND grams @> bigrams('专精特新') "
                            "AND document ILIKE '%专精特新%'")
                print("search plan:\n  " + "\n  ".join(row[0] for row in cur.fetchall()))
            search_median, search_p95 = timed(lambda: agencies.search("专精特新"), 100)
            hits = agencies.search("专精特新")["total"]
            query = ("SELECT count(*) FROM search_entry WHERE visible AND grams @> bigrams('专精特新') "
                     "AND document ILIKE '%专精特新%'")
            with conn.cursor() as cur:
                with_index = timed(lambda: cur.execute(query), 50)[0]
                cur.execute("SET enable_bitmapscan = off; SET enable_indexscan = off")
                without_index = timed(lambda: cur.execute(query), 50)[0]
            print(f"search('专精特新') over 5,000 entries: {hits} hits; RPC median {search_median:.2f} ms, "
                  f"p95 {search_p95:.2f} ms; the SQL alone: median {with_index:.2f} ms with the bigram "
                  f"index, {without_index:.2f} ms without index scans (baseline)")
    finally:
        conn.close()
        container.stop()
        admin.cursor().execute("DROP DATABASE IF EXISTS onenet_bench_agencies WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    main()
