"""SQL for agencies' capacity records, their staff, the SME register and the coverage facts.

Every fact a scoring run reads is read *as of* a cut-off: the newest capacity
version recorded by then, agencies active then (``agency_activity``), SMEs as
the enterprises service had announced them by then (``sme_fact``), trainings
recorded by then.
"""

from services.agencies.store import constraints_named, get, insert, update

# pg_advisory_xact_lock namespace of a province's capacity year (edits share it, closing takes it).
CAPACITY_YEAR_LOCK = 17_001
RECORD_COLUMNS = ("agency_id", "year", "version", "full_time_staff", "part_time_staff", "qualifications",
                  "funding_fiscal", "funding_special", "funding_purchased", "funding_other", "hall_area_m2",
                  "address", "network_connected", "online_service_pct", "certifications", "commitment",
                  "covenant", "recorded_by", "recorded_at")
FUNDING_SUM = "(c.funding_fiscal + c.funding_special + c.funding_purchased + c.funding_other)"
SME_CLASSES = ("medium", "small", "micro")


# -- capacity records and closed years -------------------------------------------------

def lock_year(tx, province, year, closing=False):
    """Edits of a province's year share a lock; closing it waits for them and holds them off."""
    lock = "pg_advisory_xact_lock" if closing else "pg_advisory_xact_lock_shared"
    tx.execute(f"SELECT {lock}(%s, %s)", (CAPACITY_YEAR_LOCK, int(province) * 10_000 + int(year)))


def year_closure(tx, province, year):
    return tx.one("SELECT * FROM capacity_year_closure WHERE province = %s AND year = %s", (province, year))


def close_year(tx, province, year, actor, now):
    """The closure of the year (the first one, when it was closed before) and whether it is new."""
    row = tx.one("INSERT INTO capacity_year_closure (province, year, closed_by, closed_at) "
                 "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING *", (province, year, actor, now))
    return (row, True) if row else (year_closure(tx, province, year), False)


def latest_version(tx, agency_id, year):
    row = tx.one("SELECT max(version) AS v FROM capacity_record WHERE agency_id = %s AND year = %s",
                 (agency_id, year))
    return row["v"] or 0


def insert_record(tx, row):
    return insert(tx, "capacity_record", {column: row[column] for column in RECORD_COLUMNS})


def records(tx, agency_id, year):
    """Every version of the agency's record for the year, newest first."""
    return tx.all("SELECT * FROM capacity_record WHERE agency_id = %s AND year = %s ORDER BY version DESC",
                  (agency_id, year))


def latest_record(tx, agency_id):
    """The newest version of the agency's latest year (what its guide shows)."""
    return tx.one("SELECT * FROM capacity_record WHERE agency_id = %s ORDER BY year DESC, version DESC LIMIT 1",
                  (agency_id,))


# -- staff --------------------------------------------------------------------------------

STAFF_COLUMNS = ("agency_id", "subject", "name", "post", "qualifications", "active")


def insert_staff(tx, values):
    return insert(tx, "staff_member", {column: values[column] for column in STAFF_COLUMNS})


def update_staff(tx, staff_id, values):
    return update(tx, "staff_member", staff_id, values)


def get_staff(tx, staff_id, lock=False):
    return get(tx, "staff_member", staff_id, lock)


def list_staff(tx, agency_id, filters, limit, offset):
    conditions, params = ["agency_id = %(agency_id)s"], {"agency_id": agency_id}
    if "subject" in filters:
        conditions.append("subject = %(subject)s")
        params["subject"] = filters["subject"]
    if "active" in filters:
        conditions.append("active = %(active)s")
        params["active"] = filters["active"]
    return tx.page("*", f"staff_member WHERE {' AND '.join(conditions)}", params, "name, id", limit, offset)


def trainings(tx, staff_id):
    return tx.all("SELECT * FROM staff_training WHERE staff_id = %s ORDER BY held_on DESC, id DESC", (staff_id,))


def secondments(tx, staff_id):
    return tx.all("SELECT * FROM staff_secondment WHERE staff_id = %s ORDER BY starts_on DESC, id DESC",
                  (staff_id,))


def insert_training(tx, values):
    return insert(tx, "staff_training", values)


def insert_secondment(tx, values):
    with constraints_named():
        return insert(tx, "staff_secondment", values)


# -- the SME register -------------------------------------------------------------------------

def add_sme_facts(tx, facts):
    """Store ``(uscc, field, value, effective_at)`` facts in one statement, however many."""
    if facts:
        tx.execute("INSERT INTO sme_fact (uscc, field, value, effective_at) "
                   "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[])",
                   [list(column) for column in zip(*facts)])


def enterprises_as_of(tx, prefix, cutoff):
    """``(region_code, park, smes, enterprises)`` under ``prefix`` as announced by ``cutoff``:
    each enterprise where its latest facts put it, SMEs being medium, small or micro."""
    return tx.all("""
        WITH candidate AS (
            SELECT DISTINCT uscc FROM sme_fact
            WHERE field = 'region_code' AND value LIKE %(prefix)s AND effective_at <= %(cutoff)s
        ), latest AS (
            SELECT DISTINCT ON (f.uscc, f.field) f.uscc, f.field, f.value
            FROM sme_fact f JOIN candidate USING (uscc)
            WHERE f.effective_at <= %(cutoff)s
            ORDER BY f.uscc, f.field, f.effective_at DESC, f.id DESC
        ), profile AS (
            SELECT uscc, max(value) FILTER (WHERE field = 'region_code') AS region_code,
                   max(value) FILTER (WHERE field = 'park') AS park,
                   max(value) FILTER (WHERE field = 'size_class') AS size_class
            FROM latest GROUP BY uscc
        )
        SELECT region_code, park, count(*) FILTER (WHERE size_class = ANY(%(smes)s)) AS smes,
               count(*) AS enterprises
        FROM profile WHERE region_code LIKE %(prefix)s
        GROUP BY region_code, park""", {"prefix": prefix + "%", "cutoff": cutoff, "smes": list(SME_CLASSES)})


# -- coverage facts as of a cut-off -----------------------------------------------------------

def agencies_as_of(tx, prefix, cutoff):
    """``(id, level, region_code, park, active)`` of every agency under ``prefix`` that existed at
    ``cutoff``, with its active flag then."""
    return tx.all("""
        SELECT a.id, a.level, a.region_code, a.park, x.active
        FROM agency a
        CROSS JOIN LATERAL (SELECT active FROM agency_activity
                            WHERE agency_id = a.id AND at <= %(cutoff)s
                            ORDER BY at DESC, id DESC LIMIT 1) x
        WHERE a.region_code LIKE %(prefix)s""", {"prefix": prefix + "%", "cutoff": cutoff})


def capacities_as_of(tx, prefix, year, cutoff):
    """Per agency under ``prefix``: the newest version of its ``year`` record recorded by ``cutoff``."""
    return tx.all(f"""
        SELECT DISTINCT ON (c.agency_id) c.agency_id, a.region_code, c.full_time_staff, c.part_time_staff,
               {FUNDING_SUM} AS funding
        FROM capacity_record c JOIN agency a ON a.id = c.agency_id
        WHERE c.year = %(year)s AND c.recorded_at <= %(cutoff)s AND a.region_code LIKE %(prefix)s
        ORDER BY c.agency_id, c.version DESC""", {"prefix": prefix + "%", "year": year, "cutoff": cutoff})


def training_hours_as_of(tx, prefix, year, cutoff):
    """Per agency region under ``prefix``: hours of training held in ``year``, recorded by ``cutoff``."""
    return tx.all("""
        SELECT a.region_code, sum(t.hours) AS hours
        FROM staff_training t JOIN staff_member m ON m.id = t.staff_id JOIN agency a ON a.id = m.agency_id
        WHERE t.held_on >= make_date(%(year)s, 1, 1) AND t.held_on < make_date(%(year)s + 1, 1, 1)
          AND t.recorded_at <= %(cutoff)s AND a.region_code LIKE %(prefix)s
        GROUP BY a.region_code""", {"prefix": prefix + "%", "year": year, "cutoff": cutoff})
