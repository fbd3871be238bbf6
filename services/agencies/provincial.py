"""What provinces publish to the agencies service: their agencies and their policies.

``agency.upserted``: the agency of a province, city or county region is the
national skeleton's (one per division); a province takes it over under its own
reference and sets its name, service areas and state. A park station is added
under its county's agency. ``policy.published``: the policy joins the national
library (惠企政策汇集) under the agency of its scope's region, published at
once, so the network pushes it to the SMEs it applies to; a newer version of a
published policy withdraws it and publishes the replacement.
``policy.withdrawn`` withdraws it. Everything must lie in the publishing
province; each event has one effect and an older version is ignored.
"""
from chassis import provinces
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.provinces import (APPLIED, DUPLICATE, INVALID_PAYLOAD, NOT_ALLOWED, STALE, UNKNOWN_REFERENCE,
                               Rejected, claim_version)
from services.agencies import domain, library_store, policies, store

AGENCY, POLICY = "agency", "policy"
PARENT_LEVEL = {"province": None, "city": "province", "county": "city"}


def _claim(tx, inbox, event, entity, ref):
    if not inbox.first_delivery(tx, event.envelope):
        return DUPLICATE
    if not claim_version(tx, event, entity, ref, event.payload["source_version"]):
        return STALE
    return None


def _rules(step, *args):
    """``step(*args)`` with the library's refusals as the province's rejections."""
    try:
        return step(*args)
    except ValidationFailed as exc:
        raise Rejected(INVALID_PAYLOAD, f"{exc.message}: {exc.details}") from None
    except (Conflict, NotFound) as exc:
        raise Rejected(NOT_ALLOWED, f"{exc.message}: {exc.details}") from None


# -- agencies ----------------------------------------------------------------------------------

def _parent_for(tx, data):
    """The agency a new agency or station of the province goes under."""
    region = data["region_code"]
    if data["level"] == "station":
        return store.agency_at(tx, region)
    for code in (region[:4] + "00", region[:2] + "0000"):
        if code != region:
            parent = store.agency_at(tx, code)
            if parent is not None and domain.LEVEL_DEPTH[parent["level"]] < domain.LEVEL_DEPTH[data["level"]]:
                return parent
    return None


def upsert_agency(tx, outbox, inbox, event):
    """Take over, update or add the agency in ``event``; APPLIED, STALE or DUPLICATE."""
    data = event.payload
    provinces.check_within(event.province, data["region_code"])
    claimed = _claim(tx, inbox, event, AGENCY, data["agency_ref"])
    if claimed:
        return claimed
    changes = {"name": data["name"], "active": data["active"],
               **({"service_areas": data["service_areas"]} if data.get("service_areas") else {}),
               **({"park": data["park"]} if data.get("park") else {})}
    local_id = store.provincial_ref(tx, event.province, AGENCY, data["agency_ref"])
    agency = store.get_agency(tx, local_id, lock=True) if local_id else None
    if agency is None and data["level"] != "station":
        agency = store.agency_at(tx, data["region_code"], lock=True)
    if agency is None and data["level"] == "station":
        parent = _parent_for(tx, data)
        agency = store.station_of(tx, parent["id"], data["park"], data["name"]) if parent else None
    if agency is not None:
        if (agency["level"], agency["region_code"]) != (data["level"], data["region_code"]):
            raise Rejected(NOT_ALLOWED, f"agency {data['agency_ref']} is a {agency['level']} agency of "
                                        f"{agency['region_code']}; its level and region do not change")
        updated = _rules(domain.changed_agency, agency, {k: v for k, v in changes.items() if k != "park"
                                                         or agency["level"] == "station"})
        row = store.update_agency(tx, updated)
        outbox.add(tx, "agency.updated", domain.event_payload(row, changes),
                   aggregate_id=row["id"])
    else:
        parent = _parent_for(tx, data)
        if parent is None:
            raise Rejected(UNKNOWN_REFERENCE, f"no agency above {data['region_code']} to put "
                                              f"agency {data['agency_ref']} under")
        row = store.insert_agency(tx, _rules(domain.new_agency, {**data, "parent_id": parent["id"]}, parent))
        outbox.add(tx, "agency.created", domain.event_payload(row), aggregate_id=row["id"])
    store.map_provincial_ref(tx, event.province, AGENCY, data["agency_ref"], row["id"])
    return APPLIED


# -- policies ----------------------------------------------------------------------------------

def publish_policy(tx, outbox, inbox, event, today):
    """Add the policy in ``event`` to the library, published (replacing an earlier version)."""
    data = event.payload
    provinces.check_within(event.province, data["region_code"], "the policy's scope region_code")
    claimed = _claim(tx, inbox, event, POLICY, data["policy_ref"])
    if claimed:
        return claimed
    publisher = store.agency_at(tx, data["region_code"])
    if publisher is None:
        raise Rejected(UNKNOWN_REFERENCE, f"no agency of region {data['region_code']} to publish the policy under")
    earlier_id = store.provincial_ref(tx, event.province, POLICY, data["policy_ref"])
    if earlier_id is not None:
        earlier = library_store.get_policy(tx, earlier_id, lock=True)
        if earlier is not None and earlier["state"] == "published":
            _withdraw(tx, outbox, earlier, f"replaced by version {data['source_version']} from province "
                                           f"{event.province}")
    values = {**{key: value for key, value in data.items() if key not in ("source_version", "policy_ref")},
              "agency_id": publisher["id"], "region_prefix": domain.coverage_prefix(data["region_code"])}
    _rules(policies.check_scope, values, publisher)
    draft = library_store.insert_policy(tx, values)
    _rules(policies.check_publishable, draft, today)
    row = library_store.set_policy_state(tx, draft["id"], policies.next_state(draft, "publish"))
    store.index_entry(tx, "policy", row["id"], policies.search_document(row))
    outbox.add(tx, "policy.published", policies.published_event(row), aggregate_id=row["id"])
    store.map_provincial_ref(tx, event.province, POLICY, data["policy_ref"], row["id"])
    return APPLIED


def withdraw_policy(tx, outbox, inbox, event):
    """Withdraw the policy the province published under ``policy_ref``."""
    data = event.payload
    claimed = _claim(tx, inbox, event, POLICY, data["policy_ref"])
    if claimed:
        return claimed
    local_id = store.provincial_ref(tx, event.province, POLICY, data["policy_ref"])
    policy = library_store.get_policy(tx, local_id, lock=True) if local_id else None
    if policy is None:
        raise Rejected(UNKNOWN_REFERENCE, f"province {event.province} published no policy {data['policy_ref']}",
                       retry=True)
    provinces.check_within(event.province, policy["region_code"], "the policy's scope region_code")
    _rules(policies.next_state, policy, "withdraw")
    _withdraw(tx, outbox, policy, data["reason"])
    return APPLIED


def _withdraw(tx, outbox, policy, reason):
    row = library_store.set_policy_state(tx, policy["id"], "withdrawn", reason)
    store.index_entry(tx, "policy", row["id"], policies.search_document(row))
    if policy["state"] == "published":
        outbox.add(tx, "policy.withdrawn", policies.closed_event(row, reason), aggregate_id=row["id"])
    return row

