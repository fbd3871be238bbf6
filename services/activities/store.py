"""SQL over the ``activities`` schema for activities, occurrences, registrations and ratings,
and the local read models; nothing else touches it (the boards' SQL is ``board_store``)."""
from psycopg2.extras import Json, execute_values

from reference import workdays

OCCURRENCE_VIEW = """
    SELECT o.*, a.agency_id AS publisher_agency_id, a.kind, a.title, a.description, a.venue, a.online_url,
           g.name AS agency_name
    FROM occurrence o JOIN activity a ON a.id = o.activity_id LEFT JOIN agency g ON g.id = o.agency_id"""


# -- read models -------------------------------------------------------------------------------

def upsert_agency(tx, agency):
    tx.execute(
        "INSERT INTO agency (id, name, level, region_code, parent_id, park, active) "
        "VALUES (%(id)s, %(name)s, %(level)s, %(region_code)s, %(parent_id)s, %(park)s, %(active)s) "
        "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, "
        "region_code = EXCLUDED.region_code, parent_id = EXCLUDED.parent_id, park = EXCLUDED.park, "
        "active = EXCLUDED.active",
        {"parent_id": None, "park": None, "active": True, **agency})


def agencies(tx, ids):
    """``{id: agency row}`` of the agencies known here among ``ids``."""
    rows = tx.all("SELECT * FROM agency WHERE id = ANY(%s)", (list(ids),))
    return {row["id"]: row for row in rows}


def set_membership(tx, provider, admitted, changed_at):
    """Record a provider's admission or exit in one area, unless a later change is already recorded;
    the details it carries (name, region) count as the provider's as of ``changed_at``."""
    upsert_provider(tx, provider, changed_at)
    tx.execute(
        "INSERT INTO provider_membership (provider_id, service_area, name, uscc, region_code, admitted, changed_at) "
        "VALUES (%(provider_id)s, %(service_area)s, %(name)s, %(uscc)s, %(region_code)s, %(admitted)s, "
        "%(changed_at)s) ON CONFLICT (provider_id, service_area) DO UPDATE SET name = EXCLUDED.name, "
        "uscc = EXCLUDED.uscc, region_code = EXCLUDED.region_code, admitted = EXCLUDED.admitted, "
        "changed_at = EXCLUDED.changed_at WHERE provider_membership.changed_at <= EXCLUDED.changed_at",
        {**provider, "admitted": admitted, "changed_at": changed_at})


def upsert_provider(tx, provider, changed_at):
    """Who a provider is and where (a :class:`ProviderAnnounced` payload, or an admission's), unless
    a later change of it is recorded already."""
    tx.execute(
        "INSERT INTO provider (provider_id, name, uscc, region_code, changed_at) "
        "VALUES (%(provider_id)s, %(name)s, %(uscc)s, %(region_code)s, %(changed_at)s) "
        "ON CONFLICT (provider_id) DO UPDATE SET name = EXCLUDED.name, uscc = EXCLUDED.uscc, "
        "region_code = EXCLUDED.region_code, changed_at = EXCLUDED.changed_at "
        "WHERE provider.changed_at <= EXCLUDED.changed_at",
        {**provider, "changed_at": changed_at})


def admitted_provider(tx, uscc, service_area):
    """The provider with this USCC admitted in ``service_area`` (where it is now), or None."""
    return tx.one("SELECT p.provider_id, p.name, p.uscc, p.region_code FROM provider_membership m "
                  "JOIN provider p USING (provider_id) WHERE m.uscc = %s AND m.service_area = %s AND m.admitted",
                  (uscc, service_area))


def register_enterprise(tx, enterprise, version):
    """An SME as ``enterprise.registered`` announced it (an older announcement changes nothing)."""
    register_enterprises(tx, [enterprise], version)


def register_enterprises(tx, enterprises, version):
    """Many SMEs as their ``enterprise.registered`` announced them, in one statement (the demo
    network's bulk load uses it too); an older announcement changes nothing."""
    execute_values(
        tx.cursor,
        "INSERT INTO enterprise (uscc, name, region_code, industry_code, size_class, active_tiers, version) "
        "VALUES %s ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, region_code = EXCLUDED.region_code, "
        "industry_code = EXCLUDED.industry_code, size_class = EXCLUDED.size_class, "
        "active_tiers = EXCLUDED.active_tiers, version = EXCLUDED.version "
        "WHERE enterprise.version < EXCLUDED.version",
        [(e["uscc"], e["name"], e["region_code"], e["industry_code"], e.get("size_class"),
          list(e.get("active_tiers") or []), version) for e in enterprises],
        template="(%s, %s, %s, %s, %s, %s::text[], %s)", page_size=1000)


ENTERPRISE_FIELDS = ("name", "region_code", "industry_code", "size_class", "active_tiers")


def change_enterprise(tx, uscc, changes, version):
    """Apply ``{field: value}`` changes an event announced to a known SME."""
    changes = {name: value for name, value in changes.items() if name in ENTERPRISE_FIELDS}
    if not changes:
        return
    assignments = ", ".join(f"{name} = %({name})s" for name in changes)
    tx.execute(f"UPDATE enterprise SET {assignments}, version = greatest(version, %(version)s) "
               "WHERE uscc = %(uscc)s", {**changes, "uscc": uscc, "version": version})


def enterprise(tx, uscc):
    return tx.one("SELECT * FROM enterprise WHERE uscc = %s", (uscc,))


def replace_holiday_year(tx, year, holidays, workdays_):
    tx.execute("DELETE FROM holiday_schedule_day WHERE year = %s", (year,))
    rows = [(year, day, False) for day in holidays] + [(year, day, True) for day in workdays_]
    execute_values(tx.cursor, "INSERT INTO holiday_schedule_day (year, day, working) VALUES %s",
                   rows or [(year, None, None)])


def provisional_occurrences(tx, year):
    """Provisional occurrences the rule put in ``year`` that move to working days (to re-plan), locked."""
    return tx.all("SELECT o.id, o.activity_id, o.agency_id, o.planned_on, o.starts_at, a.title FROM occurrence o "
                  "JOIN activity a ON a.id = o.activity_id WHERE o.provisional AND a.on_rest_day = 'next_working_day' "
                  "AND o.planned_on >= make_date(%s, 1, 1) AND o.planned_on < make_date(%s + 1, 1, 1) "
                  "ORDER BY o.id FOR UPDATE OF o", (year, year))


def move_occurrence(tx, occurrence_id, days, moved_from, provisional):
    """Shift an occurrence and its registration window by ``days`` whole days."""
    tx.execute("UPDATE occurrence SET starts_at = starts_at + make_interval(days => %(days)s), "
               "ends_at = ends_at + make_interval(days => %(days)s), "
               "registration_opens_at = registration_opens_at + make_interval(days => %(days)s), "
               "registration_closes_at = registration_closes_at + make_interval(days => %(days)s), "
               "moved_from = %(moved_from)s, provisional = %(provisional)s WHERE id = %(id)s",
               {"days": days, "moved_from": moved_from, "provisional": provisional, "id": occurrence_id})


def load_calendar(tx):
    """The working-day calendar with every year operators have loaded (announced by requests)."""
    return workdays.calendar_of((row["year"], row["day"], row["working"])
                                for row in tx.all("SELECT year, day, working FROM holiday_schedule_day"))


# -- activities and occurrences ------------------------------------------------------------------

def insert_activity(tx, activity):
    return tx.one(
        "INSERT INTO activity (agency_id, region_code, kind, title, description, service_area, venue, online_url, "
        "capacity, criteria, partners, recurrence, on_rest_day, stations, published_by) VALUES "
        "(%(agency_id)s, %(region_code)s, %(kind)s, %(title)s, %(description)s, %(service_area)s, %(venue)s, "
        "%(online_url)s, %(capacity)s, %(criteria)s, %(partners)s, %(recurrence)s, %(on_rest_day)s, "
        "%(stations)s, %(published_by)s) RETURNING *",
        {**activity, "criteria": Json(activity["criteria"]), "partners": Json(activity["partners"])})


def insert_occurrences(tx, rows):
    """Insert occurrences (dicts) in one statement; their rows, in the order given."""
    columns = ("activity_id", "agency_id", "region_code", "sequence", "starts_at", "ends_at",
               "registration_opens_at", "registration_closes_at", "capacity", "planned_on", "moved_from",
               "provisional")
    return execute_values(
        tx.cursor, f"INSERT INTO occurrence ({', '.join(columns)}) VALUES %s RETURNING *",
        [tuple(row[column] for column in columns) for row in rows], page_size=1000, fetch=True)


def activity(tx, activity_id):
    return tx.one("SELECT a.*, g.name AS agency_name FROM activity a LEFT JOIN agency g ON g.id = a.agency_id "
                  "WHERE a.id = %s", (activity_id,))


def occurrences_of(tx, activity_id):
    return tx.all(f"{OCCURRENCE_VIEW} WHERE o.activity_id = %s ORDER BY o.starts_at, o.agency_id",
                  (activity_id,))


def occurrence(tx, occurrence_id, lock=False):
    """One occurrence with its activity's title and kind; ``lock`` takes the row's lock (registration)."""
    return tx.one(f"{OCCURRENCE_VIEW} WHERE o.id = %s" + (" FOR UPDATE OF o" if lock else ""), (occurrence_id,))


def _same(value):
    return value


def _starting(prefix):
    return prefix + "%"


# filter -> (condition, parameter from the filter's value)
ACTIVITY_FILTERS = {
    "agency_id": ("a.agency_id = %(agency_id)s", _same),
    "kind": ("a.kind = %(kind)s", _same),
    "region": ("a.region_code LIKE %(region)s", _starting),
}
OCCURRENCE_FILTERS = {
    "agency_id": ("(o.agency_id = %(agency_id)s OR a.agency_id = %(agency_id)s)", _same),
    "kind": ("a.kind = %(kind)s", _same),
    "region": ("o.region_code LIKE %(region)s", _starting),
    "starts_from": ("o.starts_at >= %(starts_from)s", workdays.moment_of),
    "starts_before": ("o.starts_at < %(starts_before)s", workdays.moment_of),
}


def where_of(filters, conditions):
    """``(WHERE clause, parameters)`` ANDing the condition of every filter given."""
    given = [name for name in conditions if filters.get(name) is not None]
    clause = " AND ".join(["true"] + [conditions[name][0] for name in given])
    return clause, {name: conditions[name][1](filters[name]) for name in given}


def list_activities(tx, filters, limit, offset):
    """Activities by publishing agency, kind and region, newest first."""
    where, params = where_of(filters, ACTIVITY_FILTERS)
    return tx.page("a.*, g.name AS agency_name", f"activity a LEFT JOIN agency g ON g.id = a.agency_id WHERE {where}",
                   params, "a.id DESC", limit, offset)


def calendar(tx, filters, limit, offset=0):
    """Occurrences by agency (held or published by it), kind, region and start day, earliest first."""
    where, params = where_of(filters, OCCURRENCE_FILTERS)
    source = ("occurrence o JOIN activity a ON a.id = o.activity_id LEFT JOIN agency g ON g.id = o.agency_id "
              f"WHERE {where}")
    return tx.page("o.*, a.agency_id AS publisher_agency_id, a.kind, a.title, a.description, a.venue, "
                   "a.online_url, g.name AS agency_name",
                   source, params, "o.starts_at, o.id", limit, offset)


# -- registrations ---------------------------------------------------------------------------------

REGISTRATION_VIEW = """
    SELECT r.occurrence_id, o.activity_id, r.uscc, r.state, r.registered_at, r.promoted_at, r.cancelled_at,
           r.checked_in_at,
           CASE WHEN r.state = 'waitlisted' THEN (
               SELECT count(*) FROM registration w
               WHERE w.occurrence_id = r.occurrence_id AND w.state = 'waitlisted' AND w.queued <= r.queued)
           END AS waitlist_position
    FROM registration r JOIN occurrence o ON o.id = r.occurrence_id"""


def live_registration(tx, occurrence_id, uscc):
    """The enterprise's registered or waitlisted registration for the occurrence, or None."""
    return tx.one("SELECT * FROM registration WHERE occurrence_id = %s AND uscc = %s AND state <> 'cancelled'",
                  (occurrence_id, uscc))


def add_registration(tx, occurrence, uscc, state):
    """Record the registration and count it on the occurrence, in one statement; the registration
    as readers see it (a new waiter's position is the count of waiters, itself the last)."""
    return tx.one(
        "WITH added AS (INSERT INTO registration (occurrence_id, uscc, state) VALUES (%(id)s, %(uscc)s, %(state)s) "
        "               RETURNING occurrence_id, uscc, state, registered_at, promoted_at, cancelled_at, "
        "               checked_in_at), "
        "counted AS (UPDATE occurrence SET registered = registered + (%(state)s = 'registered')::int, "
        "            waitlisted = waitlisted + (%(state)s = 'waitlisted')::int WHERE id = %(id)s "
        "            RETURNING waitlisted) "
        "SELECT added.*, %(activity_id)s AS activity_id, "
        "       CASE WHEN added.state = 'waitlisted' THEN counted.waitlisted END AS waitlist_position "
        "FROM added, counted",
        {"id": occurrence["id"], "activity_id": occurrence["activity_id"], "uscc": uscc, "state": state})


def cancel_registration(tx, registration_id):
    tx.execute("UPDATE registration SET state = 'cancelled', cancelled_at = now() WHERE id = %s",
               (registration_id,))


def promote_first_waiting(tx, occurrence_id):
    """Move the first of the waitlist up to a place; its USCC, or None when nobody waits."""
    row = tx.one(
        "UPDATE registration SET state = 'registered', promoted_at = now() WHERE id = ("
        "  SELECT id FROM registration WHERE occurrence_id = %s AND state = 'waitlisted' "
        "  ORDER BY queued LIMIT 1) RETURNING uscc", (occurrence_id,))
    return row["uscc"] if row else None


def live_registrants(tx, occurrence_id):
    """``{"registered": [uscc], "waitlisted": [uscc]}`` of an occurrence, each in queue order."""
    found = {"registered": [], "waitlisted": []}
    for row in tx.all("SELECT uscc, state FROM registration WHERE occurrence_id = %s "
                      "AND state IN ('registered', 'waitlisted') ORDER BY queued", (occurrence_id,)):
        found[row["state"]].append(row["uscc"])
    return found


def adjust_counts(tx, occurrence_id, registered, waitlisted):
    tx.execute("UPDATE occurrence SET registered = registered + %s, waitlisted = waitlisted + %s WHERE id = %s",
               (registered, waitlisted, occurrence_id))


def registration_view(tx, occurrence_id, uscc):
    """The enterprise's latest registration for the occurrence, as readers see it."""
    return tx.one(f"{REGISTRATION_VIEW} WHERE r.occurrence_id = %s AND r.uscc = %s ORDER BY r.id DESC LIMIT 1",
                  (occurrence_id, uscc))


def registrations(tx, occurrence_id, state, limit, offset):
    params = {"occurrence_id": occurrence_id}
    where = "r.occurrence_id = %(occurrence_id)s"
    if state:
        where += " AND r.state = %(state)s"
        params["state"] = state
    return tx.page("r.occurrence_id, o.activity_id, r.uscc, r.state, r.registered_at, r.promoted_at, "
                   "r.cancelled_at, r.checked_in_at, CASE WHEN r.state = 'waitlisted' THEN ("
                   "SELECT count(*) FROM registration w WHERE w.occurrence_id = r.occurrence_id "
                   "AND w.state = 'waitlisted' AND w.queued <= r.queued) END AS waitlist_position",
                   f"registration r JOIN occurrence o ON o.id = r.occurrence_id WHERE {where}",
                   params, "r.queued", limit, offset)


def check_in(tx, registration_id, by):
    tx.execute("UPDATE registration SET checked_in_at = now(), checked_in_by = %s WHERE id = %s",
               (by, registration_id))


def last_registration(tx, occurrence_id, uscc):
    """The enterprise's latest registration row for the occurrence (cancelled ones included)."""
    return tx.one("SELECT * FROM registration WHERE occurrence_id = %s AND uscc = %s ORDER BY id DESC LIMIT 1",
                  (occurrence_id, uscc))


def has_rated(tx, occurrence_id, uscc):
    return tx.one("SELECT 1 AS yes FROM rating WHERE occurrence_id = %s AND uscc = %s",
                  (occurrence_id, uscc)) is not None


def add_rating(tx, occurrence_id, uscc, score, comment):
    return tx.one("INSERT INTO rating (occurrence_id, uscc, score, comment) VALUES (%s, %s, %s, %s) "
                  "RETURNING occurrence_id, uscc, score, comment, rated_at",
                  (occurrence_id, uscc, score, comment))


def participation(tx, uscc):
    """An enterprise's part in activities: counts, attended by kind, the latest ten registrations."""
    counts = tx.one(
        "SELECT count(*) FILTER (WHERE r.state = 'registered') AS registered, "
        "count(*) FILTER (WHERE r.state = 'waitlisted') AS waitlisted, "
        "count(*) FILTER (WHERE r.checked_in_at IS NOT NULL) AS attended "
        "FROM registration r WHERE r.uscc = %s", (uscc,))
    rated = tx.one("SELECT count(*) AS ratings, round(avg(score)::numeric, 2)::float AS average "
                   "FROM rating WHERE uscc = %s", (uscc,))
    kinds = tx.all("SELECT a.kind, count(*) AS n FROM registration r JOIN occurrence o ON o.id = r.occurrence_id "
                   "JOIN activity a ON a.id = o.activity_id WHERE r.uscc = %s AND r.checked_in_at IS NOT NULL "
                   "GROUP BY a.kind", (uscc,))
    recent = tx.all(f"{REGISTRATION_VIEW} WHERE r.uscc = %s ORDER BY r.registered_at DESC, r.id DESC LIMIT 10",
                    (uscc,))
    return {"registered": counts["registered"], "waitlisted": counts["waitlisted"],
            "attended": counts["attended"], "ratings": rated["ratings"], "average_rating_given": rated["average"],
            "kinds": {row["kind"]: row["n"] for row in kinds}, "recent": recent}


# -- assessment ------------------------------------------------------------------------------------

def region_figures(tx, prefix, start, end, cutoff):
    """Per region code under ``prefix``: occurrences that started in ``[start, end)`` (China days) and
    ended by ``cutoff``, and the check-ins at them recorded by ``cutoff``."""
    return tx.all(
        "SELECT o.region_code, count(*) AS held, "
        "coalesce(sum((SELECT count(*) FROM registration r WHERE r.occurrence_id = o.id "
        "               AND r.checked_in_at <= %(cutoff)s)), 0) AS attended "
        "FROM occurrence o WHERE o.region_code LIKE %(prefix)s AND o.starts_at >= %(start)s "
        "AND o.starts_at < %(end)s AND o.ends_at <= %(cutoff)s GROUP BY o.region_code ORDER BY o.region_code",
        {"prefix": prefix + "%", "start": workdays.moment_of(start), "end": workdays.moment_of(end),
         "cutoff": cutoff})


def activity_figures(tx, prefix, start, end):
    """Occurrences that started in ``[start, end)`` (China days) at agencies of the region, by agency."""
    rows = tx.all(
        "SELECT o.agency_id, g.name AS agency_name, count(DISTINCT o.id) AS held, "
        "coalesce(sum(o.registered), 0) AS registered, "
        "coalesce(sum((SELECT count(*) FROM registration r WHERE r.occurrence_id = o.id "
        "               AND r.checked_in_at IS NOT NULL)), 0) AS attended, "
        "coalesce(sum((SELECT count(*) FROM rating t WHERE t.occurrence_id = o.id)), 0) AS ratings, "
        "sum((SELECT sum(score) FROM rating t WHERE t.occurrence_id = o.id)) AS score_sum "
        "FROM occurrence o LEFT JOIN agency g ON g.id = o.agency_id "
        "WHERE o.region_code LIKE %s AND o.starts_at >= %s AND o.starts_at < %s "
        "GROUP BY o.agency_id, g.name ORDER BY o.agency_id",
        (prefix + "%", workdays.moment_of(start), workdays.moment_of(end)))
    return rows

