"""夯实基层基础: each agency's yearly capacity record, versioned, frozen once its year is closed.

A record states the agency's full- and part-time service staff and their
qualifications, its funding by source (财政资金, 专项资金, 政府购买服务, 其他;
万元), its service hall, its IT build-out, the quality certifications it holds
with their expiry, and the service commitment and covenant (服务承诺、服务公约)
its guide shows beside the six publics. Every edit by an admin of the agency's
region stores a new version; the newest is the record, and the older ones stay
as they were. Once a province closes a year (the national agency's own record:
the national admin, province ``00``), its agencies' records for that year
answer every edit with a conflict.
"""
from datetime import date

from chassis.errors import Conflict, NotFound
from services.agencies import capacity_store
from services.agencies.schemas import CapacityRecorded, CapacityYearClosedEvent, province_of_region

FUNDING_COLUMNS = {"fiscal": "funding_fiscal", "special_fund": "funding_special",
                   "purchased_services": "funding_purchased", "other": "funding_other"}


# -- rules ---------------------------------------------------------------------------

def check_year_open(closure, year):
    """``Conflict`` when the year's records are frozen."""
    if closure is not None:
        message = f"the year {year} was closed on {closure['closed_at']:%Y-%m-%d}; its records are frozen"
        raise Conflict(message, {"year": [message]})


def stored_row(agency_id, data, version, actor, now):
    """The columns of a new version of an agency's record from validated ``data``."""
    premises, it = data.get("premises") or {}, data["it"]
    return {
        "agency_id": agency_id, "year": data["year"], "version": version,
        "full_time_staff": data["full_time_staff"], "part_time_staff": data["part_time_staff"],
        "qualifications": data.get("qualifications", []),
        **{column: data["funding"].get(source, 0) for source, column in FUNDING_COLUMNS.items()},
        "hall_area_m2": premises.get("hall_area_m2"), "address": premises.get("address"),
        "network_connected": it["network_connected"], "online_service_pct": it.get("online_service_pct"),
        "certifications": [{**item, "expires_on": item["expires_on"].isoformat()}
                           for item in data.get("certifications", [])],
        "commitment": data.get("commitment", ""), "covenant": data.get("covenant", ""),
        "recorded_by": actor, "recorded_at": now,
    }


def certifications_held(row, today):
    """The record's certifications, each marked expired or not on ``today``."""
    return [{**item, "expired": date.fromisoformat(str(item["expires_on"])) < today}
            for item in row["certifications"]]


def funding_of(row):
    return {source: float(row[column]) for source, column in FUNDING_COLUMNS.items()}


def view(row, region_code, closed, today):
    """One version as the contract's ``CapacityRecord``."""
    funding = funding_of(row)
    return {
        **{key: row[key] for key in ("agency_id", "year", "version", "full_time_staff", "part_time_staff",
                                     "qualifications", "commitment", "covenant", "recorded_by", "recorded_at")},
        "region_code": region_code,
        "funding": funding, "funding_total": round(sum(funding.values()), 2),
        "premises": {"hall_area_m2": float(row["hall_area_m2"]) if row["hall_area_m2"] is not None else None,
                     "address": row["address"]},
        "it": {"network_connected": row["network_connected"],
               "online_service_pct": float(row["online_service_pct"])
               if row["online_service_pct"] is not None else None},
        "certifications": certifications_held(row, today),
        "year_closed": closed,
    }


def published_beside_guide(row, today):
    """What an agency's guide shows from its latest record: commitment, covenant, certifications."""
    if row is None:
        return {"commitment": "", "covenant": "", "certifications": []}
    return {"commitment": row["commitment"], "covenant": row["covenant"],
            "certifications": certifications_held(row, today)}


# -- use cases -----------------------------------------------------------------------

def record(tx, outbox, agency, data, actor, now, today):
    """Store a new version of ``agency``'s record for ``data["year"]``; emits ``capacity.recorded``.

    ``agency`` is locked by the caller, so versions follow one another.
    """
    province, year = province_of_region(agency["region_code"]), data["year"]
    capacity_store.lock_year(tx, province, year)
    check_year_open(capacity_store.year_closure(tx, province, year), year)
    version = capacity_store.latest_version(tx, agency["id"], year) + 1
    row = capacity_store.insert_record(tx, stored_row(agency["id"], data, version, actor, now))
    shown = view(row, agency["region_code"], False, today)
    outbox.add(tx, "capacity.recorded", CapacityRecorded().dump({
        **shown, "agency_id": agency["id"], "region_code": agency["region_code"]}), aggregate_id=agency["id"])
    return shown


def versions(tx, agency, year, today):
    """Every version of the agency's record for ``year``, newest first (``NotFound`` without one)."""
    rows = capacity_store.records(tx, agency["id"], year)
    if not rows:
        raise NotFound(f"agency {agency['id']} has no capacity record for {year}",
                       {"agency_id": agency["id"], "year": year})
    closed = capacity_store.year_closure(tx, province_of_region(agency["region_code"]), year) is not None
    return [view(row, agency["region_code"], closed, today) for row in rows]


def close_year(tx, outbox, province_code, year, actor, now):
    """Close a province's year (idempotent: closing it again answers the first closure);
    emits ``capacity.year_closed`` the first time."""
    province = province_of_region(province_code)
    capacity_store.lock_year(tx, province, year, closing=True)
    closure, new = capacity_store.close_year(tx, province, year, actor, now)
    if new:
        outbox.add(tx, "capacity.year_closed", CapacityYearClosedEvent().dump(
            {"province": province_code, "year": year}), aggregate_id=province)
    return {**closure, "province": province_code}
