"""SQL for the quality service-provider library."""
from datetime import datetime

from services.agencies import domain
from services.agencies.store import get, insert, page, update

PROVIDER_COLUMNS = ("name", "uscc", "region_code", "established_on", "description", "contact",
                    "qualifications", "served_enterprises")


def insert_provider(tx, values):
    return insert(tx, "provider", {column: values[column] for column in PROVIDER_COLUMNS})


def update_provider(tx, provider_id, values):
    return update(tx, "provider", provider_id, values)


def get_provider(tx, provider_id, lock=False):
    return get(tx, "provider", provider_id, lock)


def all_providers(tx):
    """Every provider with the time of its last change and its memberships (the snapshot a copy of
    the admissions starts from): ``[{"provider_id", "name", "uscc", "region_code", "updated_at",
    "memberships": [{"service_area", "state", "since"}]}]``."""
    providers = tx.all("""
        SELECT p.id AS provider_id, p.name, p.uscc, p.region_code, p.updated_at,
               coalesce(json_agg(json_build_object('service_area', m.service_area, 'state', m.state,
                                                   'since', m.since) ORDER BY m.service_area)
                        FILTER (WHERE m.provider_id IS NOT NULL), '[]') AS memberships
        FROM provider p LEFT JOIN provider_membership m ON m.provider_id = p.id
        GROUP BY p.id ORDER BY p.id""")
    for provider in providers:   # JSON carries the times as text
        for membership in provider["memberships"]:
            membership["since"] = datetime.fromisoformat(membership["since"])
    return providers


def provider_record(tx, provider):
    """The provider with its memberships, decisions and evaluations."""
    record = dict(provider)
    record["memberships"] = tx.all("""
        SELECT m.service_area, m.state, m.since,
               (SELECT score FROM provider_evaluation e
                WHERE e.provider_id = m.provider_id AND e.service_area = m.service_area
                ORDER BY period DESC LIMIT 1) AS latest_score
        FROM provider_membership m WHERE m.provider_id = %s ORDER BY m.service_area""", (provider["id"],))
    record["decisions"] = tx.all("SELECT service_area, action, reason, actor, at FROM provider_decision "
                                 "WHERE provider_id = %s ORDER BY id", (provider["id"],))
    record["evaluations"] = tx.all("SELECT * FROM provider_evaluation WHERE provider_id = %s "
                                   "ORDER BY period DESC, service_area", (provider["id"],))
    return record


def list_providers(tx, filters, limit, offset):
    conditions, params = [], {"state": filters.get("state")}
    if "uscc" in filters:
        conditions.append("uscc = %(uscc)s")
        params["uscc"] = filters["uscc"].upper()
    else:
        membership = "m.provider_id = provider.id AND m.state = %(state)s"
        if "area" in filters:
            membership += " AND m.service_area = %(area)s"
            params["area"] = filters["area"]
        conditions.append(f"EXISTS (SELECT 1 FROM provider_membership m WHERE {membership})")
    if "region" in filters:
        conditions.append("region_code LIKE %(within)s")
        params["within"] = domain.coverage_prefix(filters["region"]) + "%"
    return page(tx, "provider", conditions, params, "name, id", limit, offset)


def membership_state(tx, provider_id, service_area, lock=True):
    row = tx.one("SELECT state FROM provider_membership WHERE provider_id = %s AND service_area = %s"
                 + (" FOR UPDATE" if lock else ""), (provider_id, service_area))
    return row["state"] if row else None


def set_membership(tx, provider_id, service_area, state, action, reason, actor):
    """Move one membership to ``state`` and record the decision with its reason."""
    tx.execute("""
        INSERT INTO provider_membership (provider_id, service_area, state) VALUES (%s, %s, %s)
        ON CONFLICT (provider_id, service_area) DO UPDATE SET state = EXCLUDED.state, since = now()""",
               (provider_id, service_area, state))
    tx.execute("INSERT INTO provider_decision (provider_id, service_area, action, reason, actor) "
               "VALUES (%s, %s, %s, %s, %s)", (provider_id, service_area, action, reason, actor))


def has_exited_before(tx, provider_id, service_area):
    return tx.one("SELECT 1 FROM provider_decision WHERE provider_id = %s AND service_area = %s "
                  "AND action = 'exited' LIMIT 1", (provider_id, service_area)) is not None


def admitted_areas(tx, provider_id):
    rows = tx.all("SELECT service_area FROM provider_membership WHERE provider_id = %s "
                  "AND state = 'admitted' ORDER BY service_area", (provider_id,))
    return [row["service_area"] for row in rows]


def ratings_in(tx, provider_id, service_area, start, end):
    """``(average score, count)`` of enterprises' ratings in ``[start, end)``."""
    row = tx.one("SELECT avg(score) AS average, count(*) AS n FROM provider_rating "
                 "WHERE provider_id = %s AND service_area = %s AND rated_on >= %s AND rated_on < %s",
                 (provider_id, service_area, start, end))
    return row["average"], row["n"]


def evaluation_score(tx, provider_id, service_area, period):
    row = tx.one("SELECT score FROM provider_evaluation WHERE provider_id = %s AND service_area = %s "
                 "AND period = %s", (provider_id, service_area, period))
    return row["score"] if row else None


def insert_evaluation(tx, provider_id, record, evaluator):
    return insert(tx, "provider_evaluation", {
        "provider_id": provider_id, "evaluator": evaluator,
        **{key: record[key] for key in ("service_area", "period", "capability", "management",
                                        "service_quality", "satisfaction", "ratings", "score",
                                        "below_threshold", "exited")}})


def insert_rating(tx, rating, rated_on):
    """Record one rating; False when the request was rated before (a repeated event)."""
    row = tx.one("""
        INSERT INTO provider_rating (request_id, provider_id, service_area, score, solved, rated_on)
        SELECT %(request_id)s, id, %(service_area)s, %(score)s, %(solved)s, %(rated_on)s
        FROM provider WHERE id = %(provider_id)s
        ON CONFLICT (request_id) DO NOTHING RETURNING request_id""", {**rating, "rated_on": rated_on})
    return row is not None


def provider_exists(tx, provider_id):
    return tx.one("SELECT 1 FROM provider WHERE id = %s", (provider_id,)) is not None
