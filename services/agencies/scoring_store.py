"""SQL for scoring models, runs and their results, and 选树优秀 nominations.

Models, runs and results are only ever inserted (the database refuses changes).
"""
import json

from psycopg2.extras import Json, execute_values

from reference import regions
from services.agencies.store import insert

RESULT_FIELDS = "run_id, region_code, rank, score::float8 AS score, indicators, facts"


def _json(value):
    return Json(value, dumps=lambda data: json.dumps(data, ensure_ascii=False, default=str))


def latest_model(tx, scope, year, lock=False):
    """The newest version of the scope's model for the year; ``lock`` holds off another writer."""
    if lock:
        tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (17_002, int(scope[:2]) * 10_000 + int(year)))
    return tx.one("SELECT * FROM scoring_model WHERE scope = %s AND year = %s ORDER BY version DESC LIMIT 1",
                  (scope, year))


def insert_model(tx, values):
    return insert(tx, "scoring_model", values)


def get_model(tx, model_id):
    return tx.one("SELECT * FROM scoring_model WHERE id = %s", (model_id,))


def models(tx, scope, year):
    return tx.all("SELECT * FROM scoring_model WHERE scope = %s AND year = %s ORDER BY version DESC", (scope, year))


def insert_run(tx, values, results):
    """The run and its results, in one go."""
    run = insert(tx, "scoring_run", values)
    execute_values(tx.cursor, "INSERT INTO scoring_result (run_id, region_code, rank, score, indicators, facts) "
                              "VALUES %s",
                   [(run["id"], each["region_code"], each["rank"], each["score"], _json(each["indicators"]),
                     _json(each["facts"])) for each in results])
    return run


def get_run(tx, run_id):
    return tx.one("SELECT * FROM scoring_run WHERE id = %s", (run_id,))


def results(tx, run_id):
    """A run's results, best first (unranked last), with the regions' names."""
    rows = tx.all(f"SELECT {RESULT_FIELDS} FROM scoring_result WHERE run_id = %s "
                  "ORDER BY rank NULLS LAST, region_code", (run_id,))
    for row in rows:
        division = regions.lookup(row["region_code"])
        row["region_name"] = division.name if division else None
    return rows


def runs(tx, scope, year, limit, offset):
    """``(rows, total)``: a page of summaries of the scope's runs (of one year, when given), newest first."""
    return tx.page("r.*, m.version AS model_version",
                   "scoring_run r JOIN scoring_model m ON m.id = r.model_id WHERE r.scope = %(scope)s "
                   "AND (%(year)s::int IS NULL OR r.year = %(year)s)", {"scope": scope, "year": year},
                   "r.id DESC", limit, offset)


def latest_runs(tx):
    """The newest run of every scope and year, with its results (the Prometheus gauges)."""
    return tx.all(f"""
        SELECT r.id, r.scope, r.year, r.facts_cutoff, m.version AS model_version, s.region_code, s.rank,
               s.score::float8 AS score, s.indicators
        FROM (SELECT DISTINCT ON (scope, year) * FROM scoring_run ORDER BY scope, year, id DESC) r
        JOIN scoring_model m ON m.id = r.model_id
        JOIN scoring_result s ON s.run_id = r.id
        ORDER BY r.scope, r.year, s.region_code""")


# -- nominations -------------------------------------------------------------------

NOMINATION_VIEW = """
    SELECT n.*, r.scope, r.year, a.name AS agency_name, a.region_code, m.name AS staff_name
    FROM nomination n JOIN scoring_run r ON r.id = n.run_id JOIN agency a ON a.id = n.agency_id
    LEFT JOIN staff_member m ON m.id = n.staff_id"""


def insert_nomination(tx, values):
    row = insert(tx, "nomination", values)
    return get_nomination(tx, row["id"])


def get_nomination(tx, nomination_id, lock=False):
    if lock:
        tx.execute("SELECT 1 FROM nomination WHERE id = %s FOR UPDATE", (nomination_id,))
    return tx.one(NOMINATION_VIEW + " WHERE n.id = %s", (nomination_id,))


def decide_nomination(tx, nomination_id, state, actor, reason, now):
    tx.execute("UPDATE nomination SET state = %s, decided_by = %s, decision_reason = %s, decided_at = %s "
               "WHERE id = %s", (state, actor, reason, now, nomination_id))
    return get_nomination(tx, nomination_id)


def nominations(tx, run_id, limit, offset):
    """``(rows, total)``: a page of a run's nominations, in the order they were made."""
    return tx.page("*", f"({NOMINATION_VIEW}) n WHERE n.run_id = %(run_id)s", {"run_id": run_id}, "n.id",
                   limit, offset)


def honours(tx, agency_id):
    return tx.all(NOMINATION_VIEW + " WHERE n.agency_id = %s AND n.state = 'approved' "
                  "ORDER BY n.decided_at DESC, n.id DESC", (agency_id,))
