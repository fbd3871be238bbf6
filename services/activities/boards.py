"""Use cases of the matchmaking boards: lead firms, supply-chain needs and financing needs.

Each is a function of the transaction, ``announce`` (the outbox's ``add``) and
"today" where the rules need it. Who may act was settled by the gateway (a
lead firm acts on its own needs, an SME on its own); what depends on data
kept here — which finance providers see which needs — is settled here, from
the ``viewer`` the gateway passes (``{"role", "scope", "region_prefix"}``).
"""
from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from reference import regions
from services.activities import board_store, matchmaking, schemas, store
from services.activities.schemas import FINANCE_AREA

ADMINS = ("national_admin", "province_admin", "city_admin", "county_admin")


def chain_step(need, offer=None):
    return schemas.ChainNeedStep().dump(matchmaking.chain_event(need, offer))


def financing_step(need, offer=None):
    return schemas.FinancingNeedStep().dump(matchmaking.financing_event(need, offer))


def no_such(kind, key):
    """The answer for a missing object — and for one outside the caller's view, word for word."""
    return NotFound(f"no {kind} with id {key}", {f"{kind.replace(' ', '_')}_id": str(key)})


# -- lead firms ------------------------------------------------------------------------------------

def register_lead_firm(tx, announce, firm, actor):
    if store.enterprise(tx, firm["uscc"]) is not None:
        message = f"{firm['uscc']} is an SME of the SME database; a lead firm is a large firm"
        raise ValidationFailed(message, {"uscc": [message]})
    row = board_store.insert_lead_firm(tx, firm, actor)
    if row is None:
        message = f"a lead firm with uscc {firm['uscc']} is already registered"
        raise Conflict(message, {"uscc": [message]})
    announce(tx, "lead_firm.registered", schemas.LeadFirmRegistered().dump(
        {"lead_firm_id": row["id"], **{key: row[key] for key in ("name", "uscc", "region_code", "industry_codes")}}),
             row["id"])
    return row


def lead_firm(tx, lead_firm_id):
    row = board_store.lead_firm(tx, lead_firm_id)
    if row is None:
        raise no_such("lead firm", lead_firm_id)
    return row


# -- supply-chain needs ------------------------------------------------------------------------------

def post_chain_need(tx, announce, lead_firm_id, posting, today):
    firm = lead_firm(tx, lead_firm_id)
    if posting["deadline"] < today:
        message = "the deadline has passed"
        raise ValidationFailed(message, {"deadline": [message]})
    need = board_store.insert_chain_need(tx, {**posting, "lead_firm_id": firm["id"],
                                              "region_code": firm["region_code"]})
    announce(tx, "chain_need.posted", chain_step(need), need["id"])
    return need


def chain_need(tx, need_id, lock=False):
    need = board_store.chain_need(tx, need_id, lock)
    if need is None:
        raise no_such("need", need_id)
    return need


def suggest(tx, need_id):
    need = chain_need(tx, need_id)
    return {"need_id": need["id"],
            "items": [matchmaking.suggestion(need, row) for row in board_store.suggestions(tx, need)]}


def offer_on_chain_need(tx, announce, need_id, uscc, offer, today):
    need = chain_need(tx, need_id, lock=True)
    matchmaking.check_open_for_offers(need, today)
    enterprise = store.enterprise(tx, uscc)
    row = board_store.insert_chain_offer(tx, need["id"], uscc, enterprise["region_code"] if enterprise else None,
                                         offer["offer"])
    if row is None:
        message = f"{uscc} has already offered on need {need_id}"
        raise Conflict(message, {"uscc": [message]})
    announce(tx, "chain_need.offered", chain_step(need, row), need["id"])
    return row


def chain_offer(tx, offer_id):
    offer = board_store.chain_offer(tx, offer_id)
    if offer is None:
        raise no_such("offer", offer_id)
    return offer


def _need_and_offer(tx, offer_id):
    """The offer and its need, both locked (the need first, as offering takes them)."""
    need = chain_need(tx, chain_offer(tx, offer_id)["need_id"], lock=True)
    return need, board_store.chain_offer(tx, offer_id, lock=True)


def shortlist(tx, announce, offer_id):
    need, offer = _need_and_offer(tx, offer_id)
    matchmaking.check_shortlistable(offer)
    board_store.shortlist(tx, offer["id"])
    offer = board_store.chain_offer(tx, offer["id"])
    announce(tx, "chain_need.shortlisted", chain_step(need, offer), need["id"])
    return offer


def record_chain_outcome(tx, announce, offer_id, outcome):
    need, offer = _need_and_offer(tx, offer_id)
    matchmaking.check_outcome(offer, outcome["outcome"])
    board_store.record_chain_outcome(tx, offer["id"], outcome["outcome"], outcome["note"])
    offer = board_store.chain_offer(tx, offer["id"])
    announce(tx, "chain_need.outcome_recorded", chain_step(need, offer), need["id"])
    return offer


def close_chain_need(tx, announce, need_id):
    need = chain_need(tx, need_id, lock=True)
    if need["state"] == "closed":
        message = f"need {need_id} is already closed"
        raise Conflict(message, {"state": [message]})
    board_store.close_chain_need(tx, need["id"])
    need = chain_need(tx, need["id"])
    announce(tx, "chain_need.closed", chain_step(need), need["id"])
    return need


# -- financing needs ---------------------------------------------------------------------------------

def finance_provider(tx, uscc):
    """The finance provider (admitted in ``finance_talent``) an enterprise user speaks for, or None."""
    return store.admitted_provider(tx, uscc, FINANCE_AREA)


def visibility(tx, viewer):
    """Which financing needs ``viewer`` sees, as :func:`board_store.financing_needs` takes it."""
    role = viewer["role"]
    if role == "national_admin":
        return {}
    if role in ADMINS:
        return {"prefix": viewer["region_prefix"]}
    if role == "enterprise":
        seen = {"uscc": viewer["scope"]}
        provider = finance_provider(tx, viewer["scope"])
        if provider is not None:
            seen.update(provider_prefix=provider_prefix(provider), provider_id=provider["provider_id"])
        return seen
    raise Forbidden(f"role {role} sees no financing needs")


def provider_prefix(provider):
    """The region a finance provider serves: a provincial bank the province, a county one its county."""
    return regions.prefix(provider["region_code"])


def sees(need, visible):
    """Whether a need lies within ``visible`` (see :func:`visibility`)."""
    if not visible:
        return True
    if "prefix" in visible:
        return need["region_code"].startswith(visible["prefix"])
    if need["uscc"] == visible["uscc"]:
        return True
    return "provider_prefix" in visible and (
        (need["state"] == "open" and need["region_code"].startswith(visible["provider_prefix"]))
        or visible.get("has_offered", False))


def visible_need(tx, need_id, viewer, lock=False):
    """The need when the viewer sees it; outside its view it answers like one that does not exist."""
    need = board_store.financing_need(tx, need_id, lock)
    if need is None:
        raise no_such("financing need", need_id)
    visible = visibility(tx, viewer)
    if "provider_id" in visible:
        visible["has_offered"] = bool(board_store.financing_offers(tx, need["id"], visible["provider_id"]))
    if not sees(need, visible):
        raise no_such("financing need", need_id)
    return need, visible


def post_financing_need(tx, announce, uscc, posting):
    enterprise = store.enterprise(tx, uscc)
    if enterprise is None:
        message = f"{uscc} is not (yet) in the SME database; register the enterprise first"
        raise ValidationFailed(message, {"uscc": [message]})
    need = board_store.insert_financing_need(tx, {**posting, "uscc": uscc, "region_code": enterprise["region_code"]})
    announce(tx, "financing_need.posted", financing_step(need), need["id"])
    return need


def offer_financing(tx, announce, need_id, viewer, offer):
    provider = finance_provider(tx, viewer["scope"])
    if provider is None:
        raise Forbidden(f"{viewer['scope']} is not a provider admitted in {FINANCE_AREA}",
                        {"uscc": [f"not an admitted {FINANCE_AREA} provider"]})
    need, _ = visible_need(tx, need_id, viewer, lock=True)
    matchmaking.check_financing_open(need)
    row = board_store.insert_financing_offer(tx, need["id"], provider, offer)
    if row is None:
        message = f"provider {provider['provider_id']} has already offered on need {need_id}"
        raise Conflict(message, {"provider_id": [message]})
    announce(tx, "financing_need.offered", financing_step(need, row), need["id"])
    return row


def financing_offers(tx, need_id, viewer):
    """The offers on a need: all for its SME and admins, a provider's own for a provider."""
    need, visible = visible_need(tx, need_id, viewer)
    if viewer["role"] == "enterprise" and need["uscc"] != viewer["scope"]:
        return board_store.financing_offers(tx, need["id"], visible["provider_id"])
    return board_store.financing_offers(tx, need["id"])


def accept_offer(tx, announce, offer_id, viewer):
    """The SME accepts an offer on its need. An offer on a need outside the caller's view answers
    like a missing offer."""
    offer = board_store.financing_offer(tx, offer_id)
    if offer is None:
        raise no_such("financing offer", offer_id)
    try:
        need, _ = visible_need(tx, offer["need_id"], viewer, lock=True)
        owner_only(need, viewer)
    except (NotFound, Forbidden):
        raise no_such("financing offer", offer_id) from None
    matchmaking.check_financing_open(need)
    board_store.accept_offer(tx, need["id"], offer["id"])
    need = board_store.financing_need(tx, need["id"])
    announce(tx, "financing_need.accepted", financing_step(need, offer), need["id"])
    return need


def record_funding(tx, announce, need_id, outcome, viewer, today):
    need, _ = visible_need(tx, need_id, viewer, lock=True)
    owner_only(need, viewer)
    board_store.close_financing_need(tx, need["id"], matchmaking.funding_outcome(need, outcome, today))
    need = board_store.financing_need(tx, need["id"])
    offer = board_store.financing_offer(tx, need["accepted_offer_id"])
    announce(tx, "financing_need.outcome_recorded", financing_step(need, offer), need["id"])
    return need


def owner_only(need, viewer):
    if viewer["role"] != "enterprise" or need["uscc"] != viewer["scope"]:
        raise Forbidden(f"only the enterprise that posted financing need {need['id']} decides on it",
                        {"need_id": need["id"]})
