"""SQL over the requests service's copy of the agency hierarchy, the guides' time limits and the
providers' admissions.

The agencies service owns them all; this copy follows its ``agency.created``,
``agency.updated``, ``guide.published`` and ``provider.*`` events (through the
inbox) and is filled once from its snapshot, so that routing (``route_among`` of
the agencies' contract, :mod:`services.agencies.contract.routing`, the same rule
the agencies service applies), deadlines, escalation and the provider a step
names read only this service's schema. A change older than the one copied never
overwrites it: agencies, providers and admissions by the time of the change,
guides by version.
"""
from psycopg2.extras import execute_values

from chassis.db import Prepared

from services.agencies.contract.routing import coverage_prefix, covering_prefixes, depth_of

AGENCY_FIELDS = ("id", "name", "level", "region_code", "region_prefix", "depth", "parent_id", "park",
                 "service_areas", "active", "changed_at")


def _agency_row(agency, changed_at):
    return (agency["id"], agency["name"], agency["level"], agency["region_code"],
            coverage_prefix(agency["region_code"]), depth_of(agency["level"]),
            agency.get("parent_id"), agency.get("park"), list(agency.get("service_areas") or ()),
            agency.get("active", True), changed_at)


def copy_agencies(tx, stamped):
    """Copy ``(agency, changed_at)`` pairs (:class:`AgencyAnnounced` payloads), each unless a later
    change of it is copied already. Rows go in id order, so that two consumers copying overlapping
    batches lock them in one order and never deadlock."""
    if not stamped:
        return
    execute_values(
        tx.cursor,
        f"INSERT INTO agency ({', '.join(AGENCY_FIELDS)}) VALUES %s ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{field} = EXCLUDED.{field}" for field in AGENCY_FIELDS[1:])
        + " WHERE agency.changed_at <= EXCLUDED.changed_at",
        [_agency_row(agency, changed_at) for agency, changed_at in sorted(stamped, key=lambda pair: pair[0]["id"])],
        page_size=1000)


def latest(stamped):
    """Of several ``(agency, changed_at)`` pairs for one agency, the latest (one statement may
    change a row once)."""
    found = {}
    for agency, changed_at in stamped:
        kept = found.get(agency["id"])
        if kept is None or kept[1] <= changed_at:
            found[agency["id"]] = (agency, changed_at)
    return list(found.values())


def copy_guide(tx, guide):
    """Copy a guide's time limits (a :class:`GuidePublished` payload) unless a later version is copied."""
    newer = tx.one("INSERT INTO guide_copy (agency_id, version) VALUES (%(agency_id)s, %(version)s) "
                   "ON CONFLICT (agency_id) DO UPDATE SET version = EXCLUDED.version "
                   "WHERE guide_copy.version < EXCLUDED.version RETURNING agency_id", guide)
    if newer is None:
        return False
    tx.execute("DELETE FROM guide_time_limit WHERE agency_id = %s", (guide["agency_id"],))
    if guide["time_limits"]:
        execute_values(tx.cursor, "INSERT INTO guide_time_limit (agency_id, service_area, accept_days, "
                       "resolve_days) VALUES %s",
                       [(guide["agency_id"], item["service_area"], item["accept_days"], item["resolve_days"])
                        for item in guide["time_limits"]])
    return True


def copy_provider(tx, provider, changed_at):
    """Copy where a provider is (a :class:`ProviderAnnounced` payload, or an admission's) unless a
    later change of it is copied already."""
    tx.execute("INSERT INTO provider (id, region_code, changed_at) VALUES (%s, %s, %s) "
               "ON CONFLICT (id) DO UPDATE SET region_code = EXCLUDED.region_code, changed_at = EXCLUDED.changed_at "
               "WHERE provider.changed_at <= EXCLUDED.changed_at",
               (provider["provider_id"], provider["region_code"], changed_at))


def copy_admissions(tx, stamped):
    """Copy ``(provider_id, service_area, admitted, changed_at)`` tuples, each unless a later change of
    that membership is copied already."""
    if not stamped:
        return
    execute_values(tx.cursor, "INSERT INTO provider_admission (provider_id, service_area, admitted, changed_at) "
                   "VALUES %s ON CONFLICT (provider_id, service_area) DO UPDATE SET "
                   "admitted = EXCLUDED.admitted, changed_at = EXCLUDED.changed_at "
                   "WHERE provider_admission.changed_at <= EXCLUDED.changed_at", list(stamped))


def copy_admission(tx, change, admitted, changed_at):
    """Copy a ``provider.admitted`` (``admitted``) or ``provider.exited`` payload: where the provider
    is, and its membership in the area."""
    copy_provider(tx, change, changed_at)
    copy_admissions(tx, [(change["provider_id"], change["service_area"], admitted, changed_at)])


def snapshot_size(tx):
    """How many agencies the snapshot the copy was filled from held; None until it has been."""
    row = tx.one("SELECT agencies FROM agency_snapshot")
    return row and row["agencies"]


def fill(tx, snapshot):
    """Copy an :class:`AgencySnapshot` (events copied meanwhile keep what is newer) and note it
    taken: ``(agencies, guides)`` in it."""
    copy_agencies(tx, [(agency, agency["updated_at"]) for agency in snapshot["agencies"]])
    for guide in snapshot["guides"]:
        copy_guide(tx, guide)
    for provider in snapshot["providers"]:
        copy_provider(tx, provider, provider["updated_at"])
        copy_admissions(tx, [(provider["provider_id"], membership["service_area"], membership["state"] == "admitted",
                              membership["since"]) for membership in provider["memberships"]])
    tx.execute("INSERT INTO agency_snapshot (agencies, guides) VALUES (%s, %s) ON CONFLICT DO NOTHING",
               (len(snapshot["agencies"]), len(snapshot["guides"])))
    return len(snapshot["agencies"]), len(snapshot["guides"])


def status(tx):
    """How much is copied: ``{"agencies", "guides", "snapshot_taken_at"}``."""
    return tx.one("SELECT (SELECT count(*) FROM agency) AS agencies, (SELECT count(*) FROM guide_copy) AS guides, "
                  "(SELECT taken_at FROM agency_snapshot) AS snapshot_taken_at")


# -- what requests read -------------------------------------------------------------

# Every submission routes (planning it took PostgreSQL longer than running it): prepared.
ROUTE_CANDIDATES = Prepared(
    "SELECT a.*, t.accept_days AS guide_accept_days, t.resolve_days AS guide_resolve_days "
    "FROM agency a LEFT JOIN guide_time_limit t ON t.agency_id = a.id AND t.service_area = %(area)s "
    "WHERE a.region_prefix = ANY(%(prefixes)s::text[]) AND (a.level <> 'station' OR a.park = %(park)s)")


def route_candidates(tx, region_code, park, service_area):
    """Agencies whose coverage includes the place (stations only in ``park``), each with
    ``guide_limits``: the time limits its guide commits to in ``service_area`` (``{"accept_days",
    "resolve_days"}``, as :func:`time_limits` answers them), or None."""
    rows = tx.all(ROUTE_CANDIDATES, {"prefixes": covering_prefixes(region_code), "park": park, "area": service_area})
    for row in rows:
        accept_days, resolve_days = row.pop("guide_accept_days"), row.pop("guide_resolve_days")
        row["guide_limits"] = (None if accept_days is None else
                               {"accept_days": accept_days, "resolve_days": resolve_days})
    return rows


def agency(tx, agency_id):
    """One agency, or None when none with that id is known."""
    return tx.one("SELECT * FROM agency WHERE id = %s", (agency_id,))


def parents(tx, agency_ids):
    """``{agency id: its parent, or None at national level}`` for the known agencies among
    ``agency_ids`` (an agency whose parent is not known yet is left out, like an unknown one)."""
    rows = tx.all("SELECT a.id AS child_id, a.parent_id AS child_parent_id, p.* FROM agency a "
                  "LEFT JOIN agency p ON p.id = a.parent_id WHERE a.id = ANY(%s)", (list(agency_ids),))
    found = {}
    for row in rows:
        child, parent_id = row.pop("child_id"), row.pop("child_parent_id")
        if parent_id is None:
            found[child] = None
        elif row["id"] is not None:
            found[child] = row
    return found


def provider(tx, provider_id):
    """``{"id", "region_code", "memberships": [{"service_area", "state": "admitted"}]}`` (the areas it is
    admitted in), or None when no provider with that id is known."""
    return tx.one("SELECT p.id, p.region_code, coalesce(json_agg(json_build_object("
                  "'service_area', a.service_area, 'state', 'admitted') ORDER BY a.service_area) "
                  "FILTER (WHERE a.admitted), '[]') AS memberships FROM provider p "
                  "LEFT JOIN provider_admission a ON a.provider_id = p.id WHERE p.id = %s GROUP BY p.id",
                  (provider_id,))


def time_limits(tx, pairs):
    """``{(agency id, service area): {"accept_days", "resolve_days"}}`` of the guides that commit
    to time limits for those pairs."""
    if not pairs:
        return {}
    rows = tx.all("SELECT t.agency_id, t.service_area, t.accept_days, t.resolve_days FROM guide_time_limit t "
                  "JOIN unnest(%s::integer[], %s::text[]) AS p (agency_id, service_area) "
                  "USING (agency_id, service_area)",
                  ([agency_id for agency_id, _ in pairs], [area for _, area in pairs]))
    return {(row["agency_id"], row["service_area"]): {"accept_days": row["accept_days"],
                                                     "resolve_days": row["resolve_days"]} for row in rows}
