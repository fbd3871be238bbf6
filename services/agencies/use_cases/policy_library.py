"""Policies in the basic-information library: drafted, published to SMEs (政策直享), withdrawn, expired."""
from chassis.errors import ValidationFailed, each, found, loaded as load
from services.agencies import domain, library_store, policies, schemas, store


def policy(tx, policy_id, lock=False):
    """The policy, or ``NotFound``."""
    return found(library_store.get_policy(tx, policy_id, lock), "policy", policy_id, "policy_id")


def _dump(row):
    return schemas.Policy().dump(row)


def _publisher(tx, agency_id):
    agency = store.get_agency(tx, agency_id)
    if agency is None:
        raise ValidationFailed(f"no agency with id {agency_id}", {"agency_id": [f"no agency with id {agency_id}"]})
    return agency


def _indexed(tx, row):
    store.index_entry(tx, "policy", row["id"], policies.search_document(row))
    return row


def create(tx, data):
    """A draft in the publishing agency's region."""
    data = load(schemas.PolicyDraft, data, "policy")
    agency = _publisher(tx, data["agency_id"])
    values = {**data, "region_prefix": domain.coverage_prefix(data["region_code"])}
    policies.check_scope(values, agency)
    return _dump(_indexed(tx, library_store.insert_policy(tx, values)))


def create_many(tx, outbox, items, today):
    """Many policies at once, set-based (seven statements whatever their number): each ``(data,
    state, reason)`` drafted as :func:`create` drafts one, then, as ``state`` says, left a draft,
    published as :func:`publish` publishes one, or published and withdrawn with ``reason`` as
    :func:`withdraw` withdraws one; a refused one refuses them all, named by its position.
    Returns the policies, in order."""
    if not items:
        return []
    drafts = each(items, lambda item: load(schemas.PolicyDraft, item[0], "policy"))
    publishers = store.agencies_by_id(tx, {draft["agency_id"] for draft in drafts})

    def scoped(draft):
        agency = publishers.get(draft["agency_id"])
        if agency is None:
            raise ValidationFailed(f"no agency with id {draft['agency_id']}",
                                   {"agency_id": [f"no agency with id {draft['agency_id']}"]})
        values = {**draft, "region_prefix": domain.coverage_prefix(draft["region_code"])}
        policies.check_scope(values, agency)
        return values

    values = each(drafts, scoped)
    reasons = each(items, lambda item: load(schemas.PolicyWithdrawal, {"reason": item[2]}, "withdrawal")["reason"]
                   if item[1] == "withdrawn" else None)
    each(list(zip(values, items)), lambda pair: pair[1][1] == "draft"
         or policies.check_publishable({"expires_on": None, **pair[0]}, today))
    rows = library_store.insert_policies(tx, values)
    published = library_store.set_policies_state(
        tx, [(row["id"], None) for row, item in zip(rows, items) if item[1] != "draft"], "published")
    outbox.add_many(tx, "policy.published", [(policies.published_event(row), row["id"]) for row in published])
    withdrawn = library_store.set_policies_state(
        tx, [(row["id"], reason) for row, item, reason in zip(rows, items, reasons) if item[1] == "withdrawn"],
        "withdrawn")
    outbox.add_many(tx, "policy.withdrawn", [(policies.closed_event(row, row["withdrawn_reason"]), row["id"])
                                             for row in withdrawn])
    final = {row["id"]: row for row in rows + published + withdrawn}  # each as it ends
    store.index_entries(tx, "policy", [(row["id"], policies.search_document(final[row["id"]])) for row in rows])
    return [_dump(final[row["id"]]) for row in rows]


def update(tx, policy_id, changes):
    """A change to a draft."""
    changes = load(schemas.PolicyChanges, changes, "policy change")
    current = policy(tx, policy_id, lock=True)
    policies.check_editable(current)
    if "region_code" in changes:
        changes["region_prefix"] = domain.coverage_prefix(changes["region_code"])
    merged = {**current, **changes}
    if merged["expires_on"] and merged["expires_on"] < merged["issued_on"]:
        raise ValidationFailed("expires_on may not precede issued_on", {"expires_on": ["may not precede issued_on"]})
    policies.check_scope(merged, store.get_agency(tx, current["agency_id"]))
    return _dump(_indexed(tx, library_store.update_policy(tx, policy_id, changes)))


def get(tx, policy_id):
    return _dump(policy(tx, policy_id))


def list_policies(tx, filters, limit, offset):
    rows, total = library_store.list_policies(tx, filters, limit, offset)
    return {"items": schemas.Policy(many=True).dump(rows), "total": total}


def publish(tx, outbox, policy_id, today):
    """Publish a draft; emits ``policy.published``."""
    current = policy(tx, policy_id, lock=True)
    state = policies.next_state(current, "publish")
    policies.check_publishable(current, today)
    row = _indexed(tx, library_store.set_policy_state(tx, policy_id, state))
    outbox.add(tx, "policy.published", policies.published_event(row), aggregate_id=policy_id)
    return row


def withdraw(tx, outbox, policy_id, reason):
    """Withdraw a draft or published policy; a published one emits ``policy.withdrawn``."""
    reason = load(schemas.PolicyWithdrawal, {"reason": reason}, "withdrawal")["reason"]
    current = policy(tx, policy_id, lock=True)
    state = policies.next_state(current, "withdraw")
    row = _indexed(tx, library_store.set_policy_state(tx, policy_id, state, reason))
    if current["state"] == "published":
        outbox.add(tx, "policy.withdrawn", policies.closed_event(row, reason), aggregate_id=policy_id)
    return _dump(row)


def expire_due(tx, outbox, today):
    """Expire every published policy past its expiry date; emits ``policy.expired`` each. Returns them."""
    expired = library_store.expire_due(tx, today)
    if expired:
        store.index_visibility(tx, "policy", [row["id"] for row in expired], False)
        outbox.add_many(tx, "policy.expired", [
            (policies.closed_event(row, f"expired after {row['expires_on']}"), row["id"]) for row in expired])
    return expired


def criteria(tx, policy_id):
    return policies.effective_criteria(policy(tx, policy_id))


def in_force_for_region(tx, region_code, today):
    """Published, unexpired policies applying to a region, with their effective criteria."""
    return [{"id": row["id"], "title": row["title"], "criteria": policies.effective_criteria(row)}
            for row in library_store.policies_in_force(tx, region_code, today)]
