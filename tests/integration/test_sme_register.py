"""The agencies service's SME register on the real broker and database: each enterprise event
once, the newest fact wins whatever the order of arrival, a broken payload is parked."""
import json
import os
from datetime import datetime, timedelta

from chassis.events import dead_letter_queue_name
from services.agencies.service import AgenciesService
from tests.stack import depth, drain, new_event, publish, sql, wait_for

CONFIG = os.path.join("services", "agencies", "config.yml")


def facts(uscc):
    return sql("agencies", "SELECT field, value FROM sme_fact WHERE uscc = %s ORDER BY id", (uscc,))


def state(uscc):
    """The enterprise's newest fact of each field."""
    return dict(sql("agencies", "SELECT DISTINCT ON (field) field, value FROM sme_fact WHERE uscc = %s "
                                "ORDER BY field, effective_at DESC, id DESC", (uscc,)))


def registered(uscc, **extra):
    return new_event("enterprise.registered", {"uscc": uscc, "name": "登记测试有限公司", "region_code": "540102",
                                               "industry_code": "C39", "size_class": "small", **extra})


def test_a_redelivered_registration_states_its_facts_once(container_for):
    container_for(AgenciesService, CONFIG, max_workers=1)   # one delivery at a time, in queue order
    event = registered("91540102MA01SME01X", park="拉萨经济技术开发区")

    publish(event)
    publish(event)
    publish(registered("91540102MA01SNT01X"))   # a sentinel: once it is stored, the duplicate was handled

    assert wait_for(lambda: len(facts("91540102MA01SNT01X")) >= 2)
    assert facts("91540102MA01SME01X") == [("region_code", "540102"), ("park", "拉萨经济技术开发区"),
                                           ("size_class", "small")]


def test_the_newest_fact_wins_whatever_arrives_first(container_for):
    container_for(AgenciesService, CONFIG)
    uscc = "91540102MA01SME02X"
    first, later = registered(uscc), new_event("enterprise.size_class_changed", {
        "uscc": uscc, "region_code": "540102", "from": "small", "to": "large"})
    later["occurred_at"] = (datetime.fromisoformat(first["occurred_at"]) + timedelta(seconds=5)).isoformat()

    publish(later)
    assert wait_for(lambda: len(facts(uscc)) == 2)
    publish(first)

    assert wait_for(lambda: len(facts(uscc)) == 5)
    assert state(uscc) == {"region_code": "540102", "park": None, "size_class": "large"}


def test_an_event_breaking_the_contract_is_parked_with_nothing_stored(container_for):
    container_for(AgenciesService, CONFIG)
    queue = dead_letter_queue_name("agencies.register_sme")
    drain(queue)
    broken = new_event("enterprise.registered", {"uscc": "91540102MA01SME03X"})

    publish(broken)

    assert wait_for(lambda: depth(queue) == 1)
    [(headers, body)] = drain(queue)
    assert json.loads(body)["event_id"] == broken["event_id"]
    assert "enterprise.registered payload unusable" in headers["x-onenet-error"]
    assert facts("91540102MA01SME03X") == []
