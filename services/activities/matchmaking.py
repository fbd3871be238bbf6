"""Rules of the two matchmaking boards, free of I/O.

Supply-chain needs (链主需求, 大中小企业融通): a lead firm posts what it needs;
OneNet suggests SMEs of the asked industries (and region, when the need names
one), ranked by how many of the need's preferences they meet, each with its
reasons in words; SMEs offer; the lead firm shortlists offers and records what
came of them — contacted, then sampled, then contracted, or declined at any
point. Contracted and declined are final.

Financing needs (融资需求, 产融对接): an SME posts a need; admitted providers of
the ``finance_talent`` area whose region contains the SME's see it while it is
open and answer with an offer; the SME accepts one (the others are not chosen)
and records whether it was funded, and when: the days to funding count from
the day the need was posted.
"""
from chassis.errors import Conflict, ValidationFailed
from reference import industries, regions
from services.activities.schemas import CHAIN_OUTCOMES, CHINA
from services.enterprises.schemas import TIER_NAMES

SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
FINAL_OUTCOMES = ("contracted", "declined")


# -- supply-chain needs ---------------------------------------------------------------------

def industry_words(code):
    """``制造业（C）`` for a GB/T 4754 code."""
    return f"{industries.parse_industry_code(code).name}（{code}）"


def region_words(prefix):
    """``江苏省`` for a region prefix (the division it names)."""
    division = regions.lookup(prefix.ljust(6, "0"))
    return division.name if division else prefix


def reasons_for(need, enterprise):
    """Why ``enterprise`` suits ``need``: one sentence per wish of the need it meets."""
    reasons = []
    industry = next((code for code in need["industry_codes"] if enterprise["industry_code"].startswith(code)), None)
    if industry is not None:
        reasons.append(f"所属行业{enterprise['industry_code']}属于需求行业{industry_words(industry)}")
    region = next((prefix for prefix in need["region_prefixes"] if enterprise["region_code"].startswith(prefix)),
                  None)
    if region is not None:
        reasons.append(f"注册地{enterprise['region_code']}位于需求地区{region_words(region)}")
    if enterprise["size_class"] in need["size_classes"]:
        reasons.append(f"企业规模为{SIZE_NAMES[enterprise['size_class']]}企业，符合需求偏好")
    tiers = [tier for tier in need["tiers"] if tier in enterprise["active_tiers"]]
    if tiers:
        reasons.append("现为" + "、".join(TIER_NAMES[tier] for tier in tiers) + "，符合需求偏好")
    return reasons


def suggestion(need, enterprise):
    reasons = reasons_for(need, enterprise)
    return {**{key: enterprise[key] for key in ("uscc", "name", "region_code", "industry_code", "size_class",
                                                  "active_tiers")},
            "score": len(reasons), "reasons": reasons}


def check_open_for_offers(need, today):
    """``Conflict`` when the need takes no more offers: closed, or past its deadline."""
    if need["state"] != "open":
        message = f"need {need['id']} is {need['state']}; it takes no offers"
        raise Conflict(message, {"state": [message]})
    if today > need["deadline"]:
        message = f"need {need['id']} took offers until {need['deadline'].isoformat()}"
        raise Conflict(message, {"deadline": [message]})


def check_shortlistable(offer):
    if offer["state"] == "shortlisted":
        message = f"offer {offer['id']} is already shortlisted"
        raise Conflict(message, {"state": [message]})


def check_outcome(offer, outcome):
    """``Conflict`` unless ``outcome`` may follow the offer's: shortlisted first, forward only,
    nothing after contracted or declined."""
    if offer["state"] != "shortlisted":
        message = f"offer {offer['id']} is not shortlisted; shortlist it before recording what came of it"
        raise Conflict(message, {"state": [message]})
    current = offer["outcome"]
    if current in FINAL_OUTCOMES:
        message = f"offer {offer['id']} is already {current}"
        raise Conflict(message, {"outcome": [message]})
    if current is not None and outcome != "declined" and \
            CHAIN_OUTCOMES.index(outcome) <= CHAIN_OUTCOMES.index(current):
        message = f"offer {offer['id']} is already {current}; {outcome} does not come after it"
        raise Conflict(message, {"outcome": [message]})


def chain_event(need, offer=None):
    return {"need_id": need["id"], "lead_firm_id": need["lead_firm_id"], "region_code": need["region_code"],
            "industry_codes": list(need["industry_codes"]),
            "offer_id": offer["id"] if offer else None, "uscc": offer["uscc"] if offer else None,
            "sme_region_code": offer["sme_region_code"] if offer else None,
            "outcome": offer["outcome"] if offer else None}


# -- financing needs ------------------------------------------------------------------------

def check_financing_open(need):
    if need["state"] != "open":
        message = f"financing need {need['id']} is {need['state']}; it takes no offers"
        raise Conflict(message, {"state": [message]})


def funding_outcome(need, outcome, today):
    """The need's closing columns for ``outcome`` (``FundingOutcomeInput``): ``Conflict`` unless an
    offer was accepted and no outcome recorded; the funding day lies between posting and today."""
    if need["state"] != "accepted":
        message = (f"financing need {need['id']} is {need['state']}; record the outcome after accepting an offer"
                   if need["state"] == "open" else f"financing need {need['id']} already has its outcome")
        raise Conflict(message, {"state": [message]})
    if not outcome["funded"]:
        return {"outcome": "not_funded", "funded_amount": None, "funded_on": None, "days_to_funding": None,
                "outcome_note": outcome["note"]}
    posted_on = need["posted_at"].astimezone(CHINA).date()
    funded_on = outcome["funded_on"]
    if not posted_on <= funded_on <= today:
        message = f"the funds came between {posted_on.isoformat()} (posted) and today"
        raise ValidationFailed(message, {"funded_on": [message]})
    return {"outcome": "funded", "funded_amount": outcome["amount"], "funded_on": funded_on,
            "days_to_funding": (funded_on - posted_on).days, "outcome_note": outcome["note"]}


def financing_event(need, offer=None):
    return {"need_id": need["id"], "uscc": need["uscc"], "region_code": need["region_code"],
            "amount": float(need["amount"]), "offer_id": offer["id"] if offer else None,
            "provider_id": offer["provider_id"] if offer else None, "outcome": need.get("outcome"),
            "funded_amount": float(need["funded_amount"]) if need.get("funded_amount") is not None else None,
            "days_to_funding": need.get("days_to_funding")}
