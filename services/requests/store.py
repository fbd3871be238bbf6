"""SQL over the ``requests`` schema; nothing else touches it."""
import json

from psycopg2.extras import Json, execute_values

from chassis import keyset
from chassis.db import Prepared, prepared
from reference import workdays
from services.requests import deadlines, lifecycle


def sql_states(states):
    """A SQL list of lifecycle states (the lifecycle's constants, never input)."""
    return "(" + ", ".join(f"'{state}'" for state in sorted(states)) + ")"


_AWAITING, _HANDLED = sql_states(lifecycle.AWAITING_ACCEPTANCE), sql_states(lifecycle.BEING_HANDLED)

REQUEST_COLUMNS = (
    "uscc", "kind", "service_area", "title", "description", "region_code", "park", "state",
    "agency_id", "agency_name", "agency_level", "agency_region_code", "accept_days",
    "resolve_days", "accept_from", "resolve_from", "accept_by", "resolve_by",
    "deadline_provisional", "provider_id", "reopen_count", "escalation_count",
    "last_rating_solved", "arrears", "submitted_at", "accepted_at", "resolved_at", "closed_at",
    "updated_at", "policy_id", "origin_province", "origin_ref")
HISTORY_COLUMNS = ("request_id", "at", "action", "from_state", "to_state", "actor", "actor_role",
                   "reason", "from_agency_id", "to_agency_id", "to_agency_region")


def _value(column, value):
    if column == "arrears" and value is not None:
        return Json(value, dumps=lambda data: json.dumps(data, default=str, ensure_ascii=False))
    return value


def count_by_state(tx, uscc):
    rows = tx.all("SELECT state, count(*) AS n FROM service_request WHERE uscc = %s GROUP BY state",
                  (uscc,))
    return {row["state"]: row["n"] for row in rows}


# -- requests ------------------------------------------------------------------

def insert_request(tx, request):
    columns = [column for column in REQUEST_COLUMNS if column in request]
    return tx.one(
        prepared(f"INSERT INTO service_request ({', '.join(columns)}) "
                 f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING *"),
        [_value(column, request[column]) for column in columns])


def get_request(tx, request_id, lock=False):
    return tx.one("SELECT * FROM service_request WHERE id = %s" + (" FOR UPDATE" if lock else ""),
                  (str(request_id),))


def request_of_origin(tx, province, ref, lock=False):
    """The request a provincial portal submitted under its own reference, or None."""
    return tx.one("SELECT * FROM service_request WHERE origin_province = %s AND origin_ref = %s"
                  + (" FOR UPDATE" if lock else ""), (province, ref))


def update_request(tx, request_id, changes):
    columns = [column for column in REQUEST_COLUMNS if column in changes]
    assignments = ", ".join(f"{column} = %s" for column in columns)
    return tx.one(f"UPDATE service_request SET {assignments} WHERE id = %s RETURNING *",
                  [_value(column, changes[column]) for column in columns] + [str(request_id)])


# History entries are written from one array a column, so that one statement (prepared once) takes
# any number of them; the ids follow the arrays' order, which RETURNING does not promise to keep.
HISTORY_TYPES = {"request_id": "uuid", "at": "timestamptz", "from_agency_id": "integer", "to_agency_id": "integer"}
HISTORY_ADDED = (
    f"history_rows AS (INSERT INTO request_history ({', '.join(HISTORY_COLUMNS)}) "
    f"SELECT * FROM unnest("
    + ", ".join(f"%({c})s::{HISTORY_TYPES.get(c, 'text')}[]" for c in HISTORY_COLUMNS)
    + ") RETURNING *)")


def add_history(tx, entries, events=None):
    """Append history entries in one statement, with ``events`` (the outbox rows of the change, an
    ``outbox.part``) in that same statement when given; the entries as stored, in their order."""
    parts, params = [HISTORY_ADDED], {c: [str(entry[c]) if c == "request_id" else entry.get(c) for entry in entries]
                                      for c in HISTORY_COLUMNS}
    if events is not None:
        parts.append(events[0])
        params.update(events[1])
    return tx.all(prepared(f"WITH {', '.join(parts)} SELECT * FROM history_rows ORDER BY id"), params)


def history(tx, request_id):
    return tx.all("SELECT * FROM request_history WHERE request_id = %s ORDER BY id", (str(request_id),))


def previous_holder(tx, request_id, agency_id):
    """The agency that handed the request to ``agency_id`` most recently, if any."""
    row = tx.one(
        "SELECT from_agency_id FROM request_history WHERE request_id = %s AND to_agency_id = %s "
        "AND from_agency_id IS NOT NULL AND from_agency_id <> %s ORDER BY id DESC LIMIT 1",
        (str(request_id), agency_id, agency_id))
    return row["from_agency_id"] if row else None


def ratings(tx, request_id):
    return tx.all("SELECT * FROM request_rating WHERE request_id = %s ORDER BY round", (str(request_id),))


def revisits(tx, request_id):
    return tx.all("SELECT * FROM revisit_call WHERE request_id = %s ORDER BY id", (str(request_id),))


def add_rating(tx, rating):
    return tx.one(
        "INSERT INTO request_rating (request_id, round, score, solved, comment, agency_id, rated_by, "
        "rated_at) VALUES (%(request_id)s, %(round)s, %(score)s, %(solved)s, %(comment)s, "
        "%(agency_id)s, %(rated_by)s, %(rated_at)s) ON CONFLICT (request_id, round) DO NOTHING "
        "RETURNING *", {**rating, "request_id": str(rating["request_id"])})


def add_revisit_call(tx, call):
    return tx.one(
        "INSERT INTO revisit_call (request_id, agency_id, solved, note, called_by, called_at) "
        "VALUES (%(request_id)s, %(agency_id)s, %(solved)s, %(note)s, %(called_by)s, %(called_at)s) "
        "RETURNING *", {**call, "request_id": str(call["request_id"])})


# -- lists ---------------------------------------------------------------------

def _visibility(visible):
    """SQL restricting requests to what a caller may see (see ``RequestsService.list``)."""
    if visible.get("all"):
        return "TRUE", {}
    if "uscc" in visible:
        return "r.uscc = %(scope)s", {"scope": visible["uscc"]}
    if "agency_id" in visible:
        return ("(r.agency_id = %(scope)s OR EXISTS (SELECT 1 FROM request_history h WHERE "
                "h.request_id = r.id AND h.action = 'escalate' AND h.from_agency_id = %(scope)s))",
                {"scope": int(visible["agency_id"])})
    if "region_prefix" in visible:
        return "r.region_code LIKE %(scope)s", {"scope": visible["region_prefix"] + "%"}
    raise ValueError("no visibility given")


_OVERDUE = (f"((r.state IN {_AWAITING} AND r.accept_by < %(today)s) OR "
            f"(r.state IN {_HANDLED} AND r.resolve_by < %(today)s))")
_CURRENT_DEADLINE = (f"CASE WHEN r.state IN {_AWAITING} THEN r.accept_by "
                     f"WHEN r.state IN {_HANDLED} THEN r.resolve_by END")


# The order of a list of requests: newest first, then by id.
LIST_ORDER = keyset.Order("requests", keyset.Key("r.submitted_at", "submitted_at", keyset.TIMESTAMP, descending=True),
                          keyset.Key("r.id", "id", keyset.UUID))


def list_requests(tx, visible, filters, today, limit, offset, after=None):
    """One page of requests the caller may see, newest first (:data:`LIST_ORDER`), and the
    total: from ``offset``, or after the position ``after`` (keyset)."""
    scope_sql, params = _visibility(visible)
    clauses = [scope_sql]
    params["today"] = today
    for column in ("state", "service_area", "agency_id", "uscc", "kind"):
        if filters.get(column) is not None:
            clauses.append(f"r.{column} = %({column})s")
            params[column] = filters[column]
    if filters.get("region"):
        clauses.append("r.region_code LIKE %(region)s")
        params["region"] = filters["region"] + "%"
    if filters.get("open") is not None:
        clauses.append(("" if filters["open"] else "NOT ") + f"r.state IN {sql_states(lifecycle.OPEN_STATES)}")
    if filters.get("overdue") is not None:
        clauses.append(_OVERDUE if filters["overdue"] else f"NOT {_OVERDUE}")
    if filters.get("submitted_from"):
        clauses.append("r.submitted_at >= %(submitted_from)s")
        params["submitted_from"] = deadlines.moment_of(filters["submitted_from"])
    if filters.get("submitted_to"):
        clauses.append("r.submitted_at < %(submitted_to)s + interval '1 day'")
        params["submitted_to"] = deadlines.moment_of(filters["submitted_to"])
    where = " AND ".join(clauses)
    if after is None:
        return tx.page("r.*", f"service_request r WHERE {where}", params, LIST_ORDER.order_by(), limit, offset)
    total = tx.one(f"SELECT count(*) AS n FROM service_request r WHERE {where}", params)["n"]
    rows = tx.all(f"SELECT r.* FROM service_request r WHERE {where} AND {LIST_ORDER.after(after, params)} "
                  f"ORDER BY {LIST_ORDER.order_by()} LIMIT %(page_limit)s", {**params, "page_limit": limit})
    return rows, total


def queue(tx, agency_id, today, limit, offset):
    """An agency's open work, overdue first, then by the nearest deadline."""
    return tx.page(
        f"r.*, {_OVERDUE} AS is_overdue",
        "service_request r WHERE r.agency_id = %(agency_id)s "
        f"AND r.state IN {sql_states(lifecycle.HELD)}",
        {"agency_id": agency_id, "today": today},
        f"{_OVERDUE} DESC, {_CURRENT_DEADLINE} NULLS LAST, r.submitted_at, r.id", limit, offset)


# -- deadlines and escalation -------------------------------------------------------

CALENDAR = Prepared("SELECT y.year, d.day, d.working FROM holiday_schedule_year y "
                    "LEFT JOIN holiday_schedule_day d ON d.year = y.year")


def load_calendar(tx):
    """The working-day calendar with every year operators have loaded."""
    return workdays.calendar_of(
        (row["year"], row["day"], row["working"])
        for row in tx.all(CALENDAR))


def replace_holiday_year(tx, schedule, names, source):
    """Store ``schedule`` (a :class:`deadlines.YearSchedule`) in place of any earlier one."""
    tx.execute("DELETE FROM holiday_schedule_year WHERE year = %s", (schedule.year,))
    tx.execute("INSERT INTO holiday_schedule_year (year, source) VALUES (%s, %s)",
               (schedule.year, source))
    rows = [(day, schedule.year, False, names.get(day, "")) for day in sorted(schedule.holidays)]
    rows += [(day, schedule.year, True, names.get(day, "")) for day in sorted(schedule.workdays)]
    if rows:
        execute_values(tx.cursor, "INSERT INTO holiday_schedule_day (day, year, working, name) VALUES %s",
                       rows)


def provisional_requests(tx):
    return tx.all("SELECT id, accept_from, accept_days, resolve_from, resolve_days FROM service_request "
                  f"WHERE deadline_provisional AND state NOT IN {sql_states(lifecycle.FINAL_STATES)} FOR UPDATE")


def set_deadlines(tx, rows):
    """Bulk-update ``(id, accept_by, resolve_by, provisional)`` tuples."""
    if not rows:
        return
    execute_values(
        tx.cursor,
        "UPDATE service_request r SET accept_by = v.accept_by, resolve_by = v.resolve_by, "
        "deadline_provisional = v.provisional FROM (VALUES %s) AS v (id, accept_by, resolve_by, provisional) "
        "WHERE r.id = v.id::uuid",
        [(str(id_), accept_by, resolve_by, provisional) for id_, accept_by, resolve_by, provisional in rows],
        template="(%s, %s::date, %s::date, %s::boolean)")


def overdue_requests(tx, today, limit):
    """Open requests past a deadline whose breach has not been recorded yet."""
    return tx.all(
        f"SELECT r.*, CASE WHEN r.state = '{lifecycle.ASSIGNED}' THEN 'accept' ELSE 'resolve' END AS breach_kind, "
        f"CASE WHEN r.state = '{lifecycle.ASSIGNED}' THEN r.accept_by ELSE r.resolve_by END AS breach_due "
        "FROM service_request r WHERE r.agency_id IS NOT NULL AND ("
        f"(r.state = '{lifecycle.ASSIGNED}' AND r.accept_by < %(today)s) OR "
        f"(r.state IN {_HANDLED} AND r.resolve_by < %(today)s)) "
        "AND NOT EXISTS (SELECT 1 FROM deadline_breach b WHERE b.request_id = r.id AND b.agency_id = r.agency_id "
        f"AND b.kind = CASE WHEN r.state = '{lifecycle.ASSIGNED}' THEN 'accept' ELSE 'resolve' END "
        f"AND b.due = CASE WHEN r.state = '{lifecycle.ASSIGNED}' THEN r.accept_by ELSE r.resolve_by END) "
        "ORDER BY 2, r.id LIMIT %(limit)s", {"today": today, "limit": limit})


def record_breaches(tx, breaches):
    """Record breaches ``(request_id, kind, agency_id, due, detected_at, escalated_to)``.

    Returns the request ids whose breach was new: a breach already recorded
    (by another replica, or an earlier run) is not recorded twice.
    """
    if not breaches:
        return set()
    rows = execute_values(
        tx.cursor,
        "INSERT INTO deadline_breach (request_id, kind, agency_id, due, detected_at, escalated_to) "
        "VALUES %s ON CONFLICT DO NOTHING RETURNING request_id",
        [(str(b[0]), *b[1:]) for b in breaches], fetch=True)
    return {str(row["request_id"]) for row in rows}


def unrouted_requests(tx, limit, lock=False):
    """Requests still waiting for an agency, oldest first (locked: those no other replica holds)."""
    return tx.all(f"SELECT * FROM service_request WHERE state = '{lifecycle.SUBMITTED}' ORDER BY submitted_at "
                  "LIMIT %s" + (" FOR UPDATE SKIP LOCKED" if lock else ""), (limit,))


def escalate_all(tx, escalations):
    """Hand each request to its new agency, if it is still where the sweep found it.

    ``escalations`` are dicts with ``id``, the expected ``state`` and
    ``agency_id`` (the guard), the new agency and deadline columns and
    ``updated_at``.  Returns the updated rows; a request that moved meanwhile
    (accepted, or escalated by another replica) is left alone.
    """
    if not escalations:
        return []
    fields = ("id", "state", "agency_id", "new_agency_id", "agency_name", "agency_level",
              "agency_region_code", "accept_days", "resolve_days", "accept_from", "accept_by",
              "resolve_by", "deadline_provisional", "updated_at")
    template = ("(%s::uuid, %s, %s::integer, %s::integer, %s, %s, %s, %s::integer, %s::integer, "
                "%s::date, %s::date, %s::date, %s::boolean, %s::timestamptz)")
    return execute_values(
        tx.cursor,
        f"UPDATE service_request r SET state = '{lifecycle.ASSIGNED}', agency_id = v.new_agency_id, "
        "agency_name = v.agency_name, agency_level = v.agency_level, "
        "agency_region_code = v.agency_region_code, accept_days = v.accept_days, "
        "resolve_days = v.resolve_days, accept_from = v.accept_from, resolve_from = v.accept_from, "
        "accept_by = v.accept_by, resolve_by = v.resolve_by, "
        "deadline_provisional = v.deadline_provisional, accepted_at = NULL, "
        "escalation_count = r.escalation_count + 1, updated_at = v.updated_at "
        f"FROM (VALUES %s) AS v ({', '.join(fields)}) "
        "WHERE r.id = v.id AND r.state = v.state AND r.agency_id = v.agency_id "
        "RETURNING r.*, v.state AS previous_state, v.agency_id AS previous_agency_id",
        [tuple(str(e[f]) if f == "id" else e[f] for f in fields) for e in escalations],
        template=template, fetch=True)


# -- staff performance -------------------------------------------------------------

def staff_cases(tx, agency_id, subjects, start, end, cutoff):
    """The record of every request on which one of ``subjects`` acted at ``agency_id`` before
    ``end`` and which saw a step from ``start`` on: ``{request_id: (steps, breaches, ratings,
    revisit call times)}``, each as rows in recorded order, up to ``cutoff``."""
    params = {"agency": agency_id, "subjects": list(subjects), "start": start, "end": end,
              "cutoff": cutoff or "infinity"}
    ids = [row["request_id"] for row in tx.all(
        "SELECT DISTINCT h.request_id FROM request_history h "
        "WHERE h.actor = ANY(%(subjects)s) AND h.actor_role = 'agency_staff' AND h.from_agency_id = %(agency)s "
        "AND h.at < %(end)s AND h.at <= %(cutoff)s "
        "AND EXISTS (SELECT 1 FROM request_history l WHERE l.request_id = h.request_id "
        "AND l.at >= %(start)s AND l.at <= %(cutoff)s)", params)]
    if not ids:
        return {}
    scope = {"ids": ids, "cutoff": params["cutoff"]}
    cases = {request_id: ([], [], [], []) for request_id in ids}
    for row in tx.all("SELECT request_id, at, action, actor, actor_role, from_agency_id, to_agency_id "
                      "FROM request_history WHERE request_id = ANY(%(ids)s) AND at <= %(cutoff)s "
                      "ORDER BY request_id, id", scope):
        cases[row["request_id"]][0].append(row)
    for row in tx.all("SELECT request_id, kind, agency_id, detected_at FROM deadline_breach "
                      "WHERE request_id = ANY(%(ids)s) AND detected_at <= %(cutoff)s", scope):
        cases[row["request_id"]][1].append(row)
    for row in tx.all("SELECT request_id, rated_at, score, solved FROM request_rating "
                      "WHERE request_id = ANY(%(ids)s) AND rated_at <= %(cutoff)s ORDER BY round", scope):
        cases[row["request_id"]][2].append(row)
    for row in tx.all("SELECT request_id, called_at FROM revisit_call "
                      "WHERE request_id = ANY(%(ids)s) AND called_at <= %(cutoff)s ORDER BY id", scope):
        cases[row["request_id"]][3].append(row)
    return cases
