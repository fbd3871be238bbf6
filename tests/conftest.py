"""Test set-up shared by every layer.

``eventlet.monkey_patch()`` comes first (it makes sockets and psycopg2
cooperative). The suite runs against its own database and RabbitMQ vhost (both
``onenet_test``), created empty at the start of each run, and its own ports, so
it can run beside ``make run``. Its processes connect as their own PostgreSQL
roles and RabbitMQ users (``onenet_test_<process>``, fresh passwords each run),
which the reset drops with the suite's rate-limit counts in Redis. ``ONENET_TEST_NAME`` (ending in ``_test``) and
``ONENET_TEST_PORT_OFFSET`` give a second checkout its own database, vhost and
ports, so two suites can run side by side on one machine.
"""
import chassis  # noqa: F401  (first: its warning filters precede eventlet's import)
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import sys  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "clients", "province"))  # the provinces' client, as they install it

TEST_NAME = os.environ.get("ONENET_TEST_NAME", "onenet_test")
PORT_OFFSET = int(os.environ.get("ONENET_TEST_PORT_OFFSET", "0"))

TEST_ENV = {
    "ONENET_DATABASE_URL": os.environ.get("ONENET_TEST_DATABASE_URL",
                                          f"postgresql://postgres@127.0.0.1:5432/{TEST_NAME}"),
    "ONENET_AMQP_URI": os.environ.get("ONENET_TEST_AMQP_URI",
                                      f"amqp://guest:guest@127.0.0.1:5672/{TEST_NAME}"),
    "GATEWAY_PORT": str(18000 + PORT_OFFSET),
    "GATEWAY_OPS_PORT": str(19100 + PORT_OFFSET),
    "AGENCIES_OPS_PORT": str(19101 + PORT_OFFSET),
    "ENTERPRISES_OPS_PORT": str(19102 + PORT_OFFSET),
    "REQUESTS_OPS_PORT": str(19103 + PORT_OFFSET),
    "NOTIFICATIONS_OPS_PORT": str(19104 + PORT_OFFSET),
    "ACTIVITIES_OPS_PORT": str(19105 + PORT_OFFSET),
    "PROVINCES_OPS_PORT": str(19106 + PORT_OFFSET),
    "ONENET_JWT_SECRET": "test-secret-for-the-onenet-suite-only",
    "ONENET_WEBHOOK_SECRET_KEYS": "dGVzdC1rZXktZm9yLXRoZS1vbmVuZXQtc3VpdGUtMDE=",  # "test-key-for-the-onenet-suite-01"
    "ONENET_EVENT_RETRY_DELAYS": "0.2, 0.4",
    "ONENET_OUTBOX_POLL_INTERVAL": "0.1",
    "ONENET_LOG_LEVEL": "INFO",
    "ONENET_RPC_TIMEOUT": "3",
    "ONENET_CLOCK_CONTROL": "on",
    # Cluster-wide names carry the suite's name: its own roles, broker users, rate-limit keys.
    "ONENET_ROLE_PREFIX": TEST_NAME,
    "ONENET_RATE_LIMIT_PREFIX": TEST_NAME,
    "ONENET_PROVINCE_USER_PREFIX": f"{TEST_NAME}.",
    # The suite calls faster than any person; the limit itself is tested on gateways of its own.
    "ONENET_RATE_LIMIT": "6000/minute",
    # as `make run`: webhooks may point at this machine (tests start their receivers on it)
    "ONENET_WEBHOOK_ALLOW_HTTP": "on",
    "ONENET_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    # Pages served from localhost (any port) may call the gateway, which listens on 127.0.0.1:
    # another origin, as a front-end team's app is.
    "ONENET_CORS_ORIGINS": "http://localhost:*",
}
os.environ.update(TEST_ENV)

from infra.network import make_account_passwords  # noqa: E402

# Every process runs as its own database role and broker user, as in production.
make_account_passwords(os.environ)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prepared_stack():
    """An empty test database and vhost, migrated and with the broker topology declared.

    The servers are checked first (the broker's default vhost, the ``postgres``
    database); the test vhost and database are then created from nothing.
    """
    from infra import network
    config = network.load_config(network.SERVICES[1])
    network.check_servers(config["AMQP_URI"], config["DATABASE_URL"])
    network.reset_test()
    network.prepare()
    return config


@pytest.fixture(scope="session")
def province_passwords(prepared_stack):
    """Every province's user (``<suite>.province-<code>``) made afresh: code → password."""
    from infra import provinces
    amqp_uri = prepared_stack["AMQP_URI"]
    return provinces.make_users(amqp_uri, provinces.Users(amqp_uri), os.environ["ONENET_PROVINCE_USER_PREFIX"],
                                renew=True)


LAYERS = ("unit", "integration", "e2e")


def pytest_configure(config):
    """Each test name gets its own temporary folder (process logs live there), so a
    suite never has its folder rotated away by another suite started beside it."""
    if not config.option.basetemp:
        import tempfile
        config.option.basetemp = os.path.join(tempfile.gettempdir(), f"pytest-{TEST_NAME}")


def pytest_collection_modifyitems(items):
    """Run unit tests first, then integration, then end-to-end, then the fuzz run.

    Integration tests start single service containers; the end-to-end network,
    started once for the rest of the run, would otherwise compete with them
    for the same queues.
    """
    def layer(item):
        parts = item.nodeid.split("/")
        return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else 0

    # A run that writes generated data through every operation comes last of all: nothing after it
    # meets its enterprises, policies and agencies.
    items.sort(key=lambda item: (item.get_closest_marker("fuzz") is not None, layer(item)))
