"""The demo data `make run` loads: the national skeleton and the libraries, idempotent.

Runs against a scratch database under another RPC name with the outbox relay
off, so its nationwide demo policies reach no other test's enterprises.
"""
import os
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ServiceRpcProxy

from chassis import config as process_config, migrate
from infra.demo_data import agencies as demo
from services.agencies.service import AgenciesService


class IsolatedAgencies(AgenciesService):
    """The agencies service under its own RPC name, without event consumers."""

    name = "agencies_demo_check"
    record_rating = None


@pytest.fixture
def scratch_agencies(prepared_stack):
    config = process_config.load("services/agencies/config.yml")
    parts = urlsplit(config["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_agencies_demo"
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    dsn = urlunsplit(parts._replace(path=f"/{name}"))
    migrate.apply(dsn, "agencies", "services/agencies/migrations")
    container = ServiceContainer(IsolatedAgencies, {**config, "DATABASE_URL": dsn, "OUTBOX_RELAY": "off"})
    container.start()
    try:
        with ServiceRpcProxy("agencies_demo_check", {"AMQP_URI": os.environ["ONENET_AMQP_URI"]},
                             timeout=60) as proxy:
            yield proxy
    finally:
        container.stop()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_demo_data_loads_the_network_and_libraries_once(scratch_agencies):
    services = SimpleNamespace(agencies=scratch_agencies)
    first = demo.load(services)
    assert first > 3200
    assert demo.load(services) == 0
    published = scratch_agencies.list_policies({"states": ["published"]}, 100, 0)
    assert published["total"] == len(demo.POLICIES)
    station = scratch_agencies.route("110108", "finance_talent", park="中关村软件园")["agency"]
    assert station["level"] == "station"
    chaoyang = scratch_agencies.route("110105", "rights")["agency"]
    assert scratch_agencies.guide_time_limits(chaoyang["id"], "rights") == {"accept_days": 1, "resolve_days": 10}
    kinds = {hit["kind"] for hit in scratch_agencies.search("专精特新", limit=100)["items"]}
    assert {"policy", "faq", "product"} <= kinds
    assert scratch_agencies.list_providers({"area": "quality_brand"}, 10, 0)["total"] == 1
    assert [p["title"] for p in scratch_agencies.policies_for_region("440305")
            if "南山" in p["title"]]
