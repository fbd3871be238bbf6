"""Every process rides out a RabbitMQ restart and a PostgreSQL restart by reconnecting, never by
exiting; meanwhile the gateway answers 503, never 500, and nothing is half written; a process
killed under the run command's supervision comes back by itself.

The network runs on a private PostgreSQL cluster and a private RabbitMQ node (the shared
servers are never stopped), supervised as ``make run`` supervises it, with work flowing while
the servers restart: a restart that catches a reply in flight is the one that used to take a
process down.
"""
import os
import threading
import time
import uuid

import pytest
import requests

from tests.faults import stream
from tests.faults.check import Database, compare, wait_drained
from tests.faults.network import JWT_SECRET, PrivateNetwork

TEST_NAME = os.environ.get("ONENET_TEST_NAME", "onenet_test")
OFFSET = int(os.environ.get("ONENET_TEST_PORT_OFFSET", "0"))
COUNTIES = ("110101", "110102", "110105")


@pytest.fixture(scope="module")
def net():
    with PrivateNetwork(name=f"{TEST_NAME}_restarts", pg_port=15434 + OFFSET, amqp_port=15673 + OFFSET,
                        port_base=26000 + OFFSET) as private:
        yield private


@pytest.fixture
def gateway(net):
    return stream.Gateway(net.gateway_url, JWT_SECRET, stream.Ledger(), give_up_after=120)


class Traffic:
    """Clients registering enterprises with keys, retrying until answered, until stopped."""

    def __init__(self, gateway, clients=4):
        self.gateway, self.stop = gateway, threading.Event()
        self.usccs = set()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)]

    def _run(self, n):
        while not self.stop.is_set():
            uscc = stream.new_uscc(COUNTIES[n % len(COUNTIES)])
            self.usccs.add(uscc)
            stream.enterprise_journey(self.gateway, uscc, uscc[2:8], "restarts", with_request=False)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        while self.gateway.ledger.count("registration") < 5:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=150)


def pids(net):
    return {name: child.pid for name, child in net.network.children.items()}


def registration_without_retry(net, gateway):
    uscc = stream.new_uscc("110105")
    return requests.post(net.gateway_url + "/api/v1/enterprises", timeout=15,
                         json=stream.registration_body(uscc, "110105", "restarts"),
                         headers={"Authorization": f"Bearer {gateway.token('county_admin', '110105')}",
                                  "Idempotency-Key": str(uuid.uuid4())})


def assert_nothing_lost_or_doubled(net, gateway, usccs):
    db = Database(net.env["ONENET_DATABASE_URL"])
    unsent, busy = wait_drained(db, net, timeout=120)
    assert not any(unsent.values()) and not busy, (unsent, busy)
    acked = gateway.ledger.acknowledged["registration"]
    stored = db.counts("enterprises", "SELECT uscc AS key, count(*) AS n FROM enterprise WHERE uscc = ANY(%s) "
                                      "GROUP BY uscc", (list(usccs),))
    events = db.counts("enterprises", "SELECT aggregate_id AS key, count(*) AS n FROM outbox "
                                      "WHERE event_type = 'enterprise.registered' AND aggregate_id = ANY(%s) "
                                      "GROUP BY 1", (list(usccs),))
    assert compare(acked, stored) == (0, 0, 0)
    assert compare(acked, events) == (0, 0, 0)
    assert 500 not in gateway.ledger.status_seen["registration"], (gateway.ledger.status_seen, net.error_lines("gateway"))
    assert not gateway.ledger.refused["registration"], gateway.ledger.refused


def test_every_process_rides_out_a_broker_restart_and_the_gateway_answers_503_meanwhile(net, gateway):
    before = pids(net)
    with Traffic(gateway) as traffic:
        net.rabbit.stop_app()
        down = registration_without_retry(net, gateway)
        time.sleep(2)
        net.rabbit.start_app()
        net.wait_ready(timeout=120)
        time.sleep(2)

    assert down.status_code == 503, (down.text, net.error_lines("gateway"))
    assert down.json()["error"]["code"] == "service_unavailable"
    assert pids(net) == before
    assert not [line for line in net.supervisor_lines() if " exited " in line]
    assert registration_without_retry(net, gateway).status_code == 201
    assert_nothing_lost_or_doubled(net, gateway, traffic.usccs)


def test_every_process_rides_out_a_database_restart_and_the_gateway_answers_503_meanwhile(net, gateway):
    before = pids(net)
    with Traffic(gateway) as traffic:
        net.postgres.stop()
        down = registration_without_retry(net, gateway)
        time.sleep(2)
        net.postgres.start()
        net.wait_ready(timeout=120)
        time.sleep(2)

    assert down.status_code == 503, (down.text, net.error_lines("gateway"))
    assert pids(net) == before
    assert not [line for line in net.supervisor_lines() if " exited " in line]
    assert registration_without_retry(net, gateway).status_code == 201
    assert_nothing_lost_or_doubled(net, gateway, traffic.usccs)


def test_a_service_killed_under_supervision_is_started_again_by_itself(net, gateway):
    killed = net.pid("enterprises")

    net.kill("enterprises")

    deadline = time.monotonic() + 60
    while net.pid("enterprises") == killed and time.monotonic() < deadline:
        time.sleep(0.2)
    assert net.pid("enterprises") != killed
    net.wait_ready(["enterprises"], timeout=120)
    lines = net.supervisor_lines()
    assert any(f"enterprises (pid {killed}) exited with -9" in line for line in lines), lines
    assert any("enterprises restarted" in line for line in lines), lines
    assert registration_without_retry(net, gateway).status_code == 201
