"""Every event a service publishes is declared in its contract, and the catalogue lists exactly those.

Each publishing service hands ``schemas.EVENTS`` (type → payload schema) to its
outbox, which refuses any other type and any field the schema does not declare.
"""
import re
from pathlib import Path

import pytest

from chassis.outbox import EventContract, UndeclaredEvent
from infra.accounts import EVENTS_PUBLISHED
from services.activities import schemas as activities
from services.agencies import schemas as agencies
from services.enterprises import schemas as enterprises
from services.requests import schemas as requests

CONTRACTS = {"agencies": agencies, "enterprises": enterprises, "requests": requests, "activities": activities}
CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def catalogued():
    """{type: source} from the network events' table of docs/events.md (before the provincial part;
    a source cell may add words after the service)."""
    types = {}
    network_part = CATALOGUE.read_text(encoding="utf-8").split("<!-- provincial events")[0]
    for line in network_part.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`") and "<code>" not in cells[0]:
            for event_type in re.findall(r"`([a-z_]+\.[a-z_]+)`", cells[0]):
                types[event_type] = cells[1].split()[0]
    return types


def test_the_catalogue_lists_every_declared_event_under_its_source_and_no_other():
    declared = {event_type: source for source, contract in CONTRACTS.items() for event_type in contract.EVENTS}
    assert catalogued() == declared


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_a_service_announces_only_event_types_its_broker_user_may_publish(source):
    prefixes = EVENTS_PUBLISHED[source]
    assert [event_type for event_type in CONTRACTS[source].EVENTS if event_type.split(".")[0] not in prefixes] == []


def test_the_outbox_refuses_an_event_its_contract_does_not_declare():
    contract = EventContract(requests.EVENTS)
    contract.check("request.rated", [{"request_id": "x", "score": 5}])
    with pytest.raises(UndeclaredEvent, match="request.renamed is not an event"):
        contract.check("request.renamed", [{}])
    with pytest.raises(UndeclaredEvent, match="RequestRated does not declare: mood"):
        contract.check("request.rated", [{"request_id": "x", "score": 5, "mood": "fine"}])


def test_a_field_sent_under_another_name_is_declared_by_that_name():
    contract = EventContract(enterprises.EVENTS)
    contract.check("enterprise.size_class_changed", [{"uscc": "x", "region_code": "110105", "from": "small",
                                                      "to": "medium"}])
    with pytest.raises(UndeclaredEvent):
        contract.check("enterprise.size_class_changed", [{"old": "small"}])
