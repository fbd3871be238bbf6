"""Each service's own PostgreSQL role and RabbitMQ user, as ``prepare`` made them.

The suite runs every process as its own role and user (``tests/conftest.py``);
here the services' accounts try what they must not do.
"""
import os
from urllib.parse import unquote, urlsplit

import amqp
import psycopg2
import psycopg2.errors
import pytest
from amqp.exceptions import AccessRefused

from chassis import config as process_config
from infra import network

REQUESTS_CONFIG = "services/requests/config.yml"


@pytest.fixture
def requests_role(prepared_stack):
    """A connection to the test database as the requests service's own role."""
    own = process_config.load(REQUESTS_CONFIG, own_accounts=True)
    conn = psycopg2.connect(own["DATABASE_URL"], connect_timeout=5)
    conn.autocommit = True
    yield conn
    conn.close()


def refused_in_postgres(conn, statement):
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    except psycopg2.errors.InsufficientPrivilege:
        return True
    return False


def test_requests_role_is_its_own_and_not_the_administrator(requests_role):
    with requests_role.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (f"{os.environ['ONENET_ROLE_PREFIX']}_requests", False)


def test_requests_role_is_refused_writes_and_reads_on_the_enterprises_schema(requests_role):
    assert refused_in_postgres(requests_role, "INSERT INTO enterprises.outbox (event_id, event_type, aggregate_id, "
                                              "envelope) VALUES (gen_random_uuid(), 'enterprise.registered', 'x', '{}')")
    assert refused_in_postgres(requests_role, "UPDATE enterprises.enterprise SET name = 'forged'")
    assert refused_in_postgres(requests_role, "DELETE FROM enterprises.enterprise")
    assert refused_in_postgres(requests_role, "SELECT count(*) FROM enterprises.enterprise")
    assert refused_in_postgres(requests_role, "SELECT count(*) FROM agencies.agency")
    assert refused_in_postgres(requests_role, "SELECT count(*) FROM notifications.notice")


def test_requests_role_reads_and_writes_rows_of_its_own_schema_but_cannot_change_it(requests_role):
    with requests_role.cursor() as cur:
        cur.execute("SELECT count(*) FROM requests.service_request")
        cur.execute("UPDATE requests.outbox SET sent_at = sent_at WHERE false")
        cur.execute("DELETE FROM requests.inbox WHERE false")
    assert refused_in_postgres(requests_role, "CREATE TABLE requests.smuggled (id int)")
    assert refused_in_postgres(requests_role, "ALTER TABLE requests.request_history "
                                              "DISABLE TRIGGER request_history_append_only")
    assert refused_in_postgres(requests_role, "DROP TABLE requests.outbox")
    assert refused_in_postgres(requests_role, "DELETE FROM requests._yoyo_migration")
    assert refused_in_postgres(requests_role, "CREATE SCHEMA smuggled")


def test_prepare_makes_the_accounts_again_without_harm(prepared_stack):
    configs = [network.load_config(process) for process in network.PROCESSES]
    network.make_own_accounts(configs)
    network.make_own_accounts(configs)
    own = process_config.load(REQUESTS_CONFIG, own_accounts=True)
    conn = psycopg2.connect(own["DATABASE_URL"], connect_timeout=5)
    try:
        assert refused_in_postgres(conn, "SELECT count(*) FROM enterprises.enterprise")
    finally:
        conn.close()
    with broker_as("requests") as connection:
        assert not refused_on_broker(connection, lambda ch: publish(ch, "onenet.events", "request.probe"))


# -- RabbitMQ ----------------------------------------------------------------------------


def broker_as(service):
    """A broker connection with ``service``'s own user and password."""
    own = process_config.load(f"services/{service}/config.yml", own_accounts=True)
    where = urlsplit(own["AMQP_URI"])
    connection = amqp.Connection(host=f"{where.hostname}:{where.port or 5672}",
                                 userid=unquote(where.username), password=unquote(where.password),
                                 virtual_host=where.path[1:] or "/", connect_timeout=5)
    connection.connect()
    return connection


def publish(channel, exchange, routing_key):
    """Publish and wait for the broker's confirm (or its refusal)."""
    channel.basic_publish_confirm(amqp.Message(b"{}"), exchange=exchange, routing_key=routing_key,
                                  confirm_timeout=10)


def refused_on_broker(connection, action):
    """Whether the broker closes a fresh channel with ACCESS_REFUSED when ``action`` runs on it."""
    channel = connection.channel()
    try:
        action(channel)
    except AccessRefused:
        return True
    channel.close()
    return False


@pytest.fixture
def rpc_exchange(prepared_stack):
    """nameko's RPC exchange, as a service declares it on start (the broker checks a
    routing key only on an exchange that exists)."""
    from kombu import Connection, Exchange
    with Connection(prepared_stack["AMQP_URI"]) as admin:
        Exchange("nameko-rpc", type="topic", durable=True)(admin.channel()).declare()


def own_queue(name, exchange, routing_key):
    def declare_and_bind(channel):
        channel.queue_declare(name, exclusive=True)
        channel.queue_bind(name, exchange=exchange, routing_key=routing_key)
    return declare_and_bind


def test_notifications_broker_user_is_confined_to_its_own_queues_and_calls_only_enterprises(rpc_exchange):
    with broker_as("notifications") as connection:
        # What it does: its own queues, bound by its own keys.
        assert not refused_on_broker(connection, own_queue(
            "notifications.probe", "onenet.redelivery", "notifications.probe"))
        assert not refused_on_broker(connection, lambda ch: publish(ch, "onenet.redelivery", "notifications.probe"))
        # It calls the enterprises service (who meets a policy; a probe there would reach its
        # queue, so that right is pinned in test_deployment) and no other: not agencies.get, ...
        assert refused_on_broker(connection, lambda ch: publish(ch, "nameko-rpc", "agencies.get"))
        assert refused_on_broker(connection, lambda ch: publish(ch, "nameko-rpc", "requests.submit"))
        # ... nor reaches a service's queue by name through the default exchange, ...
        assert refused_on_broker(connection, lambda ch: publish(ch, "", "rpc-enterprises"))
        # ... announces no event, re-routes no other service's deliveries, ...
        assert refused_on_broker(connection, lambda ch: publish(ch, "onenet.events", "enterprise.registered"))
        assert refused_on_broker(connection, lambda ch: publish(
            ch, "onenet.redelivery", "agencies.record_rating.dead-letter"))
        # ... takes no message from another service's queue, declares none of theirs, ...
        assert refused_on_broker(connection, lambda ch: ch.basic_consume(
            "agencies.record_rating", callback=lambda message: None))
        assert refused_on_broker(connection, lambda ch: ch.queue_declare("rpc-enterprises", durable=True))
        # ... and cannot listen in on calls to enterprises or on events it does not handle.
        assert refused_on_broker(connection, own_queue("notifications.eavesdrop", "nameko-rpc", "enterprises.*"))
        assert refused_on_broker(connection, own_queue("notifications.eavesdrop", "onenet.events", "request.#"))


def test_a_services_broker_user_parks_the_calls_it_cannot_answer_and_no_other_services(rpc_exchange):
    from kombu import Connection

    from chassis.queues import DurableQueues
    arguments = DurableQueues.from_config().arguments()
    with broker_as("requests") as connection:
        assert not refused_on_broker(connection, lambda ch: ch.queue_declare(
            "rpc-requests.dead-letter", durable=True, auto_delete=False, arguments=arguments))
        assert not refused_on_broker(connection, lambda ch: ch.queue_bind(
            "rpc-requests.dead-letter", exchange="onenet.redelivery", routing_key="rpc-requests.dead-letter"))
        assert not refused_on_broker(connection, lambda ch: publish(ch, "onenet.redelivery",
                                                                    "rpc-requests.dead-letter"))
        assert refused_on_broker(connection, lambda ch: publish(
            ch, "onenet.redelivery", "rpc-enterprises.dead-letter"))
        assert refused_on_broker(connection, lambda ch: ch.queue_declare(
            "rpc-enterprises.dead-letter", durable=True, auto_delete=False, arguments=arguments))
    with Connection(os.environ["ONENET_AMQP_URI"]) as admin:
        admin.default_channel.queue_purge("rpc-requests.dead-letter")  # the probe published there


def test_requests_broker_user_calls_only_the_services_it_depends_on_and_announces_only_requests(rpc_exchange):
    with broker_as("requests") as connection:
        assert not refused_on_broker(connection, lambda ch: publish(ch, "onenet.events", "request.probe"))
        assert refused_on_broker(connection, lambda ch: publish(ch, "onenet.events", "enterprise.updated"))
        assert refused_on_broker(connection, lambda ch: publish(ch, "nameko-rpc", "notifications.inbox_page"))
        assert refused_on_broker(connection, lambda ch: ch.basic_consume(
            "notifications.welcome_enterprise", callback=lambda message: None))
