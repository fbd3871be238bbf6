"""What a roll-out adds by the hundred (a province's stations, its providers, its policies; the
demo network), in one transaction and one call. Every item is checked, stored and announced
(through the outbox) exactly as its one-at-a-time entrypoint would (guides and policies by
set-based twins of those use cases, the others by the same use case per item); a refused item
refuses the whole batch, named by its position (:func:`chassis.errors.each`)."""
from chassis.errors import ValidationFailed, each
from services.agencies.use_cases import entry_library, hierarchy, policy_library, provider_library

BATCH_KEYS = {"guide": ("agency_id",), "provider": ("admitted_in", "admission_reason"),
              "policy": ("state", "withdrawal_reason")}


def _split(item, kind):
    """``item`` as ``(the fields its use case reads, the batch's own keys)``."""
    own = {key: item[key] for key in BATCH_KEYS[kind] if key in item}
    return {key: value for key, value in item.items() if key not in own}, own


def create_agencies(tx, outbox, items):
    """Agencies or stations (:func:`hierarchy.create_agency` each): their views, in order."""
    return [hierarchy.view(row) for row in each(items, lambda data: hierarchy.create_agency(tx, outbox, data))]


def publish_guides(tx, outbox, items, actor):
    """Each ``{"agency_id", ...the guide's content}`` published (:func:`hierarchy.publish_guides`, set-based):
    ``[{"agency_id", "version"}]``, in order."""
    guides = [(own.get("agency_id"), content) for content, own in (_split(item, "guide") for item in items)]
    versions = hierarchy.publish_guides(tx, outbox, guides, actor)
    return [{"agency_id": agency_id, "version": versions[agency_id]} for agency_id, _ in guides]


def register_providers(tx, outbox, items, actor, today):
    """Each provider registered and, in every area of its ``admitted_in``, applied for and admitted
    with its ``admission_reason``: the providers as read by id, in order."""
    def register(item):
        fields, own = _split(item, "provider")
        provider = provider_library.register(tx, outbox, fields)
        for area in own.get("admitted_in", ()):
            provider_library.apply_for_admission(tx, provider["id"], area, actor, today)
            provider = provider_library.decide_admission(tx, outbox, provider["id"], {
                "service_area": area, "decision": "admit", "reason": own.get("admission_reason")}, actor, today)
        return provider
    return each(items, register)


def add_entries(tx, kind, items):
    """Library entries of ``kind`` (:func:`entry_library.add` each)."""
    return each(items, lambda data: entry_library.add(tx, kind, data))


def create_policies(tx, outbox, items, today):
    """Each policy drafted, then left a draft (when its ``state`` says nothing, as ``create_policy``),
    published, or published and withdrawn with its ``withdrawal_reason``, as its ``state`` says
    (:func:`policy_library.create_many`, set-based)."""
    def split(item):
        fields, own = _split(item, "policy")
        state = own.get("state", "draft")
        if state not in ("draft", "published", "withdrawn"):
            raise ValidationFailed(f"a new policy is a draft, published or withdrawn, not {state}",
                                   {"state": [f"not one of draft, published, withdrawn: {state}"]})
        return fields, state, own.get("withdrawal_reason")
    return policy_library.create_many(tx, outbox, each(items, split), today)
