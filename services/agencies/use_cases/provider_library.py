"""The quality service-provider library (优质服务机构库): registration, admission per service area,
quarterly evaluation with exit after two quarters below the threshold, and the ratings SMEs give."""
from chassis.errors import Conflict, ValidationFailed, found, loaded as load
from chassis.events import PermanentFailure
from services.agencies import provider_store, providers, schemas, store

# One instance of each event schema: making one costs about ten dumps.
_PROVIDER_ANNOUNCED = schemas.ProviderAnnounced()


def provider(tx, provider_id, lock=False):
    """The provider, or ``NotFound``."""
    return found(provider_store.get_provider(tx, provider_id, lock), "provider", provider_id, "provider_id")


def view(tx, row):
    """A provider with its memberships, decisions and evaluations."""
    return schemas.Provider().dump(provider_store.provider_record(tx, row))


def _reindex(tx, row):
    store.index_entry(tx, "provider", row["id"],
                      providers.search_document(row, provider_store.admitted_areas(tx, row["id"])))


def announced(row):
    """Payload of ``provider.registered`` and ``provider.updated``."""
    return _PROVIDER_ANNOUNCED.dump({"provider_id": row["id"], "name": row["name"], "uscc": row["uscc"],
                                     "region_code": row["region_code"]})


def register(tx, outbox, data):
    """Record a provider; emits ``provider.registered``."""
    data = load(schemas.ProviderFields, data, "provider")
    data["uscc"] = data["uscc"].upper()
    row = provider_store.insert_provider(tx, data)
    store.index_entry(tx, "provider", row["id"], providers.search_document(row, []))
    outbox.add(tx, "provider.registered", announced(row), aggregate_id=row["id"])
    return view(tx, row)


def update(tx, outbox, provider_id, changes):
    """Change a provider's record (never its credit code); emits ``provider.updated``."""
    changes = load(schemas.ProviderChanges, changes, "provider change")
    current = provider(tx, provider_id, lock=True)
    if changes.get("uscc", current["uscc"]).upper() != current["uscc"]:
        message = "the unified social credit code identifies the provider and cannot change"
        raise ValidationFailed(message, {"uscc": [message]})
    row = provider_store.update_provider(tx, provider_id, changes)
    _reindex(tx, row)
    outbox.add(tx, "provider.updated", announced(row), aggregate_id=row["id"])
    return view(tx, row)


def list_providers(tx, filters, limit, offset):
    """A page of providers by membership state (default admitted), area and region."""
    rows, total = provider_store.list_providers(tx, {"state": "admitted", **filters}, limit, offset)
    return {"items": schemas.Provider(many=True).dump(rows), "total": total}


def _admissible(row, today, message):
    problems = providers.admission_problems(row, today)
    if problems:
        raise ValidationFailed(message.format(row["id"]), problems)


def apply_for_admission(tx, provider_id, service_area, actor, today):
    """The provider applies in one area once it meets the admission criteria."""
    service_area = load(schemas.ProviderApplication, {"service_area": service_area}, "application")["service_area"]
    row = provider(tx, provider_id, lock=True)
    _admissible(row, today, "provider {} does not meet the admission criteria")
    current = provider_store.membership_state(tx, provider_id, service_area)
    state = providers.next_membership_state(current, "apply", provider_id, service_area)
    provider_store.set_membership(tx, provider_id, service_area, state, "applied", "admission criteria met", actor)
    return view(tx, row)


def decide_admission(tx, outbox, provider_id, decision, actor, today):
    """Admit, reject or exit; emits ``provider.admitted`` or ``provider.exited``."""
    decision = load(schemas.ProviderDecision, decision, "decision")
    area, verdict, reason = decision["service_area"], decision["decision"], decision["reason"]
    row = provider(tx, provider_id, lock=True)
    current = provider_store.membership_state(tx, provider_id, area)
    state = providers.next_membership_state(current, verdict, provider_id, area)
    if verdict == "admit":
        _admissible(row, today, "provider {} no longer meets the admission criteria")
        readmission = provider_store.has_exited_before(tx, provider_id, area)
        outbox.add(tx, "provider.admitted", providers.admitted_event(row, area, readmission, reason),
                   aggregate_id=provider_id)
    elif verdict == "exit":
        outbox.add(tx, "provider.exited", providers.exited_event(row, area, False, reason), aggregate_id=provider_id)
    provider_store.set_membership(tx, provider_id, area, state, state, reason, actor)
    _reindex(tx, row)
    return view(tx, row)


def evaluate(tx, outbox, provider_id, evaluation, evaluator, today):
    """One quarter's evaluation; emits ``provider.evaluated``, and ``provider.exited`` after a second
    quarter below the threshold. Returns ``(evaluation as answered, exit reason or None)``."""
    data = load(schemas.EvaluationInput, evaluation, "evaluation")
    area, period = data["service_area"], data["period"]
    providers.check_period(period, today)
    row = provider(tx, provider_id, lock=True)
    if provider_store.membership_state(tx, provider_id, area) != "admitted":
        message = f"provider {provider_id} is not admitted in {area}; only members are evaluated"
        raise Conflict(message, {"service_area": [message]})
    if provider_store.evaluation_score(tx, provider_id, area, period) is not None:
        message = f"provider {provider_id} is already evaluated in {area} for {period}"
        raise Conflict(message, {"period": [message]})
    average, count = provider_store.ratings_in(tx, provider_id, area, *providers.period_bounds(period))
    previous = provider_store.evaluation_score(tx, provider_id, area, providers.previous_period(period))
    record, exit_reason = providers.evaluation(data, average, count, previous)
    stored = provider_store.insert_evaluation(tx, provider_id, record, evaluator)
    outbox.add(tx, "provider.evaluated", providers.evaluated_event(row, record), aggregate_id=provider_id)
    if exit_reason:
        provider_store.set_membership(tx, provider_id, area, "exited", "exited", exit_reason, "dynamic management")
        outbox.add(tx, "provider.exited", providers.exited_event(row, area, True, exit_reason),
                   aggregate_id=provider_id)
        _reindex(tx, row)
    return schemas.ProviderEvaluation().dump(stored), exit_reason


def record_rating(tx, rating, rated_on):
    """A rating of a request a provider worked on counts toward its satisfaction."""
    if not provider_store.provider_exists(tx, rating["provider_id"]):
        raise PermanentFailure(f"request.rated names unknown provider {rating['provider_id']}")
    provider_store.insert_rating(tx, rating, rated_on)
