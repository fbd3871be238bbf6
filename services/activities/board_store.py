"""SQL over the ``activities`` schema for lead firms and the two matchmaking boards."""
from reference import workdays

CHAIN_NEED_VIEW = """
    SELECT n.*, f.name AS lead_firm_name,
           (SELECT count(*) FROM chain_offer c WHERE c.need_id = n.id) AS offers
    FROM chain_need n JOIN lead_firm f ON f.id = n.lead_firm_id"""
CHAIN_OFFER_VIEW = """
    SELECT c.*, c.sme_region_code AS region_code, e.name
    FROM chain_offer c LEFT JOIN enterprise e ON e.uscc = c.uscc"""
FINANCING_VIEW = """
    SELECT n.*, e.name, (SELECT count(*) FROM financing_offer o WHERE o.need_id = n.id) AS offers
    FROM financing_need n LEFT JOIN enterprise e ON e.uscc = n.uscc"""
MAX_SUGGESTIONS = 50


# -- lead firms ------------------------------------------------------------------------------------

def insert_lead_firm(tx, firm, registered_by):
    return tx.one(
        "INSERT INTO lead_firm (uscc, name, region_code, industry_codes, description, registered_by) "
        "VALUES (%(uscc)s, %(name)s, %(region_code)s, %(industry_codes)s, %(description)s, %(registered_by)s) "
        "ON CONFLICT (uscc) DO NOTHING RETURNING *", {**firm, "registered_by": registered_by})


def lead_firm(tx, lead_firm_id):
    return tx.one("SELECT * FROM lead_firm WHERE id = %s", (lead_firm_id,))


def lead_firms(tx, prefix, limit, offset):
    return tx.page("*", "lead_firm WHERE region_code LIKE %(prefix)s", {"prefix": prefix + "%"},
                   "id", limit, offset)


# -- supply-chain needs ------------------------------------------------------------------------------

def insert_chain_need(tx, need):
    row = tx.one(
        "INSERT INTO chain_need (lead_firm_id, region_code, title, description, industry_codes, region_prefixes, "
        "size_classes, tiers, quantity, deadline) VALUES (%(lead_firm_id)s, %(region_code)s, %(title)s, "
        "%(description)s, %(industry_codes)s, %(region_prefixes)s, %(size_classes)s, %(tiers)s, %(quantity)s, "
        "%(deadline)s) RETURNING id", need)
    return chain_need(tx, row["id"])


def chain_need(tx, need_id, lock=False):
    if lock:
        tx.execute("SELECT id FROM chain_need WHERE id = %s FOR UPDATE", (need_id,))
    return tx.one(f"{CHAIN_NEED_VIEW} WHERE n.id = %s", (need_id,))


def chain_needs(tx, filters, lead_firm_id, limit, offset):
    where, params = ["true"], {}
    if filters.get("state", "open") != "all":
        where.append("n.state = %(state)s")
        params["state"] = filters.get("state", "open")
    if filters.get("industry"):
        where.append("EXISTS (SELECT 1 FROM unnest(n.industry_codes) code "
                     "WHERE %(industry)s LIKE code || '%%' OR code LIKE %(industry)s || '%%')")
        params["industry"] = filters["industry"]
    if lead_firm_id is not None:
        where.append("n.lead_firm_id = %(lead_firm_id)s")
        params["lead_firm_id"] = lead_firm_id
    return tx.page("n.*, f.name AS lead_firm_name, (SELECT count(*) FROM chain_offer c WHERE c.need_id = n.id) "
                   "AS offers", f"chain_need n JOIN lead_firm f ON f.id = n.lead_firm_id WHERE {' AND '.join(where)}",
                   params, "n.id DESC", limit, offset)


def close_chain_need(tx, need_id):
    tx.execute("UPDATE chain_need SET state = 'closed', closed_at = now() WHERE id = %s", (need_id,))


def suggestions(tx, need):
    """SMEs in the need's industries (and regions, when it names some), those meeting most of its
    preferred size classes and tiers first; at most :data:`MAX_SUGGESTIONS`."""
    return tx.all(
        "SELECT uscc, name, region_code, industry_code, size_class, active_tiers FROM enterprise e "
        "WHERE EXISTS (SELECT 1 FROM unnest(%(industries)s::text[]) code WHERE e.industry_code LIKE code || '%%') "
        "AND (cardinality(%(regions)s::text[]) = 0 OR "
        "     EXISTS (SELECT 1 FROM unnest(%(regions)s::text[]) p WHERE e.region_code LIKE p || '%%')) "
        "AND NOT EXISTS (SELECT 1 FROM lead_firm f WHERE f.uscc = e.uscc) "
        "ORDER BY (e.size_class = ANY(%(sizes)s::text[]))::int + (e.active_tiers && %(tiers)s::text[])::int DESC, "
        "e.uscc LIMIT %(limit)s",
        {"industries": list(need["industry_codes"]), "regions": list(need["region_prefixes"]),
         "sizes": list(need["size_classes"]), "tiers": list(need["tiers"]), "limit": MAX_SUGGESTIONS})


def insert_chain_offer(tx, need_id, uscc, sme_region_code, offer):
    row = tx.one("INSERT INTO chain_offer (need_id, uscc, sme_region_code, offer) VALUES (%s, %s, %s, %s) "
                 "ON CONFLICT (need_id, uscc) DO NOTHING RETURNING id", (need_id, uscc, sme_region_code, offer))
    return None if row is None else chain_offer(tx, row["id"])


def chain_offer(tx, offer_id, lock=False):
    if lock:
        tx.execute("SELECT id FROM chain_offer WHERE id = %s FOR UPDATE", (offer_id,))
    return tx.one(f"{CHAIN_OFFER_VIEW} WHERE c.id = %s", (offer_id,))


def chain_offers(tx, need_id, uscc, limit, offset):
    params = {"need_id": need_id}
    where = "c.need_id = %(need_id)s"
    if uscc is not None:
        where += " AND c.uscc = %(uscc)s"
        params["uscc"] = uscc
    return tx.page("c.*, c.sme_region_code AS region_code, e.name",
                   f"chain_offer c LEFT JOIN enterprise e ON e.uscc = c.uscc WHERE {where}",
                   params, "c.id", limit, offset)


def shortlist(tx, offer_id):
    tx.execute("UPDATE chain_offer SET state = 'shortlisted', shortlisted_at = now() WHERE id = %s", (offer_id,))


def record_chain_outcome(tx, offer_id, outcome, note):
    tx.execute("UPDATE chain_offer SET outcome = %s, outcome_note = %s, outcome_at = now() WHERE id = %s",
               (outcome, note, offer_id))


# -- financing needs ----------------------------------------------------------------------------------

def insert_financing_need(tx, need):
    row = tx.one(
        "INSERT INTO financing_need (uscc, region_code, amount, term_months, purpose, collateral) VALUES "
        "(%(uscc)s, %(region_code)s, %(amount)s, %(term_months)s, %(purpose)s, %(collateral)s) RETURNING id", need)
    return financing_need(tx, row["id"])


def financing_need(tx, need_id, lock=False):
    if lock:
        tx.execute("SELECT id FROM financing_need WHERE id = %s FOR UPDATE", (need_id,))
    return tx.one(f"{FINANCING_VIEW} WHERE n.id = %s", (need_id,))


def financing_needs(tx, visible, state, limit, offset):
    """Needs a caller sees (``visible``: ``all``, a region ``prefix``, an SME's ``uscc`` or a finance
    provider's ``provider_region``: its own needs and the open ones it may answer)."""
    where, params = [], {}
    if visible.get("prefix") is not None:
        where.append("n.region_code LIKE %(prefix)s")
        params["prefix"] = visible["prefix"] + "%"
    if visible.get("uscc") is not None:
        params["uscc"] = visible["uscc"]
        mine = "n.uscc = %(uscc)s"
        if visible.get("provider_prefix") is not None:
            params["provider_prefix"] = visible["provider_prefix"] + "%"
            params["provider_id"] = visible["provider_id"]
            mine = (f"({mine} OR (n.state = 'open' AND n.region_code LIKE %(provider_prefix)s) OR EXISTS "
                    "(SELECT 1 FROM financing_offer o WHERE o.need_id = n.id AND o.provider_id = %(provider_id)s))")
        where.append(mine)
    if state != "all":
        where.append("n.state = %(state)s")
        params["state"] = state
    source = ("financing_need n LEFT JOIN enterprise e ON e.uscc = n.uscc WHERE "
              + (" AND ".join(where) or "true"))
    return tx.page("n.*, e.name, (SELECT count(*) FROM financing_offer o WHERE o.need_id = n.id) AS offers",
                   source, params, "n.id DESC", limit, offset)


def insert_financing_offer(tx, need_id, provider, offer):
    row = tx.one(
        "INSERT INTO financing_offer (need_id, provider_id, provider_name, amount, annual_rate_pct, term_months, "
        "conditions) VALUES (%(need_id)s, %(provider_id)s, %(provider_name)s, %(amount)s, %(annual_rate_pct)s, "
        "%(term_months)s, %(conditions)s) ON CONFLICT (need_id, provider_id) DO NOTHING RETURNING *",
        {**offer, "need_id": need_id, "provider_id": provider["provider_id"], "provider_name": provider["name"]})
    return row


def financing_offer(tx, offer_id):
    return tx.one("SELECT * FROM financing_offer WHERE id = %s", (offer_id,))


def financing_offers(tx, need_id, provider_id=None):
    if provider_id is None:
        return tx.all("SELECT * FROM financing_offer WHERE need_id = %s ORDER BY id", (need_id,))
    return tx.all("SELECT * FROM financing_offer WHERE need_id = %s AND provider_id = %s ORDER BY id",
                  (need_id, provider_id))


def accept_offer(tx, need_id, offer_id):
    tx.execute("UPDATE financing_offer SET state = CASE WHEN id = %s THEN 'accepted' ELSE 'not_chosen' END "
               "WHERE need_id = %s", (offer_id, need_id))
    tx.execute("UPDATE financing_need SET state = 'accepted', accepted_offer_id = %s, accepted_at = now() "
               "WHERE id = %s", (offer_id, need_id))


def close_financing_need(tx, need_id, outcome):
    tx.execute("UPDATE financing_need SET state = 'closed', closed_at = now(), outcome = %(outcome)s, "
               "funded_amount = %(funded_amount)s, funded_on = %(funded_on)s, days_to_funding = %(days_to_funding)s, "
               "outcome_note = %(outcome_note)s WHERE id = %(id)s", {**outcome, "id": need_id})


# -- assessment ----------------------------------------------------------------------------------------

def chain_figures(tx, prefix, start, end):
    since, until = workdays.moment_of(start), workdays.moment_of(end)
    posted = tx.one("SELECT count(*) AS n FROM chain_need WHERE region_code LIKE %s AND created_at >= %s "
                    "AND created_at < %s", (prefix + "%", since, until))["n"]
    offers = tx.one(
        "SELECT count(*) FILTER (WHERE created_at >= %(since)s AND created_at < %(until)s) AS offers, "
        "count(*) FILTER (WHERE shortlisted_at >= %(since)s AND shortlisted_at < %(until)s) AS matches_made, "
        "count(*) FILTER (WHERE outcome = 'contracted' AND outcome_at >= %(since)s AND outcome_at < %(until)s) "
        "AS contracts_signed FROM chain_offer WHERE sme_region_code LIKE %(prefix)s",
        {"since": since, "until": until, "prefix": prefix + "%"})
    return {"needs_posted": posted, **offers}


def finance_figures(tx, prefix, start, end):
    since, until = workdays.moment_of(start), workdays.moment_of(end)
    row = tx.one(
        "SELECT count(*) FILTER (WHERE posted_at >= %(since)s AND posted_at < %(until)s) AS needs_posted, "
        "count(*) FILTER (WHERE accepted_at >= %(since)s AND accepted_at < %(until)s) AS matches_made, "
        "count(*) FILTER (WHERE outcome = 'funded' AND funded_on >= %(start)s AND funded_on < %(end)s) "
        "AS loans_granted, coalesce(sum(funded_amount) FILTER (WHERE outcome = 'funded' AND funded_on >= %(start)s "
        "AND funded_on < %(end)s), 0)::float AS amount_granted, round(avg(days_to_funding) FILTER (WHERE "
        "outcome = 'funded' AND funded_on >= %(start)s AND funded_on < %(end)s)::numeric, 1)::float "
        "AS average_days_to_funding FROM financing_need WHERE region_code LIKE %(prefix)s",
        {"since": since, "until": until, "start": start, "end": end, "prefix": prefix + "%"})
    offers = tx.one("SELECT count(*) AS n FROM financing_offer o JOIN financing_need n ON n.id = o.need_id "
                    "WHERE n.region_code LIKE %s AND o.created_at >= %s AND o.created_at < %s",
                    (prefix + "%", since, until))["n"]
    return {**row, "offers": offers}
