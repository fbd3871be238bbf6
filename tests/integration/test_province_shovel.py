"""A province running its own RabbitMQ joins through the shovel example (infra/shovel), as
docs/operations.md tells it to: events published on its broker reach OneNet as its user, and its
outbound queue drains into its broker.

The province's broker is a vhost of the test broker; the shovels are RabbitMQ's own
(rabbitmq_shovel, which infra/local-services.sh enables).
"""
import json
import os
import shutil
import subprocess
from urllib.parse import quote, urlsplit

import pika
import pytest
from onenet_province import Publisher, new_event

from chassis import provinces
from tests.conftest import TEST_NAME
from tests.provinces import enterprise_payload, province_url
from tests.stack import new_uscc, sql, wait_for

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "infra", "shovel", "province-definitions.json")


def rabbitmqctl(*args, **kwargs):
    return subprocess.run([shutil.which("rabbitmqctl"), "-q", *args], capture_output=True, text=True, **kwargs)


@pytest.fixture
def province_site(province_passwords, enterprises_container):
    """Province 44's own broker (a vhost here), with the example's definitions imported."""
    if subprocess.run(["rabbitmq-plugins", "-q", "is_enabled", "rabbitmq_shovel"], capture_output=True).returncode:
        pytest.fail("the rabbitmq_shovel plugin is not enabled: run rabbitmq-plugins enable rabbitmq_shovel")
    vhost = f"{TEST_NAME}_site44"
    rabbitmqctl("delete_vhost", vhost)
    rabbitmqctl("add_vhost", vhost, check=True)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*", check=True)
    onenet = province_url("44", province_passwords)
    filled = open(EXAMPLE, encoding="utf-8").read()
    for name, value in {"LOCAL_VHOST_ENCODED": quote(vhost, safe=""), "LOCAL_VHOST": vhost, "PROVINCE": "44",
                        "PROVINCE_USER": provinces.user_name("44", os.environ["ONENET_PROVINCE_USER_PREFIX"]),
                        "ONENET_URI": onenet}.items():
        filled = filled.replace("{{" + name + "}}", value)
    imported = rabbitmqctl("import_definitions", "--format", "json", input=filled)
    assert imported.returncode == 0, imported.stderr
    where = urlsplit(os.environ["ONENET_AMQP_URI"])  # the same broker as the suite's (rabbitmqctl's node)
    yield f"amqp://guest:guest@{where.hostname}:{where.port or 5672}/{quote(vhost, safe='')}"
    rabbitmqctl("delete_vhost", vhost)


def shovels_running(vhost_url):
    listed = json.loads(rabbitmqctl("shovel_status", "--formatter", "json").stdout or "[]")
    return {shovel["name"] for shovel in listed if shovel.get("state") == "running"} >= {"onenet-inbound",
                                                                                         "onenet-outbound"}


def test_events_published_on_the_provinces_broker_reach_onenet_as_its_user_and_outbound_comes_home(province_site):
    assert wait_for(lambda: shovels_running(province_site), timeout=20)
    uscc = new_uscc("440106")
    # The province's own client, pointed at its own broker: the shovel sets user_id to province-44.
    with Publisher(province_site, province="44") as local:
        local.publish(new_event("enterprise.upserted", enterprise_payload(uscc, name="广州铲运测试有限公司"),
                                source="gd-sme-platform"))
    assert wait_for(lambda: sql("enterprises", "SELECT name FROM enterprise WHERE uscc = %s", (uscc,)),
                    timeout=20) == [("广州铲运测试有限公司",)]

    admin = pika.BlockingConnection(pika.URLParameters(os.environ["ONENET_AMQP_URI"]))
    channel = admin.channel()
    channel.confirm_delivery()
    channel.basic_publish("onenet.provinces.out", "44.policy.published", b'{"probe": "outbound"}',
                          pika.BasicProperties(delivery_mode=2, message_id="outbound-probe"))
    admin.close()
    site = pika.BlockingConnection(pika.URLParameters(province_site))

    def arrived():
        method, properties, body = site.channel().basic_get("onenet.from-network", auto_ack=True)
        return body

    assert wait_for(arrived, timeout=20) == b'{"probe": "outbound"}'
    site.close()
