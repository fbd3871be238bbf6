"""SQL over the ``enterprises`` schema; nothing else touches it."""
import io
import json

from psycopg2.extras import Json, execute_values

from chassis import keyset
from chassis.db import prepared
from chassis.errors import Conflict
from services.enterprises import criteria as criteria_rules
from services.enterprises import domain

ENTERPRISE_COLUMNS = ("uscc", "name", "legal_form", "registered_on", "region_code", "province_code",
                      "city_code", "park", "industry_code", "contact", "tags", "figures_year",
                      "employees", "revenue", "total_assets", "rd_expense", "ip_class1_count",
                      "size_class", "size_rule")
FIGURE_COLUMNS = domain.FIGURE_FIELDS
TIER_COLUMNS = ("tier", "certificate_no", "level", "awarded_on", "expires_on")
SUMMARY_COLUMNS = tuple(c for c in ENTERPRISE_COLUMNS if c != "contact")

# The orders of the enterprise search, by ``sort``; each ends on the USCC, so it is total.
_USCC = keyset.Key("e.uscc", "uscc")
_NAME = 'e.name COLLATE "zh-x-icu"'
ORDERS = {
    "name": keyset.Order("enterprises:name", keyset.Key(_NAME, "name"), _USCC),
    "-name": keyset.Order("enterprises:-name", keyset.Key(_NAME, "name", descending=True),
                          keyset.Key("e.uscc", "uscc", descending=True)),
    "uscc": keyset.Order("enterprises:uscc", _USCC),
    "registered_on": keyset.Order("enterprises:registered_on",
                                  keyset.Key("e.registered_on", "registered_on", keyset.DATE, nullable=True), _USCC),
    "-registered_on": keyset.Order("enterprises:-registered_on", keyset.Key(
        "e.registered_on", "registered_on", keyset.DATE, descending=True, nullable=True), _USCC),
    "employees": keyset.Order("enterprises:employees", keyset.Key("e.employees", "employees", keyset.INTEGER), _USCC),
    "-employees": keyset.Order("enterprises:-employees",
                               keyset.Key("e.employees", "employees", keyset.INTEGER, descending=True), _USCC),
    "revenue": keyset.Order("enterprises:revenue", keyset.Key("e.revenue", "revenue", keyset.NUMERIC), _USCC),
    "-revenue": keyset.Order("enterprises:-revenue",
                             keyset.Key("e.revenue", "revenue", keyset.NUMERIC, descending=True), _USCC),
    "created_at": keyset.Order("enterprises:created_at",
                               keyset.Key("e.created_at", "created_at", keyset.TIMESTAMP), _USCC),
    "-created_at": keyset.Order("enterprises:-created_at",
                                keyset.Key("e.created_at", "created_at", keyset.TIMESTAMP, descending=True), _USCC),
}

ACTIVE_TIERS = ("ARRAY(SELECT DISTINCT t.tier FROM enterprise_tier t WHERE t.uscc = e.uscc "
                "AND t.awarded_on <= %s AND t.expires_on >= %s ORDER BY 1) AS active_tiers")


def _enterprise_values(profile):
    values = [profile.get(column) for column in ENTERPRISE_COLUMNS]
    values[ENTERPRISE_COLUMNS.index("contact")] = Json(profile["contact"]) if profile.get("contact") else None
    return values


# -- one profile ---------------------------------------------------------------------

_FIGURE_TYPES = {"employees": "integer", "revenue": "numeric", "total_assets": "numeric", "rd_expense": "numeric",
                 "ip_class1_count": "integer"}


def insert_profile(tx, profile, on, announce=None, last=False):
    """Store a new profile with its figures and tiers, and ``announce`` (``(sql, params)`` of a CTE
    written with it, its events: :meth:`chassis.outbox.OutboxWriter.part`, written only if the
    profile is), in one statement, prepared (its text is one per ``announce``'s); ``Conflict`` if
    the USCC is taken. ``last``: the statement ends ``tx``'s work (:meth:`chassis.db.Transaction.execute`)."""
    years = sorted(profile["figures"])
    params = {f"e_{column}": value for column, value in zip(ENTERPRISE_COLUMNS, _enterprise_values(profile))}
    params["years"] = years
    params.update({f"f_{column}": [profile["figures"][year].get(column) for year in years]
                   for column in FIGURE_COLUMNS})
    tiers = profile["tiers"]
    params.update({f"t_{column}": [record[column] for record in tiers] for column in TIER_COLUMNS})
    params["t_announced"] = [record["expires_on"] < on for record in tiers]
    parts = [
        f"added AS (INSERT INTO enterprise ({', '.join(ENTERPRISE_COLUMNS)}) "
        f"VALUES ({', '.join(f'%(e_{column})s' for column in ENTERPRISE_COLUMNS)}) "
        "ON CONFLICT (uscc) DO NOTHING RETURNING uscc, created_at, updated_at)",
        f"figures AS (INSERT INTO enterprise_figures (uscc, year, {', '.join(FIGURE_COLUMNS)}) "
        "SELECT added.uscc, f.* FROM added, unnest(%(years)s::smallint[], "
        + ", ".join(f"%(f_{column})s::{_FIGURE_TYPES[column]}[]" for column in FIGURE_COLUMNS) + ") AS f)",
        f"tiers AS (INSERT INTO enterprise_tier (uscc, {', '.join(TIER_COLUMNS)}, expiry_announced) "
        "SELECT added.uscc, t.* FROM added, unnest(%(t_tier)s::text[], %(t_certificate_no)s::text[], "
        "%(t_level)s::text[], %(t_awarded_on)s::date[], %(t_expires_on)s::date[], %(t_announced)s::boolean[]) AS t)",
    ]
    if announce is not None:
        parts.append(announce[0])
        params.update(announce[1])
    stamps = tx.one(prepared("WITH " + ", ".join(parts) + " SELECT created_at, updated_at FROM added"), params, last)
    if stamps is None:
        raise Conflict(f"an enterprise with uscc {profile['uscc']} is already registered",
                       {"uscc": ["already registered"]})
    profile.update(stamps)
    return profile


def load_profile(tx, uscc, lock=False):
    """The stored profile (with figures by year and tiers), or None; ``lock`` takes the row for update."""
    row = tx.one("SELECT * FROM enterprise WHERE uscc = %s" + (" FOR UPDATE" if lock else ""), (uscc,))
    if row is None:
        return None
    profile = dict(row)
    profile["figures"] = {
        record["year"]: {column: record[column] for column in FIGURE_COLUMNS}
        for record in tx.all(f"SELECT year, {', '.join(FIGURE_COLUMNS)} FROM enterprise_figures "
                             "WHERE uscc = %s", (uscc,))}
    profile["tiers"] = [dict(record) for record in tx.all(
        f"SELECT {', '.join(TIER_COLUMNS)} FROM enterprise_tier WHERE uscc = %s", (uscc,))]
    return profile


def load_profiles(tx, usccs, lock=False):
    """``{uscc: profile}`` of those of ``usccs`` on file (figures and tiers too), locked in USCC order."""
    if not usccs:
        return {}
    rows = tx.all("SELECT * FROM enterprise WHERE uscc = ANY(%s) ORDER BY uscc" + (" FOR UPDATE" if lock else ""),
                  (sorted(usccs),))
    profiles = {row["uscc"]: dict(row, figures={}, tiers=[]) for row in rows}
    if profiles:
        for record in tx.all(f"SELECT uscc, year, {', '.join(FIGURE_COLUMNS)} FROM enterprise_figures "
                             "WHERE uscc = ANY(%s)", (list(profiles),)):
            profiles[record["uscc"]]["figures"][record["year"]] = {column: record[column] for column in FIGURE_COLUMNS}
        for record in tx.all(f"SELECT uscc, {', '.join(TIER_COLUMNS)} FROM enterprise_tier WHERE uscc = ANY(%s)",
                             (list(profiles),)):
            profiles[record.pop("uscc")]["tiers"].append(dict(record))
    return profiles


def insert_new_profiles(tx, profiles):
    """Store many new profiles (without tiers) in two statements; a taken USCC fails the whole batch."""
    if not profiles:
        return
    execute_values(tx.cursor, f"INSERT INTO enterprise ({', '.join(ENTERPRISE_COLUMNS)}) VALUES %s",
                   [_enterprise_values(profile) for profile in profiles], page_size=1000)
    execute_values(tx.cursor, f"INSERT INTO enterprise_figures (uscc, year, {', '.join(FIGURE_COLUMNS)}) VALUES %s",
                   [[profile["uscc"], year] + [figures.get(column) for column in FIGURE_COLUMNS]
                    for profile in profiles for year, figures in profile["figures"].items()], page_size=1000)


def save_profile(tx, profile, changed, on):
    """Write a changed profile back: the enterprise row, the changed year's figures, the tiers."""
    columns = [c for c in ENTERPRISE_COLUMNS if c != "uscc"]
    values = _enterprise_values(profile)[1:]
    stamps = tx.one(f"UPDATE enterprise SET {', '.join(f'{c} = %s' for c in columns)}, updated_at = now() "
                    "WHERE uscc = %s RETURNING created_at, updated_at", values + [profile["uscc"]])
    if "figures" in changed:
        year = changed["figures"][1]["year"]
        save_figures(tx, profile["uscc"], year, profile["figures"][year])
    if "tiers" in changed:
        replace_tiers(tx, profile["uscc"], profile["tiers"], on)
    profile.update(stamps)
    return profile


def add_change(tx, uscc, actor, reason, changed):
    """Append one entry to the profile's history: ``changed`` maps field → (old, new)."""
    changes = {name: {"from": domain.jsonable(old), "to": domain.jsonable(new)}
               for name, (old, new) in changed.items()}
    tx.execute("INSERT INTO enterprise_change (uscc, actor_role, actor, reason, changes) "
               "VALUES (%s, %s, %s, %s, %s)",
               (uscc, actor["role"], actor["subject"], reason, Json(changes)))


def changes(tx, uscc, limit, offset):
    """``(rows, total)``: one page of the profile's history, newest first."""
    return tx.page("changed_at, actor_role, actor, reason, changes", "enterprise_change WHERE uscc = %(uscc)s",
                   {"uscc": uscc}, "id DESC", limit, offset)


def save_figures(tx, uscc, year, figures):
    tx.execute(
        f"INSERT INTO enterprise_figures (uscc, year, {', '.join(FIGURE_COLUMNS)}) "
        f"VALUES (%s, %s, {', '.join(['%s'] * len(FIGURE_COLUMNS))}) "
        f"ON CONFLICT (uscc, year) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in FIGURE_COLUMNS),
        [uscc, year] + [figures.get(c) for c in FIGURE_COLUMNS])


def replace_tiers(tx, uscc, tiers, on):
    """The enterprise's awards become ``tiers``; awards already expired count as announced."""
    tx.execute("DELETE FROM enterprise_tier WHERE uscc = %s", (uscc,))
    if tiers:
        execute_values(
            tx.cursor,
            f"INSERT INTO enterprise_tier (uscc, {', '.join(TIER_COLUMNS)}, expiry_announced) VALUES %s",
            [(uscc, *(record[c] for c in TIER_COLUMNS), record["expires_on"] < on) for record in tiers])


# -- criteria ---------------------------------------------------------------------------

def _any_prefix(column, prefixes, params):
    clauses = []
    for prefix in prefixes:
        params.append(prefix + "%")
        clauses.append(f"{column} LIKE %s")
    return "(" + " OR ".join(clauses) + ")"


def predicate(criteria, on, within=None):
    """``(sql, params)``: the criteria as a WHERE condition over ``enterprise e``.

    The SQL form of :func:`services.enterprises.criteria.evaluate`; ``within``
    (a region prefix) limits it to the caller's region.
    """
    clauses, params = [], []
    if within:
        clauses.append(_any_prefix("e.region_code", [within], params))
    for name in criteria_rules.ORDER:
        if name not in criteria:
            continue
        value = criteria[name]
        if name == "region_prefixes":
            clauses.append(_any_prefix("e.region_code", value, params))
        elif name == "industry_codes":
            clauses.append(_any_prefix("e.industry_code", value, params))
        elif name == "size_classes":
            clauses.append("e.size_class = ANY(%s)")
            params.append(list(value))
        elif name == "tiers":
            clauses.append("EXISTS (SELECT 1 FROM enterprise_tier t WHERE t.uscc = e.uscc "
                           "AND t.tier = ANY(%s) AND t.awarded_on <= %s AND t.expires_on >= %s)")
            params += [list(value), on, on]
        elif name in ("employees_min", "revenue_min"):
            clauses.append(f"e.{name[:-4]} >= %s")
            params.append(value)
        elif name in ("employees_max", "revenue_max"):
            clauses.append(f"e.{name[:-4]} <= %s")
            params.append(value)
        elif name == "rd_ratio_min":
            # criteria.rd_ratio_meets: no ratio without R&D spend or without revenue
            if value == 0:
                clauses.append("(e.rd_expense IS NOT NULL AND e.revenue > 0)")
            else:
                clauses.append("(e.rd_expense > 0 AND e.revenue > 0 AND e.rd_expense >= %s * e.revenue)")
                params.append(criteria_rules.ratio(value))
        elif name == "registered_years_min":
            clauses.append("e.registered_on <= %s")
            params.append(domain.latest_founding_for(on, value))
        elif name == "tags":
            clauses.append("e.tags && %s::text[]")
            params.append(list(value))
    return (" AND ".join(clauses) or "TRUE"), params


def count_matching(tx, criteria, on, within=None):
    where, params = predicate(criteria, on, within)
    return tx.one(f"SELECT count(*) AS n FROM enterprise e WHERE {where}", params)["n"]


def matching_page(tx, criteria, on, after=None, limit=1000, within=None):
    """One page of matching enterprises, ``(uscc, region_code)`` in USCC order, after ``after``
    (keyset pagination)."""
    where, params = predicate(criteria, on, within)
    if after:
        where += " AND e.uscc > %s"
        params.append(after)
    tx.execute(f"SELECT e.uscc, e.region_code FROM enterprise e WHERE {where} ORDER BY e.uscc LIMIT %s",
               params + [limit])
    return [(row["uscc"], row["region_code"]) for row in tx.cursor.fetchall()]


def like_pattern(text):
    """A LIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(tx, criteria, name, order, limit, offset, on, within=None, after=None):
    """``(rows, total)``: up to ``limit`` enterprises meeting ``criteria`` whose name contains
    ``name``, in ``order`` (one of :data:`ORDERS`), from ``offset`` or after the position
    ``after`` (keyset)."""
    where, params = predicate(criteria, on, within)
    if name:
        where += " AND e.name ILIKE %s"
        params.append(like_pattern(name))
    total = tx.one(f"SELECT count(*) AS n FROM enterprise e WHERE {where}", params)["n"]
    if after is not None:
        where += " AND " + order.after(after, params)
        offset = 0
    columns = ", ".join(f"e.{c}" for c in SUMMARY_COLUMNS)
    rows = tx.all(f"SELECT {columns}, e.created_at, {ACTIVE_TIERS} FROM enterprise e WHERE {where} "
                  f"ORDER BY {order.order_by()} LIMIT %s OFFSET %s",
                  [on, on] + params + [limit, offset])
    return rows, total


# -- bulk import --------------------------------------------------------------------------

def _copy_text(value):
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, list):
        value = "{" + ",".join('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'
                               for item in value) + "}"
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def _copy(tx, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    tx.copy_in(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def import_profiles(tx, profiles, on):
    """Store many new profiles at once (COPY, then one INSERT … SELECT per table).

    Profiles whose USCC is already registered are skipped; returns the set of
    USCCs stored. Each stored enterprise gets its figures and tiers in the same
    statement, so no row is half-written.
    """
    tx.execute("CREATE TEMP TABLE enterprise_import (LIKE enterprise INCLUDING DEFAULTS) ON COMMIT DROP")
    tx.execute("CREATE TEMP TABLE enterprise_figures_import (LIKE enterprise_figures) ON COMMIT DROP")
    tx.execute("CREATE TEMP TABLE enterprise_tier_import (LIKE enterprise_tier INCLUDING DEFAULTS) "
                "ON COMMIT DROP")
    _copy(tx, "enterprise_import", ENTERPRISE_COLUMNS,
          ([profile.get(c) for c in ENTERPRISE_COLUMNS] for profile in profiles))
    _copy(tx, "enterprise_figures_import", ("uscc", "year") + FIGURE_COLUMNS,
          ([profile["uscc"], year] + [figures.get(c) for c in FIGURE_COLUMNS]
           for profile in profiles for year, figures in profile["figures"].items()))
    _copy(tx, "enterprise_tier_import", ("uscc",) + TIER_COLUMNS + ("expiry_announced",),
          ([profile["uscc"]] + [record[c] for c in TIER_COLUMNS] + [record["expires_on"] < on]
           for profile in profiles for record in profile["tiers"]))
    columns = ", ".join(ENTERPRISE_COLUMNS)
    rows = tx.all(
        f"WITH stored AS (INSERT INTO enterprise ({columns}) SELECT {columns} FROM enterprise_import "
        "  ON CONFLICT (uscc) DO NOTHING RETURNING uscc), "
        " figures AS (INSERT INTO enterprise_figures SELECT f.* FROM enterprise_figures_import f "
        "  JOIN stored USING (uscc)), "
        " tiers AS (INSERT INTO enterprise_tier SELECT t.* FROM enterprise_tier_import t "
        "  JOIN stored USING (uscc)) "
        "SELECT uscc FROM stored")
    tx.execute("DROP TABLE enterprise_import, enterprise_figures_import, enterprise_tier_import")
    return {row["uscc"] for row in rows}


# -- tier expiry ----------------------------------------------------------------------------

def claim_expired_tiers(tx, on, limit=1000):
    """Mark up to ``limit`` awards that expired before ``on`` as announced; return their USCCs.

    ``SKIP LOCKED`` lets several replicas sweep at once without announcing twice.
    """
    rows = tx.all(
        "WITH due AS (SELECT uscc, tier, certificate_no FROM enterprise_tier "
        "  WHERE NOT expiry_announced AND expires_on < %s ORDER BY expires_on LIMIT %s "
        "  FOR UPDATE SKIP LOCKED) "
        "UPDATE enterprise_tier t SET expiry_announced = true FROM due "
        "WHERE t.uscc = due.uscc AND t.tier = due.tier AND t.certificate_no = due.certificate_no "
        "RETURNING t.uscc, t.tier", (on, limit))
    expired = {}
    for row in rows:
        expired.setdefault(row["uscc"], set()).add(row["tier"])
    return expired


def tiers_and_regions(tx, usccs):
    """``{uscc: (region_code, [tier records])}`` for several enterprises."""
    found = {row["uscc"]: (row["region_code"], []) for row in tx.all(
        "SELECT uscc, region_code FROM enterprise WHERE uscc = ANY(%s)", (list(usccs),))}
    for row in tx.all(f"SELECT uscc, {', '.join(TIER_COLUMNS)} FROM enterprise_tier WHERE uscc = ANY(%s)",
                      (list(usccs),)):
        found[row.pop("uscc")][1].append(dict(row))
    return found
