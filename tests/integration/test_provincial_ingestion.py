"""Provincial events into the enterprises service, on the real broker as the provinces' own users.

Each province publishes with the client it is given (``clients/province``), as
its own RabbitMQ user; the enterprises service runs in a container here.
"""
import json
import os
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from onenet_province import AccessRefused, DeadLetters, Publisher, new_event
from prometheus_client import REGISTRY

from tests.provinces import enterprise_payload, province_url
from tests.stack import new_uscc, sql, wait_for


@pytest.fixture
def publisher_44(province_passwords, enterprises_container):
    with Publisher(province_url("44", province_passwords), batch_size=50) as publisher:
        yield publisher


@pytest.fixture
def dead_letters_44(province_passwords):
    """Province 44's dead letters, emptied before the test."""
    letters = DeadLetters(province_url("44", province_passwords))
    letters.take(10_000)
    yield letters
    letters.close()


def upserted(payload, **envelope):
    event = new_event("enterprise.upserted", payload, source="gd-sme-registry")
    event.update(envelope)
    return event


def enterprise_row(uscc):
    rows = sql("enterprises", "SELECT name, region_code, employees FROM enterprise WHERE uscc = %s", (uscc,))
    return rows[0] if rows else None


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_province_44_publishing_under_45_is_refused_by_rabbitmq(province_passwords):
    """Must show 1: the broker itself refuses the routing key, with ACCESS_REFUSED."""
    uscc = new_uscc("450102")
    with Publisher(province_url("44", province_passwords), province="45") as publisher:
        with pytest.raises(AccessRefused) as refused:
            publisher.publish(upserted(enterprise_payload(uscc, "450102")))
    assert "ACCESS_REFUSED" in str(refused.value)
    assert "45.enterprise.upserted" in str(refused.value)


def test_enterprise_in_province_45_published_by_44_is_parked_with_its_reason(publisher_44, dead_letters_44):
    """Must show 2: under 44's own key, a payload claiming a region of 45 changes nothing."""
    uscc = new_uscc("450102")
    event = upserted(enterprise_payload(uscc, "450102"))
    rejected_before = metric("onenet_province_events_rejected_total", province="44", type="enterprise.upserted",
                             reason="outside_province")
    publisher_44.publish(event)
    letters = wait_for(lambda: dead_letters_44.read(), timeout=15)
    assert [(letter.reason, letter.routing_key, letter.event["event_id"]) for letter in letters] == [
        ("outside_province", "44.enterprise.upserted", event["event_id"])]
    assert letters[0].error == ("region_code 450102 lies outside province 44; province-44 may only change "
                                "data in its own region")
    assert enterprise_row(uscc) is None
    assert metric("onenet_province_events_rejected_total", province="44", type="enterprise.upserted",
                  reason="outside_province") == rejected_before + 1


def test_malformed_event_is_parked_and_the_next_one_is_applied(publisher_44, dead_letters_44):
    """Must show 3: a bad event does not block the queue."""
    broken = upserted(enterprise_payload(new_uscc("440106"), figures=[]))
    uscc = new_uscc("440106")
    publisher_44.publish_many([broken, upserted(enterprise_payload(uscc, name="广州后来者科技有限公司"))])
    assert wait_for(lambda: enterprise_row(uscc)) == ("广州后来者科技有限公司", "440106", 40)
    letters = dead_letters_44.read()
    assert [(letter.reason, letter.event["event_id"]) for letter in letters] == [
        ("invalid_payload", broken["event_id"])]
    assert letters[0].error == "figures: Length must be between 1 and 30."


def test_same_event_twice_has_one_effect_and_an_older_version_is_ignored_and_counted(publisher_44):
    """Must show 4: idempotent by event_id; the source version orders updates."""
    uscc = new_uscc("440106")
    first = upserted(enterprise_payload(uscc, version=5, name="广州五号版本有限公司"))
    publisher_44.publish_many([first, first])
    assert wait_for(lambda: enterprise_row(uscc)) == ("广州五号版本有限公司", "440106", 40)
    stale_before = metric("onenet_province_events_stale_total", province="44", type="enterprise.upserted")
    duplicates_before = metric("onenet_province_events_duplicate_total", province="44", type="enterprise.upserted")
    newer = upserted(enterprise_payload(uscc, version=7, name="广州七号版本有限公司",
                                        figures=[{"year": 2024, "employees": 70, "revenue": 2100}]))
    publisher_44.publish(newer)
    assert wait_for(lambda: enterprise_row(uscc) == ("广州七号版本有限公司", "440106", 70))
    older = upserted(enterprise_payload(uscc, version=6, name="广州六号版本有限公司"))
    publisher_44.publish_many([older, first])
    assert wait_for(lambda: metric("onenet_province_events_stale_total", province="44",
                                   type="enterprise.upserted") == stale_before + 1
                    and metric("onenet_province_events_duplicate_total", province="44",
                               type="enterprise.upserted") == duplicates_before + 1, timeout=15)
    assert enterprise_row(uscc) == ("广州七号版本有限公司", "440106", 70)
    assert sql("enterprises", "SELECT source_version FROM provincial_version WHERE province = '44' "
                              "AND entity = 'enterprise' AND entity_key = %s", (uscc,)) == [(7,)]
    registered = sql("enterprises", "SELECT count(*) FROM outbox WHERE event_type = 'enterprise.registered' "
                                    "AND aggregate_id = %s", (uscc,))
    assert registered == [(1,)]
    history = sql("enterprises", "SELECT actor_role, actor, changes FROM enterprise_change WHERE uscc = %s", (uscc,))
    assert [(role, actor, sorted(changes)) for role, actor, changes in history] == [
        ("province_system", "province-44", ["figures", "name"])]


def test_event_without_user_id_or_of_another_type_under_the_key_is_parked(province_passwords, dead_letters_44,
                                                                         enterprises_container):
    """Whatever the publisher claims in headers, only RabbitMQ's user_id and routing key count."""
    import pika
    uscc = new_uscc("440106")
    event = upserted(enterprise_payload(uscc))
    connection = pika.BlockingConnection(pika.URLParameters(province_url("44", province_passwords)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("onenet.provinces.in", "44.enterprise.upserted", json.dumps(event).encode(),
                          pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                               headers={"x-onenet-user-id": "province-44"}))
    connection.close()
    letters = wait_for(lambda: dead_letters_44.read(), timeout=15)
    assert [(letter.reason, letter.error) for letter in letters] == [
        ("wrong_publisher", "the message carries no user_id; publish with user_id set to your RabbitMQ user")]
    assert enterprise_row(uscc) is None


def test_in_one_batch_the_newest_update_of_an_enterprise_wins_and_the_others_count_as_stale(publisher_44):
    uscc = new_uscc("440106")
    stale_before = metric("onenet_province_events_stale_total", province="44", type="enterprise.upserted")
    publisher_44.publish_many([upserted(enterprise_payload(uscc, version=3, name="广州三号版本有限公司")),
                               upserted(enterprise_payload(uscc, version=9, name="广州九号版本有限公司")),
                               upserted(enterprise_payload(uscc, version=4, name="广州四号版本有限公司"))])
    assert wait_for(lambda: metric("onenet_province_events_stale_total", province="44",
                                   type="enterprise.upserted") == stale_before + 2, timeout=15)
    assert enterprise_row(uscc) == ("广州九号版本有限公司", "440106", 40)


def unacknowledged(queue):
    """Deliveries of ``queue`` its consumers have not acknowledged, as the broker counts them."""
    vhost = urlsplit(os.environ["ONENET_AMQP_URI"]).path.lstrip("/") or "/"
    listed = subprocess.run([shutil.which("rabbitmqctl"), "-q", "list_queues", "-p", vhost, "--no-table-headers",
                             "name", "messages_unacknowledged"], capture_output=True, text=True, check=True)
    return dict(line.split() for line in listed.stdout.splitlines() if line.strip())[queue]


def test_bad_events_among_a_batch_are_each_parked_and_every_delivery_is_acknowledged(publisher_44, dead_letters_44):
    """The good events of a batch share one acknowledgement; one rejected in the batch (outside the
    province) or before it (its payload) is parked with its reason, never acknowledged away unparked."""
    usccs, events, bad = [new_uscc("440106") for _ in range(60)], [], []
    for index, uscc in enumerate(usccs):
        events.append(upserted(enterprise_payload(uscc)))
        if index % 20 == 7:
            bad += [upserted(enterprise_payload(new_uscc("450102"), "450102")),
                    upserted(enterprise_payload(new_uscc("440106"), figures=[]))]
            events += bad[-2:]
    publisher_44.publish_many(events)
    assert wait_for(lambda: sql("enterprises", "SELECT count(*) FROM enterprise WHERE uscc = ANY(%s)",
                                (usccs,)) == [(len(usccs),)], timeout=20)
    letters = wait_for(lambda: (lambda found: found if len(found) >= len(bad) else None)(dead_letters_44.read()),
                       timeout=15)
    assert sorted((letter.event["event_id"], letter.reason) for letter in letters) == sorted(
        (event["event_id"], "outside_province" if event["payload"]["figures"] else "invalid_payload")
        for event in bad)
    assert wait_for(lambda: unacknowledged("enterprises.ingest_provincial_enterprises") == "0", timeout=15)


def test_the_command_line_publishes_a_json_lines_file_and_shows_dead_letters(province_passwords, tmp_path,
                                                                              dead_letters_44, enterprises_container):
    import os
    import subprocess
    import sys
    good, outside = new_uscc("440106"), new_uscc("450102")
    lines = [upserted(enterprise_payload(good, name="广州命令行测试有限公司")), upserted(enterprise_payload(outside, "450102"))]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(event, ensure_ascii=False) for event in lines) + "\n", encoding="utf-8")
    env = {**os.environ, "ONENET_PROVINCE_URL": province_url("44", province_passwords),
           "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "..", "clients", "province")}
    published = subprocess.run([sys.executable, "-m", "onenet_province", "publish", str(path)], env=env,
                               capture_output=True, text=True, timeout=60)
    assert published.returncode == 0, published.stderr
    assert "published 2 event(s), each confirmed by the broker" in published.stderr
    assert wait_for(lambda: enterprise_row(good)) == ("广州命令行测试有限公司", "440106", 40)
    assert wait_for(lambda: dead_letters_44.read(), timeout=15)
    shown = subprocess.run([sys.executable, "-m", "onenet_province", "dead-letters"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert [(entry["reason"], entry["event"]["payload"]["uscc"]) for entry in map(json.loads, shown.stdout.splitlines())] \
        == [("outside_province", outside)]
    refused = subprocess.run([sys.executable, "-m", "onenet_province", "--province", "45", "publish", str(path)],
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith("AccessRefused: ACCESS_REFUSED")


def test_rotating_a_provinces_password_prints_the_new_one_once_and_the_old_one_is_refused(
        province_passwords, capsys):
    from onenet_province import AuthenticationFailed, DeadLetters
    from infra import provinces as province_accounts
    old = province_passwords["65"]
    assert province_accounts.main(["rotate", "65"]) == 0
    user, new = capsys.readouterr().out.strip().split("\t")
    assert user.endswith(".province-65") and len(new) >= 32 and new != old
    with pytest.raises(AuthenticationFailed):
        DeadLetters(province_url("65", province_passwords, password=old), retries=0).read()
    with DeadLetters(province_url("65", province_passwords, password=new)) as letters:
        assert letters.read() == []
