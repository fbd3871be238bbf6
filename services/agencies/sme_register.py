"""The SME register: where each enterprise is, in which park, of what size, and since when.

The enterprises service owns the SME database; the agencies service keeps this
local read model of the three facts its coverage figures need, fed by the
owner's events through the inbox, so that counting SMEs is a local read and can
be taken as of any moment (a scoring run's cut-off). Each event adds dated
facts, one per field it states; the newest fact of a field at a moment is the
enterprise's state then, so events that arrive out of order still give the
right answer.
"""
from datetime import datetime

from marshmallow import ValidationError

from services.enterprises.schemas import EnterpriseRegistered, EnterpriseSizeClassChanged, EnterpriseUpdated

FIELDS = ("region_code", "park", "size_class")
# The owner's contracts, built once: a schema is reusable, and building one per event costs more
# than loading the event with it.
REGISTERED, UPDATED, SIZE_CLASS_CHANGED = EnterpriseRegistered(), EnterpriseUpdated(), EnterpriseSizeClassChanged()


class Unusable(ValueError):
    """An event whose payload breaks the enterprises service's contract."""


def facts_of(event):
    """``[(uscc, field, value, effective_at)]`` an ``enterprise.*`` event states."""
    kind, payload = event["type"], event["payload"]
    try:
        effective_at = datetime.fromisoformat(event["occurred_at"])
        if kind == "enterprise.registered":
            data = REGISTERED.load(payload, unknown="include")
            stated = {"region_code": data["region_code"], "park": data.get("park"),
                      "size_class": data.get("size_class")}
        elif kind == "enterprise.updated":
            data = UPDATED.load(payload, unknown="include")
            stated = {"region_code": data["region_code"]}
            if "park" in data.get("changes", {}):
                stated["park"] = data["changes"]["park"]["new"]
        elif kind == "enterprise.size_class_changed":
            data = SIZE_CLASS_CHANGED.load(payload, unknown="include")
            stated = {"region_code": data["region_code"], "size_class": data.get("new")}
        else:
            raise Unusable(f"{kind} is not an enterprise event the register reads")
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, Unusable):
            raise
        raise Unusable(f"{kind} payload unusable: {exc}") from None
    uscc = data["uscc"].strip().upper()
    return [(uscc, name, value, effective_at) for name, value in stated.items()]
