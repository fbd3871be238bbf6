"""SQL over the ``agencies`` schema: the agency hierarchy, guides and the search index.

Also the few generic row helpers the library stores share. Nothing outside
this service touches the schema.
"""
import json
import re
from contextlib import contextmanager

import psycopg2
import psycopg2.extras

from chassis import keyset
from chassis.errors import Conflict, ValidationFailed

JSON_COLUMNS = frozenset({"criteria", "contact", "qualifications", "supervision", "process", "certifications",
                          "indicators", "facts"})
AGENCY_COLUMNS = ("name", "level", "region_code", "region_prefix", "depth", "parent_id", "park",
                  "service_areas", "active")
AGENCY_FIELDS = ("id", "name", "level", "region_code", "region_prefix", "depth", "parent_id", "park",
                 "service_areas", "active", "created_at", "updated_at")
_KEY = re.compile(r"Key \((?P<column>[^)]+)\)=\((?P<value>[^)]*)\)")


def _json(value):
    return psycopg2.extras.Json(value, dumps=lambda data: json.dumps(data, ensure_ascii=False, default=str))


def adapt(column, value):
    """``value`` of ``column`` as psycopg2 sends it (JSON columns as JSON)."""
    return _json(value) if column in JSON_COLUMNS else value


@contextmanager
def constraints_named():
    """Turn a broken foreign key or unique constraint into an error naming the field."""
    try:
        yield
    except psycopg2.errors.ForeignKeyViolation as exc:
        found = _KEY.search(exc.diag.message_detail or "")
        column, value = (found["column"], found["value"]) if found else ("reference", "?")
        raise ValidationFailed(f"{column} {value} does not exist", {column: [f"no such record: {value}"]}) from None
    except psycopg2.errors.UniqueViolation as exc:
        found = _KEY.search(exc.diag.message_detail or "")
        column, value = (found["column"], found["value"]) if found else ("record", "?")
        raise Conflict(f"{column} {value} is already taken", {column: [f"already exists: {value}"]}) from None


def insert(tx, table, values):
    columns = list(values)
    with constraints_named():
        return tx.one(f"INSERT INTO {table} ({', '.join(columns)}) "
                      f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING *",
                      [adapt(column, values[column]) for column in columns])


def update(tx, table, row_id, values):
    columns = list(values)
    with constraints_named():
        return tx.one(f"UPDATE {table} SET {', '.join(f'{column} = %s' for column in columns)}, "
                      "updated_at = now() WHERE id = %s RETURNING *",
                      [adapt(column, values[column]) for column in columns] + [row_id])


def get(tx, table, row_id, lock=False):
    return tx.one(f"SELECT * FROM {table} WHERE id = %s" + (" FOR UPDATE" if lock else ""), (row_id,))


def page(tx, table, conditions, params, order, limit, offset):
    """``(rows, total)`` of one page of ``table`` under ``conditions`` (ANDed SQL fragments)."""
    where = " AND ".join(conditions) or "true"
    return tx.page("*", f"{table} WHERE {where}", params, order, limit, offset)


# -- agencies ---------------------------------------------------------------

def get_agency(tx, agency_id, lock=False):
    return tx.one(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency WHERE id = %s"
                  + (" FOR UPDATE" if lock else ""), (agency_id,))


def insert_agency(tx, row):
    with constraints_named():
        return tx.one(f"INSERT INTO agency ({', '.join(AGENCY_COLUMNS)}) "
                      f"VALUES ({', '.join(['%s'] * len(AGENCY_COLUMNS))}) "
                      f"RETURNING {', '.join(AGENCY_FIELDS)}",
                      [row[column] for column in AGENCY_COLUMNS])


def update_agency(tx, row):
    return tx.one("UPDATE agency SET name = %(name)s, parent_id = %(parent_id)s, park = %(park)s, "
                  "service_areas = %(service_areas)s, active = %(active)s, updated_at = now() "
                  f"WHERE id = %(id)s RETURNING {', '.join(AGENCY_FIELDS)}", row)


def agency_at(tx, region_code, lock=False):
    """The agency (not a station) of a region, or None."""
    return tx.one(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency WHERE region_code = %s AND level <> 'station'"
                  + (" FOR UPDATE" if lock else ""), (region_code,))


def station_of(tx, parent_id, park, name):
    return tx.one(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency WHERE parent_id = %s AND park = %s "
                  "AND name = %s AND level = 'station'", (parent_id, park, name))


def provincial_ref(tx, province, kind, ref):
    """OneNet's id of what province ``province`` calls ``ref``, or None."""
    row = tx.one("SELECT local_id FROM provincial_ref WHERE province = %s AND kind = %s AND ref = %s",
                 (province, kind, ref))
    return row["local_id"] if row else None


def map_provincial_ref(tx, province, kind, ref, local_id):
    tx.execute("INSERT INTO provincial_ref (province, kind, ref, local_id) VALUES (%s, %s, %s, %s) "
               "ON CONFLICT (province, kind, ref) DO UPDATE SET local_id = EXCLUDED.local_id",
               (province, kind, ref, local_id))


def chain_above(tx, agency_id):
    """Ids from ``agency_id`` up to the top of its hierarchy, itself first."""
    rows = tx.all("""
        WITH RECURSIVE up (id, parent_id, hops) AS (
            SELECT id, parent_id, 0 FROM agency WHERE id = %s
            UNION ALL
            SELECT agency.id, agency.parent_id, up.hops + 1
            FROM agency JOIN up ON agency.id = up.parent_id
            WHERE up.hops < 10
        ) SELECT id FROM up ORDER BY hops""", (agency_id,))
    return [row["id"] for row in rows]


def list_agencies(tx, filters, limit, offset):
    conditions, params = [], {}
    if "level" in filters:
        conditions.append("level = %(level)s")
        params["level"] = filters["level"]
    if "region" in filters:
        conditions.append("region_code LIKE %(region)s")
        params["region"] = filters["region"] + "%"
    if "parent_id" in filters:
        conditions.append("parent_id = %(parent_id)s")
        params["parent_id"] = filters["parent_id"]
    if "area" in filters:
        conditions.append("%(area)s = ANY(service_areas)")
        params["area"] = filters["area"]
    if "park" in filters:
        conditions.append("park = %(park)s")
        params["park"] = filters["park"]
    return page(tx, "agency", conditions, params, "depth, region_code, id", limit, offset)


def route_candidates(tx, prefixes, park):
    """Agencies whose coverage includes the place: an index lookup on ``region_prefix``."""
    return tx.all(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency "
                  "WHERE region_prefix = ANY(%(prefixes)s) "
                  "AND (level <> 'station' OR park = %(park)s)",
                  {"prefixes": prefixes, "park": park})


def insert_skeleton(tx, rows):
    """Insert the skeleton level by level, parents found by region code; existing ones kept.

    Returns the agencies created.
    """
    tx.execute("CREATE TEMPORARY TABLE skeleton (name text, level text, region_code char(6), "
               "region_prefix text, depth smallint, parent_region char(6), service_areas text[]) "
               "ON COMMIT DROP")
    psycopg2.extras.execute_values(
        tx.cursor, "INSERT INTO skeleton VALUES %s",
        [(row["name"], row["level"], row["region_code"], row["region_prefix"], row["depth"],
          row["parent_region"], row["service_areas"]) for row in rows], page_size=5000)
    created = tx.all(f"""
        INSERT INTO agency (name, level, region_code, region_prefix, depth, parent_id, service_areas)
        SELECT name, level, region_code, region_prefix, depth, NULL, service_areas
        FROM skeleton WHERE level = 'national'
        ON CONFLICT DO NOTHING RETURNING {', '.join(AGENCY_FIELDS)}""")
    for level in ("province", "city", "county"):
        created += tx.all(f"""
            INSERT INTO agency (name, level, region_code, region_prefix, depth, parent_id, service_areas)
            SELECT s.name, s.level, s.region_code, s.region_prefix, s.depth, parent.id, s.service_areas
            FROM skeleton s JOIN agency parent
              ON parent.region_code = s.parent_region AND parent.level <> 'station'
            WHERE s.level = %s
            ORDER BY s.region_code
            ON CONFLICT DO NOTHING RETURNING {', '.join(AGENCY_FIELDS)}""", (level,))
    return created


def count_agencies(tx):
    return tx.one("SELECT count(*) AS n FROM agency")["n"]


# -- the service guide --------------------------------------------------------

def get_guide(tx, agency_id):
    guide = tx.one("SELECT g.*, a.name AS agency_name FROM guide g JOIN agency a ON a.id = g.agency_id "
                   "WHERE g.agency_id = %s", (agency_id,))
    if guide is None:
        return None
    guide["items"] = tx.all("SELECT service_area, title, content, process, accept_days, resolve_days, fee "
                            "FROM guide_item WHERE agency_id = %s ORDER BY position", (agency_id,))
    return guide


def replace_guide(tx, agency_id, content, actor):
    """Store ``content`` as the agency's published guide (the next version)."""
    tx.execute("""
        INSERT INTO guide (agency_id, supervision, contact, published_by)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (agency_id) DO UPDATE SET supervision = EXCLUDED.supervision,
            contact = EXCLUDED.contact, published_by = EXCLUDED.published_by,
            version = guide.version + 1, published_at = now()""",
               (agency_id, _json(content["supervision"]), _json(content["contact"]), actor))
    tx.execute("DELETE FROM guide_item WHERE agency_id = %s", (agency_id,))
    psycopg2.extras.execute_values(
        tx.cursor,
        "INSERT INTO guide_item (agency_id, position, service_area, title, content, process, "
        "accept_days, resolve_days, fee) VALUES %s",
        [(agency_id, position, item["service_area"], item["title"], item["content"],
          _json(item["process"]), item["accept_days"], item["resolve_days"],
          item.get("fee", "免费"))
         for position, item in enumerate(content["items"])])
    return get_guide(tx, agency_id)


def agencies_by_id(tx, ids, lock=False):
    """``{id: agency}`` of the agencies among ``ids`` (locked, with ``lock``)."""
    rows = tx.all(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency WHERE id = ANY(%s) ORDER BY id"
                  + (" FOR UPDATE" if lock else ""), (list(ids),))
    return {row["id"]: row for row in rows}


def replace_guides(tx, guides, actor):
    """Store each ``(agency_id, content)`` as that agency's published guide (its next version), in
    three statements whatever their number: ``{agency_id: version}``."""
    versions = psycopg2.extras.execute_values(tx.cursor, """
        INSERT INTO guide (agency_id, supervision, contact, published_by) VALUES %s
        ON CONFLICT (agency_id) DO UPDATE SET supervision = EXCLUDED.supervision,
            contact = EXCLUDED.contact, published_by = EXCLUDED.published_by,
            version = guide.version + 1, published_at = now()
        RETURNING agency_id, version""",
        [(agency_id, _json(content["supervision"]), _json(content["contact"]), actor)
         for agency_id, content in guides], page_size=len(guides) or 1, fetch=True)
    tx.execute("DELETE FROM guide_item WHERE agency_id = ANY(%s)", ([agency_id for agency_id, _ in guides],))
    psycopg2.extras.execute_values(
        tx.cursor,
        "INSERT INTO guide_item (agency_id, position, service_area, title, content, process, "
        "accept_days, resolve_days, fee) VALUES %s",
        [(agency_id, position, item["service_area"], item["title"], item["content"],
          _json(item["process"]), item["accept_days"], item["resolve_days"], item.get("fee", "免费"))
         for agency_id, content in guides for position, item in enumerate(content["items"])],
        page_size=1000)
    return {row["agency_id"]: row["version"] for row in versions}


def all_agencies(tx):
    """Every agency with the time of its last change (the snapshot a copy of the hierarchy starts from)."""
    return tx.all(f"SELECT {', '.join(AGENCY_FIELDS)} FROM agency ORDER BY id")


def all_guide_time_limits(tx):
    """Every published guide: ``[{"agency_id", "version", "time_limits": [{"service_area", ...}]}]``."""
    return tx.all("SELECT g.agency_id, g.version, coalesce(json_agg(json_build_object("
                  "'service_area', i.service_area, 'accept_days', i.accept_days, 'resolve_days', i.resolve_days) "
                  "ORDER BY i.position) FILTER (WHERE i.agency_id IS NOT NULL), '[]') AS time_limits "
                  "FROM guide g LEFT JOIN guide_item i ON i.agency_id = g.agency_id "
                  "GROUP BY g.agency_id, g.version ORDER BY g.agency_id")


def guide_item(tx, agency_id, service_area):
    return tx.one("SELECT accept_days, resolve_days FROM guide_item "
                  "WHERE agency_id = %s AND service_area = %s", (agency_id, service_area))


# -- the library search index ---------------------------------------------------

def index_entry(tx, kind, ref_id, document):
    """Keep the search document of one library entry in step with it (same transaction)."""
    tx.execute("""
        INSERT INTO search_entry (kind, ref_id, title, body, service_areas, region_code, visible)
        VALUES (%(kind)s, %(ref_id)s, %(title)s, %(body)s, %(service_areas)s, %(region_code)s, %(visible)s)
        ON CONFLICT (kind, ref_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,
            service_areas = EXCLUDED.service_areas, region_code = EXCLUDED.region_code,
            visible = EXCLUDED.visible, updated_at = now()""",
               {"kind": kind, "ref_id": ref_id, **document})


def index_entries(tx, kind, documents):
    """:func:`index_entry` for many ``(ref_id, document)`` in one statement."""
    psycopg2.extras.execute_values(tx.cursor, """
        INSERT INTO search_entry (kind, ref_id, title, body, service_areas, region_code, visible) VALUES %s
        ON CONFLICT (kind, ref_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,
            service_areas = EXCLUDED.service_areas, region_code = EXCLUDED.region_code,
            visible = EXCLUDED.visible, updated_at = now()""",
        [(kind, ref_id, document["title"], document["body"], document["service_areas"], document["region_code"],
          document["visible"]) for ref_id, document in documents], page_size=1000)


def index_visibility(tx, kind, ref_ids, visible):
    tx.execute("UPDATE search_entry SET visible = %s, updated_at = now() "
               "WHERE kind = %s AND ref_id = ANY(%s)", (visible, kind, list(ref_ids)))


def search_order(terms):
    """The order of search hits for ``terms``: entries whose title holds every term first, then
    the most recently updated, then by kind and id."""
    title_hits = " AND ".join(f"title ILIKE %(p{number})s" for number in range(len(terms)))
    return keyset.Order("search", keyset.Key(f"({title_hits})", "title_hit", keyset.BOOLEAN, descending=True),
                        keyset.Key("updated_at", "updated_at", keyset.TIMESTAMP, descending=True),
                        keyset.Key("kind", "kind"), keyset.Key("ref_id", "id", keyset.INTEGER))


def search(tx, terms, kind, area, limit, offset, after=None):
    """Visible entries containing every term (as a substring), in :func:`search_order`, from
    ``offset`` or after the position ``after`` (keyset), and their total.

    Each term is matched through the GIN index on the entries' character
    bigrams (``grams @> bigrams(term)``) and then checked exactly with ILIKE,
    so 专精特新 is found inside any longer title or text.
    """
    conditions, params = ["visible"], {"limit": limit, "offset": offset}
    for number, term in enumerate(terms):
        conditions.append(f"grams @> bigrams(%(t{number})s) AND document ILIKE %(p{number})s")
        params[f"t{number}"] = term
        params[f"p{number}"] = "%" + _like_escape(term) + "%"
    if kind:
        conditions.append("kind = %(kind)s")
        params["kind"] = kind
    if area:
        conditions.append("%(area)s = ANY(service_areas)")
        params["area"] = area
    order = search_order(terms)
    params["first"] = terms[0]
    where = " AND ".join(conditions)
    counted = "count(*) OVER ()" if after is None else "0"
    if after is not None:
        where += " AND " + order.after(after, params)
        params["offset"] = 0
    rows = tx.all(f"""
        SELECT kind, ref_id AS id, title,
               substr(body, greatest(strpos(lower(body), lower(%(first)s)) - 30, 1), 120) AS snippet,
               service_areas[1] AS service_area, region_code, updated_at, {order.keys[0].sql} AS title_hit,
               {counted} AS total_rows
        FROM search_entry WHERE {where}
        ORDER BY {order.order_by()}
        LIMIT %(limit)s OFFSET %(offset)s""", params)
    if rows and after is None:
        total = rows[0]["total_rows"]
    else:
        total = tx.one(f"SELECT count(*) AS n FROM search_entry WHERE {' AND '.join(conditions)}", params)["n"] \
            if offset or after is not None else 0
    for row in rows:
        del row["total_rows"]
    return rows, total


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
