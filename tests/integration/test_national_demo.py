"""The national demo at its small scale, loaded as `make run` loads it: every agency level, every
size class and tier, policies at every level and in every state, requests in every state with
overdue and escalated ones, and the bulk SMEs in their consumers' read models without events.

Runs in a database and RabbitMQ vhost of its own, with every owning service in this process,
so the demo's nationwide policies and requests reach no other test's data.
"""
import shutil
import subprocess
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from nameko.containers import ServiceContainer

from chassis import config as process_config, events, migrate
from chassis.serve import service_class
from infra import demo, network, provinces
from infra.demo_data import bulk, national

SERVICES = ("agencies", "enterprises", "requests", "notifications", "activities")


@pytest.fixture(scope="module")
def demo_network(prepared_stack):
    """``(query, what was loaded)`` after loading the small demo into a network of its own;
    ``query(sql)`` answers rows from its database (over one connection: the shared server has
    few to spare)."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    configs = {name: process_config.load(f"services/{name}/config.yml") for name in SERVICES}
    database, amqp = urlsplit(prepared_stack["DATABASE_URL"]), urlsplit(prepared_stack["AMQP_URI"])
    name = database.path.lstrip("/") + "_national_demo"
    database_url = urlunsplit(database._replace(path=f"/{name}"))
    amqp_uri = urlunsplit(amqp._replace(path=f"/{name}"))
    admin = psycopg2.connect(urlunsplit(database._replace(path="/postgres")))
    admin.autocommit = True

    def drop():
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        subprocess.run([rabbitmqctl, "-q", "delete_vhost", name], capture_output=True)

    drop()
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    subprocess.run([rabbitmqctl, "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "set_permissions", "-p", name, amqp.username or "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    for service, config in configs.items():
        migrate.apply(database_url, config["DB_SCHEMA"], f"services/{service}/migrations")
    conn = psycopg2.connect(database_url)
    conn.autocommit = True

    def query(statement, params=None):
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    provinces.declare_topology(amqp_uri)
    classes = [service_class(network.load_config(process)["SERVICE"]) for process in network.PROCESSES]
    events.declare_topology(amqp_uri, classes, events.retry_delays(configs["agencies"]))
    containers = []
    try:
        for service, config in configs.items():
            container = ServiceContainer(service_class(config["SERVICE"]),
                                         {**config, "DATABASE_URL": database_url, "AMQP_URI": amqp_uri,
                                          "CLOCK_CONTROL": "on", "DB_POOL_SIZE": 3, "max_workers": 4})
            container.start()
            containers.append(container)
        loaded = demo.load(amqp_uri, database_url, "small", parallel=4, progress=False, report=lambda line: None)
        loaded["SMEs (bulk) again"] = bulk.load_enterprises(
            database_url, demo.schemas(), national.enterprises(national.SCALES["small"], date.today()), date.today())
        yield query, loaded
    finally:
        for container in containers:
            container.stop()
        conn.close()
        drop()
        admin.close()


def test_every_level_of_agency_with_park_stations(demo_network):
    query, loaded = demo_network
    levels = dict(query("SELECT level, count(*) FROM agencies.agency GROUP BY level"))
    assert levels["national"] == 1 and levels["province"] == 31 and levels["city"] > 300
    assert levels["county"] > 2800
    assert levels["station"] == national.SCALES["small"].stations + 3  # and the showcase's three
    assert loaded["stations"] == national.SCALES["small"].stations


def test_smes_in_every_size_class_and_tier_over_every_province(demo_network):
    query, loaded = demo_network
    assert loaded["SMEs (bulk)"] == national.SCALES["small"].enterprises
    classes = {row[0] for row in query("SELECT DISTINCT size_class FROM enterprises.enterprise")}
    assert classes == {"large", "medium", "small", "micro", None}
    tiers = {row[0] for row in query("SELECT DISTINCT tier FROM enterprises.enterprise_tier")}
    assert tiers == set(national.TIERS)
    provinces_ = {row[0] for row in query("SELECT DISTINCT left(region_code, 2) FROM enterprises.enterprise")}
    assert set(national.MAINLAND) <= provinces_


def test_bulk_smes_are_in_the_read_models_without_events(demo_network):
    query, loaded = demo_network
    missing = query("""
        SELECT count(*) FILTER (WHERE a.uscc IS NULL), count(*) FILTER (WHERE f.uscc IS NULL)
        FROM enterprises.enterprise e
        LEFT JOIN activities.enterprise a USING (uscc)
        LEFT JOIN (SELECT DISTINCT uscc FROM agencies.sme_fact) f USING (uscc)
        WHERE e.uscc NOT IN (SELECT aggregate_id FROM enterprises.outbox)""")
    assert missing == [(0, 0)]
    announced = query("SELECT count(*) FROM enterprises.outbox WHERE event_type = 'enterprise.registered'")
    assert announced == [(36,)]  # the showcase's, registered through the service
    assert loaded["SMEs (bulk) again"] == 0


def test_policies_at_every_level_in_every_state(demo_network):
    query, loaded = demo_network
    rows = query("SELECT issuer_level, state FROM agencies.policy")
    assert {level for level, _ in rows} == {"national", "province", "city", "county"}
    assert {state for _, state in rows} == {"published", "draft", "withdrawn"}
    assert loaded["policies"] == len(national.policies(national.SCALES["small"], date.today()))


def test_requests_in_every_state_with_overdue_and_escalated_ones(demo_network):
    query, loaded = demo_network
    assert loaded["requests (national)"] == national.SCALES["small"].requests
    states = {row[0] for row in query("SELECT DISTINCT state FROM requests.service_request")}
    assert states >= {"assigned", "accepted", "in_progress", "resolved", "revisited", "closed", "withdrawn"}
    levels = {row[0] for row in query("SELECT DISTINCT agency_level FROM requests.service_request")}
    assert levels >= {"county", "city", "province", "national"}
    escalated = query("SELECT count(DISTINCT request_id) FILTER (WHERE actor_role = 'system'), "
                                    "count(DISTINCT request_id) FILTER (WHERE actor_role <> 'system') "
                                    "FROM requests.request_history WHERE action = 'escalate'")
    assert escalated[0][0] > 0 and escalated[0][1] > 0  # by the deadline sweep, and by an agency
    overdue = query("""
        SELECT count(*) FROM requests.service_request
        WHERE (state = 'assigned' AND accept_by < current_date)
           OR (state IN ('accepted', 'in_progress') AND resolve_by < current_date)""")
    assert overdue[0][0] > 0
    assert query("SELECT count(*) FROM requests.deadline_breach")[0][0] > 0
    spread = query("SELECT max(submitted_at) - min(submitted_at) FROM requests.service_request")
    assert spread[0][0].days >= 59
