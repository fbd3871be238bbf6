"""One enterprise's file (一企一档): registration, a change with its history, reading it."""
from chassis.errors import Forbidden, NotFound, ValidationFailed, loaded as load
from reference import credit_codes
from services.enterprises import announcements, authority, domain, schemas, store

INTERNAL_ACTOR = {"role": "system", "subject": "internal"}


def profile(tx, uscc, lock=False):
    """The stored profile, or ``NotFound``."""
    found = store.load_profile(tx, credit_codes.compact(uscc), lock=lock)
    if found is None:
        raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
    return found


def new_registration(registration, actor, on):
    """The profile a registration (建档) on day ``on`` makes, checked before any transaction: its
    size class computed from the figures, and the tiers it comes with ``actor``'s to award."""
    data = load(schemas.EnterpriseRegistration, registration, "enterprise registration")
    new = domain.new_profile(data, on)
    authority.check_awards(actor, [], new["tiers"])
    return new


def register(tx, outbox, new, on):
    """Store a :func:`new_registration`; a taken USCC is a ``Conflict``. Emits ``enterprise.registered``.

    The profile, its figures, tiers and event go in one statement, the last of ``tx``: a
    transaction with nothing before it commits with it, in one round trip."""
    announce = outbox.part(tx, [("enterprise.registered", domain.registered_event(new, on), new["uscc"])],
                           when="EXISTS (SELECT 1 FROM added)")
    store.insert_profile(tx, new, on, announce, last=True)
    return new


def update(tx, outbox, uscc, data, scope, actor, on):
    """Change a profile on day ``on`` by ``data`` (an :class:`schemas.EnterpriseChange`, loaded):
    ``(profile after it, changed fields)``.

    ``scope``: the caller's region prefix (None: everywhere); an enterprise outside it is
    ``NotFound``, word for word as one that does not exist, and a move outside it is
    ``Forbidden``. ``actor`` must be the issuing authority of the tiers it changes, and may change
    figures of years before the last completed one only as an administrator, with a reason
    (:mod:`authority`). A change that changes nothing is refused. The change is kept in the
    history with its actor and reason, and announced (:mod:`announcements`).
    """
    stored = profile(tx, uscc, lock=True)
    if scope and not stored["region_code"].startswith(scope):
        raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
    if scope and not data.get("region_code", scope).startswith(scope):
        raise Forbidden(f"region {data['region_code']} is outside your region {scope}",
                        {"region_code": [f"outside your region {scope}"]})
    authority.check_figures_year(actor, stored, data, on)
    changed_profile, changed = domain.apply_change(stored, data, on)
    if not changed:
        raise ValidationFailed("the change changes nothing: every field sent has that value already",
                               {name: ["unchanged"] for name in data if name != "reason"})
    if "tiers" in changed:
        authority.check_awards(actor, stored["tiers"], changed_profile["tiers"])
    actor = actor or INTERNAL_ACTOR
    store.save_profile(tx, changed_profile, changed, on)
    store.add_change(tx, changed_profile["uscc"], actor, data.get("reason"), changed)
    announcements.announce_changes(tx, outbox, stored, changed_profile, changed, on, actor["role"])
    return changed_profile, changed
