"""Which provinces a network event concerns: pure rules, the relay's only decision."""
from chassis import provinces
from services.provinces.schemas import NATIONAL_DECIDER, NATIONWIDE


def _province_of(region_code):
    return str(region_code)[:2] if region_code else None


def concerned(event):
    """The codes of the provinces whose outbound queue gets ``event`` (an envelope)."""
    kind, payload = event["type"], event.get("payload") or {}
    entity = kind.partition(".")[0]
    codes = set()
    if entity == "request":
        codes.add(payload.get("origin_province"))
        if kind == "request.escalated":
            codes |= {_province_of(payload.get("agency_region_code")),
                      _province_of(payload.get("from_agency_region_code"))}
    elif entity == "policy":
        region = payload.get("region_code")
        codes |= set(provinces.province_codes()) if region == NATIONWIDE else {_province_of(region)}
    elif kind == "enterprise.tier_changed" and payload.get("decided_by") == NATIONAL_DECIDER:
        codes.add(_province_of(payload.get("region_code")))
    return {code for code in codes if provinces.is_province(code)}
