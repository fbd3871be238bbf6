"""The running network uses each process's own database role and broker user, and
works with what those accounts may do (the refusals: tests/integration/test_least_privilege.py)."""
import os
import subprocess
import uuid

from kombu import Connection

from chassis import deadletters
from tests import stack

PREFIX = os.environ["ONENET_ROLE_PREFIX"]
DATABASE = os.environ["ONENET_DATABASE_URL"].rsplit("/", 1)[1]
VHOST = os.environ["ONENET_AMQP_URI"].rsplit("/", 1)[1]


def test_every_service_connects_to_postgresql_as_its_own_role(network, api, token):
    # A pool connects on first use: the outbox relays use theirs at once; the inbox here.
    assert api.get("/api/v1/notifications", token("enterprise", "91110105MA01A00010")).status_code == 200

    def sessions():
        rows = stack.sql("public", "SELECT DISTINCT application_name, usename FROM pg_stat_activity "
                                   "WHERE datname = %s AND application_name LIKE 'onenet-%%'", (DATABASE,))
        return sorted(rows) if len(rows) >= 5 else None

    assert stack.wait_for(sessions, timeout=15) == [
        ("onenet-activities", f"{PREFIX}_activities"),
        ("onenet-agencies", f"{PREFIX}_agencies"),
        ("onenet-enterprises", f"{PREFIX}_enterprises"),
        ("onenet-notifications", f"{PREFIX}_notifications"),
        ("onenet-requests", f"{PREFIX}_requests"),
    ]


def test_every_process_connects_to_rabbitmq_as_its_own_user(network):
    listed = subprocess.run(["rabbitmqctl", "-q", "list_connections", "user", "vhost"],
                            capture_output=True, text=True, check=True).stdout
    users = {line.split("\t")[0] for line in listed.splitlines()[1:] if line.endswith(f"\t{VHOST}")}
    own = {f"{PREFIX}_{name}" for name in ("agencies", "enterprises", "requests", "notifications", "activities",
                                           "provinces", "gateway")}
    assert own <= users
    assert users - own <= {"guest"}  # the suite's own clients, as the administrator


def test_a_service_parks_a_bad_event_through_its_own_redelivery_rights(network):
    message_id = str(uuid.uuid4())
    with Connection(os.environ["ONENET_AMQP_URI"]) as admin:
        admin.Producer().publish(b'{"not": "an envelope"}', exchange="onenet.events",
                                 routing_key="enterprise.registered", message_id=message_id,
                                 content_type="application/json", serializer=None)

    def parked():
        return [message for message in deadletters.list_parked(
            os.environ["ONENET_AMQP_URI"], "notifications.welcome_enterprise")
            if message["message_id"] == message_id]

    found = stack.wait_for(parked, timeout=15)
    assert [(message["attempts"], message["original_routing_key"]) for message in found] == [
        (1, "enterprise.registered")]
