"""The provinces' rules without a broker: codes, rights, the checks of an event, where outbound goes."""
import re
import uuid

import pytest

from chassis import provinces
from chassis.provinces import Rejected, unpack
from infra import accounts
from infra import provinces as province_accounts
from services.agencies import schemas as agencies_contract
from services.enterprises import schemas as enterprises_contract
from services.provinces import routing
from services.requests import schemas as requests_contract

CONTRACTS = (enterprises_contract.PROVINCIAL_EVENTS + requests_contract.PROVINCIAL_EVENTS
             + agencies_contract.PROVINCIAL_EVENTS)


def test_the_network_has_31_provinces_without_taiwan_hong_kong_and_macao():
    codes = provinces.province_codes()
    assert len(codes) == 31
    assert codes[:3] == ("11", "12", "13") and codes[-1] == "65"
    assert not {"71", "81", "82"} & set(codes)
    assert provinces.user_name("44") == "province-44"
    assert provinces.user_name("44", "suite.") == "suite.province-44"


def test_a_province_may_configure_nothing_write_only_inbound_under_its_code_and_read_its_two_queues():
    grants = province_accounts.province_grants("44")
    assert (grants.configure, grants.write) == ("^$", r"^onenet\.provinces\.in$")
    assert grants.read == r"^(province\.44\.outbound|province\.44\.dead\-letter)$"
    write, read = grants.topics["onenet.provinces.in"]
    assert (write, read) == (r"^44\.[a-z_]+\.[a-z_]+$", "^$")
    for key in ("44.enterprise.upserted", "44.policy.published"):
        assert re.match(write, key)
    for key in ("45.enterprise.upserted", "44.enterprise", "444.enterprise.upserted", "44.#"):
        assert not re.match(write, key), key
    for queue in ("province.45.outbound", "province.44.outbound.x", "enterprises.ingest_provincial_enterprise"):
        assert not re.match(grants.read, queue), queue


def test_province_definitions_carry_new_passwords_only_for_the_users_made():
    made = province_accounts.definitions("onenet", {"44": "plain-password-of-44"}, ("44", "45"), "suite.")
    assert [user["name"] for user in made["users"]] == ["suite.province-44"]
    assert [entry["user"] for entry in made["permissions"]] == ["suite.province-44", "suite.province-45"]
    assert "plain-password-of-44" not in str(made)  # "-" is no base64 character, so no hash holds it


def test_an_ingesting_service_binds_only_its_types_and_parks_only_in_province_dead_letter_queues():
    grants = accounts.broker_grants("enterprises", ingests={"*.enterprise.upserted"})
    assert grants.topics["onenet.provinces.in"] == ("^$", r"^(\*\.enterprise\.upserted)$")
    parks = grants.topics["onenet.redelivery"][0]
    assert re.match(parks, "province.44.dead-letter") and re.match(parks, "enterprises.x.dead-letter")
    assert not re.match(parks, "requests.x.dead-letter")
    assert re.match(grants.read, "onenet.provinces.in") and not re.match(grants.write, "onenet.provinces.in")
    assert not re.match(grants.configure, "onenet.provinces.in")


def test_only_the_relay_writes_to_the_outbound_exchange():
    relay = accounts.broker_grants("provinces", forwards_to_provinces=True)
    assert re.match(relay.write, "onenet.provinces.out")
    assert relay.topics["onenet.provinces.out"] == (r"^([0-9]{2}\.[a-z_]+\.[a-z_]+)$", "^$")
    assert not re.match(accounts.broker_grants("requests").write, "onenet.provinces.out")


def envelope(event_type="enterprise.upserted", payload=None, **fields):
    event = {"event_id": str(uuid.uuid4()), "type": event_type, "version": 1,
             "occurred_at": "2026-11-26T05:37:04+08:00", "source": "gd", "correlation_id": "c",
             "payload": enterprises_contract.ENTERPRISE_UPSERTED.example if payload is None else payload}
    event.update(fields)
    return event


@pytest.mark.parametrize("body, routing_key, user_id, reason, message", [
    (envelope(), "44.enterprise.upserted", None, "wrong_publisher",
     "the message carries no user_id; publish with user_id set to your RabbitMQ user"),
    (envelope(), "44.enterprise.upserted", "province-45", "wrong_publisher",
     "user_id 'province-45' is not 'province-44', the publisher the routing key 44.enterprise.upserted names"),
    (envelope(), "71.enterprise.upserted", "province-71", "wrong_publisher",
     "routing key 71.enterprise.upserted names no province of the network"),
    ([1, 2], "44.enterprise.upserted", "province-44", "malformed", "event body must be a JSON object, got list"),
    (envelope(occurred_at="2026-11-26T05:37:04"), "44.enterprise.upserted", "province-44", "malformed",
     "occurred_at must carry a time zone"),
    (envelope("agency.upserted"), "44.enterprise.upserted", "province-44", "type_mismatch",
     "type 'agency.upserted' does not match routing key 44.enterprise.upserted"),
    (envelope(version=2), "44.enterprise.upserted", "province-44", "unsupported_version",
     "enterprise.upserted version 2 is not supported; supported: 1"),
    (envelope(payload={**enterprises_contract.ENTERPRISE_UPSERTED.example, "source_version": 0}),
     "44.enterprise.upserted", "province-44", "invalid_payload",
     "source_version: Must be greater than or equal to 1 and less than or equal to 9223372036854775807."),
])
def test_an_event_is_rejected_for_the_first_check_it_fails(body, routing_key, user_id, reason, message):
    with pytest.raises(Rejected) as rejected:
        unpack(body, routing_key, user_id, enterprises_contract.ENTERPRISE_UPSERTED)
    assert (rejected.value.reason, rejected.value.message) == (reason, message)


def test_an_event_that_passes_carries_its_province_and_loaded_payload():
    event = unpack(envelope(), "44.enterprise.upserted", "suite.province-44",
                   enterprises_contract.ENTERPRISE_UPSERTED, "suite.")
    assert (event.province, event.type, event.version) == ("44", "enterprise.upserted", 1)
    assert event.payload["figures"][0]["year"] == 2024 and event.occurred_at.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.type)
def test_every_provincial_type_has_a_valid_example_of_its_latest_version(contract):
    assert contract.loader(contract.latest).load(contract.example)
    assert contract.owner in ("enterprises", "requests", "agencies")


def test_the_region_must_lie_in_the_publishing_province():
    provinces.check_within("44", "440106")
    with pytest.raises(Rejected) as rejected:
        provinces.check_within("44", "450102")
    assert rejected.value.reason == "outside_province"


ALL = set(provinces.province_codes())


@pytest.mark.parametrize("event_type, payload, concerned", [
    ("request.assigned", {"origin_province": "44", "agency_region_code": "440106"}, {"44"}),
    ("request.assigned", {"origin_province": None, "agency_region_code": "440106"}, set()),
    ("request.escalated", {"origin_province": None, "agency_region_code": "440100",
                           "from_agency_region_code": "440106"}, {"44"}),
    ("request.escalated", {"origin_province": "32", "agency_region_code": "000000",
                           "from_agency_region_code": "440000"}, {"32", "44"}),
    ("request.resolved", {"origin_province": "44", "agency_region_code": "450100"}, {"44"}),
    ("policy.published", {"region_code": "440000"}, {"44"}),
    ("policy.withdrawn", {"region_code": "440106"}, {"44"}),
    ("policy.published", {"region_code": "000000"}, ALL),
    ("enterprise.tier_changed", {"region_code": "440106", "decided_by": "national_admin"}, {"44"}),
    ("enterprise.tier_changed", {"region_code": "440106", "decided_by": "province_admin"}, set()),
    ("enterprise.tier_changed", {"region_code": "440106", "decided_by": "system"}, set()),
])
def test_an_event_reaches_the_outbound_queues_of_the_provinces_it_concerns(event_type, payload, concerned):
    assert routing.concerned({"type": event_type, "payload": payload}) == concerned


def test_the_event_catalogue_is_what_the_schemas_say():
    from infra import event_catalogue
    assert event_catalogue.main(["--check"]) == 0, "run python -m infra.event_catalogue"
