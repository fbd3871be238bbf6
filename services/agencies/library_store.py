"""SQL for the basic-information library: policies and the other library entries."""
from psycopg2.extras import execute_values

from services.agencies import domain
from services.agencies.store import adapt, constraints_named, get, insert, page, update

POLICY_COLUMNS = ("agency_id", "title", "issuer", "issuer_level", "document_number", "issued_on",
                  "expires_on", "region_code", "region_prefix", "service_area", "benefits",
                  "full_text", "criteria")


def insert_policy(tx, values):
    return insert(tx, "policy", {column: values.get(column) for column in POLICY_COLUMNS})


def insert_policies(tx, many_values):
    """Insert many policies in one statement: their rows, in the order given (their ids are drawn
    in that order)."""
    rows = [[adapt(column, values.get(column)) for column in POLICY_COLUMNS] for values in many_values]
    with constraints_named():
        inserted = execute_values(tx.cursor, f"INSERT INTO policy ({', '.join(POLICY_COLUMNS)}) VALUES %s "
                                  "RETURNING *", rows, page_size=max(len(rows), 1), fetch=True)
    return sorted(inserted, key=lambda row: row["id"])


def set_policies_state(tx, ids_and_reasons, state):
    """:func:`set_policy_state` for many ``(policy_id, reason)`` in one statement: the rows, by id."""
    rows = tx.all("UPDATE policy p SET state = %s, withdrawn_reason = coalesce(g.reason, p.withdrawn_reason), "
                  "published_at = CASE WHEN %s = 'published' THEN now() ELSE p.published_at END, "
                  "updated_at = now() FROM unnest(%s::int[], %s::text[]) AS g (id, reason) "
                  "WHERE p.id = g.id RETURNING p.*",
                  (state, state, [policy_id for policy_id, _ in ids_and_reasons],
                   [reason for _, reason in ids_and_reasons]))
    return sorted(rows, key=lambda row: row["id"])


def update_policy(tx, policy_id, values):
    return update(tx, "policy", policy_id, values)


def get_policy(tx, policy_id, lock=False):
    return get(tx, "policy", policy_id, lock)


def set_policy_state(tx, policy_id, state, reason=None):
    return tx.one("UPDATE policy SET state = %s, withdrawn_reason = coalesce(%s, withdrawn_reason), "
                  "published_at = CASE WHEN %s = 'published' THEN now() ELSE published_at END, "
                  "updated_at = now() WHERE id = %s RETURNING *",
                  (state, reason, state, policy_id))


def list_policies(tx, filters, limit, offset):
    conditions, params = ["state = ANY(%(states)s)"], {"states": filters["states"]}
    if "area" in filters:
        conditions.append("service_area = %(area)s")
        params["area"] = filters["area"]
    if "region" in filters:
        conditions.append("region_prefix = ANY(%(prefixes)s)")
        params["prefixes"] = domain.covering_prefixes(filters["region"])
    if "within" in filters:
        conditions.append("region_prefix LIKE %(within)s")
        params["within"] = filters["within"] + "%"
    if "agency_id" in filters:
        conditions.append("agency_id = %(agency_id)s")
        params["agency_id"] = filters["agency_id"]
    if "published" in filters:
        conditions.append("published_at IS NOT NULL" if filters["published"] else "published_at IS NULL")
    return page(tx, "policy", conditions, params, "issued_on DESC, id DESC", limit, offset)


def policies_in_force(tx, region_code, today):
    """Published, unexpired policies whose scope covers ``region_code`` (index on region_prefix)."""
    return tx.all("SELECT * FROM policy WHERE state = 'published' AND region_prefix = ANY(%s) "
                  "AND (expires_on IS NULL OR expires_on >= %s) ORDER BY issued_on DESC, id DESC",
                  (domain.covering_prefixes(region_code), today))


def expire_due(tx, today):
    """Mark every published policy past its expiry date expired, in one statement.

    Safe with several replicas: a row another replica is expiring is locked,
    and once it commits the row no longer matches ``state = 'published'``.
    """
    return tx.all("UPDATE policy SET state = 'expired', updated_at = now() "
                  "WHERE state = 'published' AND expires_on < %s RETURNING *", (today,))


# -- laws, experts, FAQs, products, cases --------------------------------------

def insert_entry(tx, kind, values):
    return insert(tx, kind.table, values)


def update_entry(tx, kind, entry_id, values):
    return update(tx, kind.table, entry_id, values)


def get_entry(tx, kind, entry_id):
    return get(tx, kind.table, entry_id)


def list_entries(tx, kind, filters, limit, offset):
    conditions, params = [], {}
    if "area" in filters:
        conditions.append("%(area)s = ANY(service_areas)" if kind.name == "expert" else "service_area = %(area)s")
        params["area"] = filters["area"]
    if "region" in filters:
        if kind.name == "expert":
            conditions.append("region_code LIKE %(within)s")
            params["within"] = domain.coverage_prefix(filters["region"]) + "%"
        else:
            conditions.append("region_prefix = ANY(%(prefixes)s)")
            params["prefixes"] = domain.covering_prefixes(filters["region"])
    if "available" in filters:
        conditions.append("available = %(available)s")
        params["available"] = filters["available"]
    if "industry" in filters:
        conditions.append("(cardinality(industry_codes) = 0 OR EXISTS (SELECT 1 FROM unnest(industry_codes) c "
                          "WHERE %(industry)s LIKE c || '%%' OR c LIKE %(industry)s || '%%'))")
        params["industry"] = filters["industry"].strip().upper()
    for column, key in (("size_classes", "size_class"), ("tiers", "tier")):
        if key in filters:
            conditions.append(f"(cardinality({column}) = 0 OR %({key})s = ANY({column}))")
            params[key] = filters[key]
    if "provider_id" in filters:
        conditions.append("provider_id = %(provider_id)s")
        params["provider_id"] = filters["provider_id"]
    return page(tx, kind.table, conditions, params, "updated_at DESC, id DESC", limit, offset)
