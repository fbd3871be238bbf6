"""Deliveries over real channels: a webhook receiver and an SMTP server started by the test.

Notices come from ``provider.*`` events (one notice for the provider's USCC each).
The receiver is an HTTP server in this process on 127.0.0.1, which the
container is configured to allow (as ``make run`` does); a second container
without that permission shows the destination being checked again at delivery.
"""
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import eventlet
import pytest
from eventlet import wsgi
from standardwebhooks import Webhook

from chassis.errors import ValidationFailed
from chassis.sealing import SealingKeys, new_key
from services.notifications import webhooks
from services.notifications.service import NotificationsService
from tests.stack import SmtpServer, new_event, new_uscc, publish, purge_backlog, rpc, sql, wait_for

CONFIG = os.path.join("services", "notifications", "config.yml")


class Receiver:
    """Webhook endpoints: ``/ok/<name>`` answers 200, ``/fail/<name>`` 500, ``/hang/<name>``
    never answers in time, ``/flip/<name>`` answers what ``status[name]`` says."""

    def __init__(self):
        self.calls, self.status = [], {}
        self.socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.server = eventlet.spawn(wsgi.server, self.socket, self.app, log_output=False)

    def app(self, environ, start_response):
        _, mode, name = environ["PATH_INFO"].split("/")[:3]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        self.calls.append({"name": name, "mode": mode, "headers": headers, "body": body, "at": time.monotonic()})
        if mode == "hang":
            eventlet.sleep(5)
        status = {"ok": 200, "fail": 500, "hang": 200}.get(mode) or self.status.get(name, 200)
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    def url(self, mode, name):
        return f"http://127.0.0.1:{self.port}/{mode}/{name}"

    def of(self, name):
        return [call for call in self.calls if call["name"] == name]

    def stop(self):
        self.server.kill()
        self.socket.close()


@pytest.fixture(scope="module", autouse=True)
def no_backlog(prepared_stack):
    """This module's deliveries owe nothing to the events earlier modules left for the notifications
    service; the agency hierarchy it keeps (the skeleton's 3,212 agency.created, taken in batches)
    is left to it, since later modules' notices name those agencies."""
    purge_backlog(NotificationsService, keeping=("record_agency",))


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    server = SmtpServer(tmp_path_factory.mktemp("smtp") / "maildir")
    yield server
    server.stop()


FAST = {"WEBHOOK_ALLOW_HTTP": "on", "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "WEBHOOK_TIMEOUT": 1,
        "WEBHOOK_CONNECT_TIMEOUT": 1, "DELIVERY_RETRY_BASE": 0.3, "DELIVERY_RETRY_CAP": 0.6,
        "WEBHOOK_PAUSE_AFTER": 3, "DELIVERY_POLL_INTERVAL": 0.1, "WEBHOOK_CONCURRENCY": 2}


@pytest.fixture
def notifications(container_for, smtp):
    return container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, **FAST)


def admitted(uscc, name="恒信管理咨询有限公司"):
    return new_event("provider.admitted", {"provider_id": 77, "name": name, "uscc": uscc, "region_code": "440305",
                                           "service_area": "finance_talent", "readmission": False,
                                           "reason": "资质齐全，服务记录良好"})


def subscribe(uscc, url):
    with rpc("notifications") as proxy:
        return proxy.subscribe_webhook(["enterprise", uscc], f"enterprise:{uscc}", {"url": url})


def deliveries(uscc):
    return sql("notifications", "SELECT d.channel, d.state, d.attempts FROM delivery d JOIN notice n "
                                "ON n.id = d.notice_id WHERE n.recipient_id = %s ORDER BY d.id", (uscc,))


def test_a_notice_reaches_the_webhook_signed_and_the_log_shows_the_attempt(notifications, receiver):
    uscc = new_uscc("440305")
    created = subscribe(uscc, receiver.url("ok", "signed"))
    assert created["secret"].startswith("whsec_") and created["state"] == "active"

    publish(admitted(uscc))

    call = wait_for(lambda: receiver.of("signed"))[0]
    payload = Webhook(created["secret"]).verify(call["body"], call["headers"])
    assert payload["type"] == "notice.created"
    assert (payload["data"]["kind"], payload["data"]["title"]) == ("provider_decision", "服务机构入库决定")
    assert payload["data"]["recipient"] == {"kind": "enterprise", "id": uscc}
    assert wait_for(lambda: deliveries(uscc) == [("webhook", "delivered", 1)])
    with rpc("notifications") as proxy:
        log = proxy.webhook_deliveries(["enterprise", uscc], created["id"], {})["items"]
        listed = proxy.list_webhooks(["enterprise", uscc])["items"]
    assert [(entry["state"], entry["attempts"], entry["last_status"]) for entry in log] == [("delivered", 1, 200)]
    assert [(a["attempt"], a["outcome"], a["status"]) for a in log[0]["attempt_log"]] == [(1, "delivered", 200)]
    assert call["headers"]["webhook-id"] == f"dlv_{log[0]['id']}"
    assert "secret" not in listed[0]


@pytest.mark.parametrize("url, problem", [
    ("http://10.0.0.1/hook", "10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("http://[::ffff:192.168.0.1]/hook", "non-public"),
    ("ftp://127.0.0.1/hook", "https"),
])
def test_urls_to_private_or_metadata_addresses_are_refused_and_nothing_is_stored(notifications, url, problem):
    uscc = new_uscc("440305")
    with pytest.raises(ValidationFailed) as refused:
        subscribe(uscc, url)
    assert problem in refused.value.details["url"][0]
    assert sql("notifications", "SELECT count(*) FROM webhook_subscription WHERE recipient_id = %s",
               (uscc,))[0][0] == 0


def test_the_destination_is_checked_again_at_every_delivery(container_for, smtp, receiver):
    """A subscription stored while loopback was allowed is refused once the operator no longer allows it."""
    container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, **{**FAST, "WEBHOOK_ALLOWED_NETWORKS": ""})
    uscc = new_uscc("440305")
    sql("notifications", "INSERT INTO webhook_subscription (recipient_kind, recipient_id, owner_subject, url, secret) "
                         "VALUES ('enterprise', %s, 'someone', %s, 'whsec_AAAA')", (uscc, receiver.url("ok", "again")))

    publish(admitted(uscc))

    attempts = wait_for(lambda: sql("notifications", "SELECT a.outcome, a.error FROM delivery_attempt a JOIN delivery d "
                                    "ON d.id = a.delivery_id JOIN notice n ON n.id = d.notice_id "
                                    "WHERE n.recipient_id = %s", (uscc,)))
    assert attempts[0][0] == "refused" and "127.0.0.1" in attempts[0][1]
    assert receiver.of("again") == []


def test_a_failing_and_a_hanging_subscriber_never_hold_up_others_and_are_paused_with_the_owner_told(
        notifications, receiver):
    failing, hanging, healthy = new_uscc("440305"), new_uscc("440305"), new_uscc("440305")
    subscribe(failing, receiver.url("flip", "failing"))
    subscribe(hanging, receiver.url("hang", "hanging"))
    subscribe(healthy, receiver.url("ok", "healthy"))
    receiver.status["failing"] = 500
    for _ in range(6):
        publish(admitted(failing))
        publish(admitted(hanging))
    started = time.monotonic()
    for _ in range(3):
        publish(admitted(healthy))

    assert wait_for(lambda: len(receiver.of("healthy")) == 3, timeout=10)
    assert receiver.of("healthy")[-1]["at"] - started < 3.0
    assert wait_for(lambda: sql("notifications", "SELECT state FROM webhook_subscription WHERE recipient_id = %s",
                                (failing,))[0][0] == "paused", timeout=15)
    # The sender gives up on each hanging request after its 1 s read timeout (the receiver is
    # still sleeping then), so at most two requests of the hanging subscriber start in any 0.9 s.
    assert wait_for(lambda: sql("notifications", "SELECT state FROM webhook_subscription WHERE recipient_id = %s",
                                (hanging,))[0][0] == "paused", timeout=15)
    arrivals = [call["at"] for call in receiver.of("hanging")]
    assert len(arrivals) >= 3
    assert max(sum(1 for other in arrivals if first <= other < first + 0.9) for first in arrivals) == 2
    owner_told = wait_for(lambda: sql("notifications", "SELECT title, body FROM notice WHERE recipient_kind = 'user' "
                                      "AND recipient_id = %s AND kind = 'webhook_paused'", (f"enterprise:{failing}",)))
    assert owner_told[0][0] == "Webhook 订阅已暂停" and "连续3次投递失败" in owner_told[0][1]
    held = [state for channel, state, attempts in deliveries(failing) if state == "held"]
    assert len(held) >= 3

    receiver.status["failing"] = 200
    with rpc("notifications") as proxy:
        subscription_id = proxy.list_webhooks(["enterprise", failing])["items"][0]["id"]
        ping = proxy.ping_webhook(["enterprise", failing], subscription_id)
    assert (ping["delivered"], ping["status"], ping["state"]) == (True, 200, "active")
    assert wait_for(lambda: {state for _, state, _ in deliveries(failing)} == {"delivered"}, timeout=15)


def test_email_goes_through_a_real_smtp_server_and_quiet_hours_hold_it(notifications, smtp, receiver):
    told, quiet = new_uscc("440305"), new_uscc("440305")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    with rpc("notifications") as proxy:
        proxy.set_preferences(["enterprise", told], {"channels": {"provider_decision": ["email"]},
                                                     "email": f"{told.lower()}@example.com"})
        proxy.set_preferences(["enterprise", quiet], {
            "channels": {"provider_decision": ["email", "webhook"]}, "email": "quiet@example.com",
            "quiet_hours": {"start": (now - timedelta(hours=1)).strftime("%H:%M"),
                            "end": (now + timedelta(hours=1)).strftime("%H:%M"), "time_zone": "Asia/Shanghai"}})
    subscribe(quiet, receiver.url("ok", "quiet"))

    publish(admitted(told, name="远航技术服务有限公司"))
    publish(admitted(quiet))

    mail = wait_for(lambda: [m for m in smtp.messages() if m["To"] == f"{told.lower()}@example.com"])
    assert str(make_header(decode_header(mail[0]["Subject"]))) == "服务机构入库决定"
    assert "远航技术服务有限公司已纳入finance_talent领域优质服务机构库" in mail[0].get_payload(decode=True).decode()
    assert wait_for(lambda: deliveries(told) == [("email", "delivered", 1)])
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM notice WHERE recipient_id = %s", (quiet,)))
    eventlet.sleep(1.0)
    held = sql("notifications", "SELECT d.channel, d.state, d.attempts, d.next_attempt_at > now() + interval '40 minutes' "
                                "FROM delivery d JOIN notice n ON n.id = d.notice_id WHERE n.recipient_id = %s "
                                "ORDER BY d.channel", (quiet,))
    assert held == [("email", "pending", 0, True), ("webhook", "pending", 0, True)]
    assert receiver.of("quiet") == [] and not [m for m in smtp.messages() if m["To"] == "quiet@example.com"]


# -- signing secrets, sealed at rest -----------------------------------------------------------------

TEST_KEY = os.environ["ONENET_WEBHOOK_SECRET_KEYS"]


def stored_secret(subscription_id):
    return sql("notifications", "SELECT secret FROM webhook_subscription WHERE id = %s", (subscription_id,))[0][0]


def test_the_table_holds_the_secret_sealed_and_deliveries_and_pings_verify_with_the_one_shown(notifications, receiver):
    uscc = new_uscc("440305")
    created = subscribe(uscc, receiver.url("ok", "sealed"))
    stored = stored_secret(created["id"])
    key_part = created["secret"][len("whsec_"):]
    assert created["secret"] not in stored and key_part not in stored and not stored.startswith("whsec_")
    assert SealingKeys.from_setting(TEST_KEY, "test").open(stored) == created["secret"]
    dump = sql("notifications", "SELECT string_agg(s::text, ' ') FROM webhook_subscription s")[0][0]
    assert key_part not in dump

    publish(admitted(uscc))
    with rpc("notifications") as proxy:
        ping = proxy.ping_webhook(["enterprise", uscc], created["id"])

    assert ping["delivered"] is True
    calls = wait_for(lambda: len(receiver.of("sealed")) == 2 and receiver.of("sealed"))
    assert sorted(Webhook(created["secret"]).verify(call["body"], call["headers"])["type"] for call in calls) == \
        ["notice.created", "webhook.ping"]


def test_secrets_stored_before_they_were_sealed_are_sealed_at_start_and_still_verify(container_for, smtp, receiver):
    uscc, secret = new_uscc("440305"), webhooks.new_secret()
    subscription_id = sql("notifications", "INSERT INTO webhook_subscription (recipient_kind, recipient_id, "
                                           "owner_subject, url, secret) VALUES ('enterprise', %s, 'someone', %s, %s) "
                                           "RETURNING id", (uscc, receiver.url("ok", "plain"), secret))[0][0]

    container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, **FAST)

    assert wait_for(lambda: stored_secret(subscription_id) != secret)
    assert secret not in stored_secret(subscription_id)
    assert sql("notifications", "SELECT count(*) FROM webhook_subscription WHERE secret LIKE 'whsec%%'")[0][0] == 0
    publish(admitted(uscc))
    call = wait_for(lambda: receiver.of("plain"))[0]
    assert Webhook(secret).verify(call["body"], call["headers"])["type"] == "notice.created"


def test_a_key_is_rotated_by_putting_a_new_one_first_resealing_and_removing_the_old_one(container_for, smtp,
                                                                                          receiver):
    new = new_key()
    old_only = container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, **FAST)
    uscc = new_uscc("440305")
    created = subscribe(uscc, receiver.url("ok", "rotated"))
    under_old = stored_secret(created["id"])
    old_only.stop()

    # 1. the new key first, the old one still there; 2. every secret sealed again under the new key
    both = container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, WEBHOOK_SECRET_KEYS=f"{new},{TEST_KEY}",
                         **FAST)
    resealed = subprocess.run([sys.executable, "-m", "services.notifications.signing_secrets", "reseal"],
                              env={**os.environ, "ONENET_WEBHOOK_SECRET_KEYS": f"{new},{TEST_KEY}"},
                              capture_output=True, text=True, timeout=60)
    assert resealed.returncode == 0, resealed.stderr
    assert re.match(r"resealed [1-9]\d* secret\(s\) under the first of 2 key\(s\)", resealed.stdout)
    assert stored_secret(created["id"]) != under_old
    both.stop()

    # 3. the old key removed: the subscriber still verifies with the secret it was given
    container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, WEBHOOK_SECRET_KEYS=new, **FAST)
    publish(admitted(uscc))
    call = wait_for(lambda: receiver.of("rotated"))[0]
    assert Webhook(created["secret"]).verify(call["body"], call["headers"])["type"] == "notice.created"
    with rpc("notifications") as proxy:
        assert proxy.ping_webhook(["enterprise", uscc], created["id"])["delivered"] is True


def test_a_secret_no_configured_key_opens_is_not_sent_and_reseal_names_it(container_for, smtp, receiver):
    uscc = new_uscc("440305")
    stranger = SealingKeys.from_setting(new_key(), "test").seal(webhooks.new_secret())
    subscription_id = sql("notifications", "INSERT INTO webhook_subscription (recipient_kind, recipient_id, "
                                           "owner_subject, url, secret) VALUES ('enterprise', %s, 'someone', %s, %s) "
                                           "RETURNING id", (uscc, receiver.url("ok", "stranger"), stranger))[0][0]
    container_for(NotificationsService, CONFIG, SMTP_PORT=smtp.port, **FAST)

    publish(admitted(uscc))

    attempts = wait_for(lambda: sql("notifications", "SELECT a.outcome, a.error FROM delivery_attempt a "
                                    "JOIN delivery d ON d.id = a.delivery_id WHERE d.subscription_id = %s",
                                    (subscription_id,)))
    assert attempts[0][0] == "failed" and "signing secret is unreadable" in attempts[0][1]
    assert receiver.of("stranger") == []
    assert sql("notifications", "SELECT state, consecutive_failures FROM webhook_subscription WHERE id = %s",
               (subscription_id,)) == [("active", 0)]
    resealed = subprocess.run([sys.executable, "-m", "services.notifications.signing_secrets", "reseal"],
                              capture_output=True, text=True, timeout=60)
    assert resealed.returncode == 1 and str(subscription_id) in resealed.stderr
    assert stored_secret(subscription_id) == stranger
