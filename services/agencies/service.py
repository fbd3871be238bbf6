"""The agencies service: who serves whom on the network, and three of its libraries.

It owns the agency hierarchy and service stations with their service guides
("six publics"), routing (which agency answers for a place and a service
area), the basic-information library (policies, laws, experts, FAQs), the
quality service-provider library and the service product and case library,
and the library search. The gateway, the requests service (routing, time
limits, escalation) and the enterprises service (policies for a portrait)
call it over RPC.
"""
from datetime import datetime

import structlog
from marshmallow import ValidationError

from chassis.db import Database
from chassis.errors import Conflict, NotFound, ValidationFailed, loaded as load
from chassis.events import PermanentFailure, handles
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.provinces import ingests
from chassis.rpc import rpc
from chassis.timers import every
from reference import china_time

from services.agencies import (capacity, capacity_store, domain, honours, library, library_store, policies,
                               provider_store, providers, provincial, routing, schemas, skeleton, store)
from services.agencies.capacity_entrypoints import CapacityAndScoring
from services.requests.schemas import RequestRated

log = structlog.get_logger(__name__)

POLICY_EXPIRY_SECONDS = 300


def dump(schema_cls, row):
    return schema_cls().dump(row)


def page(schema_cls, rows, total):
    return {"items": schema_cls(many=True).dump(rows), "total": total}


class AgenciesService(CapacityAndScoring):
    """Owns the agency hierarchy, service stations, guides and the service libraries, and the
    agencies' capacity, staff and scoring (:mod:`capacity_entrypoints`)."""

    name = "agencies"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox(schemas.EVENTS)
    inbox = Inbox()

    # -- agencies -----------------------------------------------------------

    @rpc
    def get(self, agency_id):
        """One agency by id; ``NotFound`` if there is none."""
        with self.db.transaction() as tx:
            return self._agency_view(self._agency(tx, agency_id))

    @rpc
    def list_agencies(self, filters, limit, offset):
        """A page of agencies (``{"items", "total"}``) filtered by level, region prefix, parent, area, park."""
        with self.db.transaction() as tx:
            rows, total = store.list_agencies(tx, filters, limit, offset)
        return page(schemas.Agency, [domain.view(row) for row in rows], total)

    @rpc
    def create_agency(self, data):
        """Add an agency or service station under a parent covering its region; emits ``agency.created``."""
        data = load(schemas.AgencyCreation, data, "agency")
        with self.db.transaction() as tx:
            parent = store.get_agency(tx, data["parent_id"])
            if parent is None:
                raise ValidationFailed(f"no agency with id {data['parent_id']}",
                                       {"parent_id": [f"no agency with id {data['parent_id']}"]})
            row = store.insert_agency(tx, domain.new_agency(data, parent))
            self.outbox.add(tx, "agency.created", domain.event_payload(row), aggregate_id=row["id"])
        log.info("agency_created", agency_id=row["id"], level=row["level"], region_code=row["region_code"])
        return self._agency_view(row)

    @rpc
    def update_agency(self, agency_id, changes):
        """Rename, re-parent, (de)activate an agency or change its areas; emits ``agency.updated``.

        A new parent must cover the agency's region and sit above it; a move
        that would put the agency under itself is refused as a cycle.
        """
        changes = load(schemas.AgencyChanges, changes, "agency change")
        with self.db.transaction() as tx:
            agency = self._agency(tx, agency_id, lock=True)
            new_parent, chain = None, ()
            if "parent_id" in changes and changes["parent_id"] != agency["parent_id"]:
                new_parent = store.get_agency(tx, changes["parent_id"])
                if new_parent is None:
                    raise ValidationFailed(f"no agency with id {changes['parent_id']}",
                                           {"parent_id": [f"no agency with id {changes['parent_id']}"]})
                chain = store.chain_above(tx, new_parent["id"])
            updated = domain.changed_agency(agency, changes, new_parent, chain)
            row = store.update_agency(tx, updated)
            payload = domain.event_payload(row, changes)
            self.outbox.add(tx, "agency.updated", payload, aggregate_id=row["id"])
        return self._agency_view(row)

    @rpc
    def generate_skeleton(self):
        """Load the national skeleton from GB/T 2260 (idempotent); emits ``agency.created`` per new agency."""
        rows = skeleton.national_skeleton()
        with self.db.transaction() as tx:
            created = store.insert_skeleton(tx, rows)
            self.outbox.add_many(tx, "agency.created",
                                 [(domain.event_payload(row), row["id"]) for row in created])
            total = store.count_agencies(tx)
        log.info("skeleton_loaded", created=len(created), total=total)
        return {"created": len(created), "total": total}

    @rpc
    def route(self, region_code, service_area, park=None):
        """The agency responsible for a region (and park) in a service area, with the reasoning.

        ``{"agency": {...}, "explanation": [{"agency_id", "name", "level", "skipped", "reason"}]}``;
        ``NotFound`` when no agency covers the place in that area.
        """
        query = load(schemas.RoutingQuery, {"region": region_code, "area": service_area,
                                            **({"park": park} if park else {})}, "routing query")
        with self.db.transaction() as tx:
            candidates = store.route_candidates(tx, domain.covering_prefixes(query["region"]), park)
        agency, explanation = routing.choose(candidates, service_area, region_code, park)
        if agency is None:
            raise NotFound(f"no agency covers {region_code} in {service_area}",
                           {"region": region_code, "area": service_area, "explanation": explanation})
        return {"agency": self._agency_view(agency), "explanation": explanation}

    @rpc
    def escalation_target(self, agency_id):
        """Where a stalled matter goes: the agency's parent, or None at national level."""
        with self.db.transaction() as tx:
            agency = self._agency(tx, agency_id)
            if agency["parent_id"] is None:
                return None
            return self._agency_view(store.get_agency(tx, agency["parent_id"]))

    # -- the service guide (六公开) -------------------------------------------

    @rpc
    def get_guide(self, agency_id):
        """The agency's published service guide, with the commitment, covenant and certifications
        of its latest capacity record and its honours; ``NotFound`` when it has none."""
        with self.db.transaction() as tx:
            self._agency(tx, agency_id)
            guide = store.get_guide(tx, agency_id)
            if guide is None:
                raise NotFound(f"agency {agency_id} has published no service guide", {"agency_id": agency_id})
            beside = capacity.published_beside_guide(capacity_store.latest_record(tx, agency_id), china_time.today())
            guide = {**guide, **beside, "honours": honours.honours(tx, agency_id)}
        return dump(schemas.Guide, guide)

    @rpc
    def publish_guide(self, agency_id, content, actor):
        """Publish a new version of the agency's guide; every item's area must be one it offers."""
        content = load(schemas.GuideContent, content, "service guide")
        with self.db.transaction() as tx:
            agency = self._agency(tx, agency_id, lock=True)
            foreign = [item["service_area"] for item in content["items"]
                       if item["service_area"] not in agency["service_areas"]]
            if foreign:
                message = f"agency {agency_id} does not offer {', '.join(foreign)}"
                raise ValidationFailed(message, {"items": [message]})
            guide = store.replace_guide(tx, agency_id, content, actor)
        return dump(schemas.Guide, guide)

    @rpc
    def guide_time_limits(self, agency_id, service_area):
        """``{"accept_days", "resolve_days"}`` the agency's guide commits to in an area, or None."""
        with self.db.transaction() as tx:
            self._agency(tx, agency_id)
            item = store.guide_item(tx, agency_id, service_area)
        return dict(item) if item else None

    # -- policies -------------------------------------------------------------

    @rpc
    def create_policy(self, data):
        """Draft a policy for the publishing agency's region."""
        data = load(schemas.PolicyDraft, data, "policy")
        with self.db.transaction() as tx:
            agency = self._publisher(tx, data["agency_id"])
            values = {**data, "region_prefix": domain.coverage_prefix(data["region_code"])}
            policies.check_scope(values, agency)
            row = library_store.insert_policy(tx, values)
            store.index_entry(tx, "policy", row["id"], policies.search_document(row))
        return dump(schemas.Policy, row)

    @rpc
    def update_policy(self, policy_id, changes):
        """Change a draft policy."""
        changes = load(schemas.PolicyChanges, changes, "policy change")
        with self.db.transaction() as tx:
            policy = self._policy(tx, policy_id, lock=True)
            policies.check_editable(policy)
            if "region_code" in changes:
                changes["region_prefix"] = domain.coverage_prefix(changes["region_code"])
            merged = {**policy, **changes}
            if merged["expires_on"] and merged["expires_on"] < merged["issued_on"]:
                raise ValidationFailed("expires_on may not precede issued_on",
                                       {"expires_on": ["may not precede issued_on"]})
            policies.check_scope(merged, store.get_agency(tx, policy["agency_id"]))
            row = library_store.update_policy(tx, policy_id, changes)
            store.index_entry(tx, "policy", row["id"], policies.search_document(row))
        return dump(schemas.Policy, row)

    @rpc
    def get_policy(self, policy_id):
        with self.db.transaction() as tx:
            return dump(schemas.Policy, self._policy(tx, policy_id))

    @rpc
    def list_policies(self, filters, limit, offset):
        """A page of policies.

        ``filters``: states (list), area, region (applies to), within (scope prefix), agency_id,
        published (true: ever published, which the public may see; false: never published).
        """
        with self.db.transaction() as tx:
            rows, total = library_store.list_policies(tx, filters, limit, offset)
        return page(schemas.Policy, rows, total)

    @rpc
    def publish_policy(self, policy_id):
        """Publish a draft: it reaches SMEs through ``policy.published`` (政策直享)."""
        with self.db.transaction() as tx:
            policy = self._policy(tx, policy_id, lock=True)
            state = policies.next_state(policy, "publish")
            policies.check_publishable(policy, china_time.today())
            row = library_store.set_policy_state(tx, policy_id, state)
            store.index_entry(tx, "policy", row["id"], policies.search_document(row))
            self.outbox.add(tx, "policy.published", policies.published_event(row), aggregate_id=policy_id)
        log.info("policy_published", policy_id=policy_id, region_code=row["region_code"])
        return dump(schemas.Policy, row)

    @rpc
    def withdraw_policy(self, policy_id, reason):
        """Withdraw a draft or published policy; a published one emits ``policy.withdrawn``."""
        reason = load(schemas.PolicyWithdrawal, {"reason": reason}, "withdrawal")["reason"]
        with self.db.transaction() as tx:
            policy = self._policy(tx, policy_id, lock=True)
            state = policies.next_state(policy, "withdraw")
            row = library_store.set_policy_state(tx, policy_id, state, reason)
            store.index_entry(tx, "policy", row["id"], policies.search_document(row))
            if policy["state"] == "published":
                self.outbox.add(tx, "policy.withdrawn", policies.closed_event(row, reason),
                                aggregate_id=policy_id)
        return dump(schemas.Policy, row)

    @rpc
    def expire_due_policies(self):
        """Expire every published policy past its expiry date; emits ``policy.expired`` each. Returns how many."""
        with self.db.transaction() as tx:
            expired = library_store.expire_due(tx, china_time.today())
            if expired:
                store.index_visibility(tx, "policy", [row["id"] for row in expired], False)
                self.outbox.add_many(tx, "policy.expired", [
                    (policies.closed_event(row, f"expired after {row['expires_on']}"), row["id"])
                    for row in expired])
        if expired:
            log.info("policies_expired", count=len(expired))
        return len(expired)

    @every("POLICY_EXPIRY_INTERVAL", POLICY_EXPIRY_SECONDS, eager=True)
    def expire_policies_on_schedule(self):
        """Every few minutes, in every replica: expiring is one UPDATE, so replicas never double up."""
        self.expire_due_policies()

    @rpc
    def policy_criteria(self, policy_id):
        """A policy's eligibility with its scope applied (what the policy push matches)."""
        with self.db.transaction() as tx:
            return policies.effective_criteria(self._policy(tx, policy_id))

    @rpc
    def policies_for_region(self, region_code):
        """Published, unexpired policies applying to a region: ``[{"id", "title", "criteria"}]``.

        ``criteria`` is the eligibility with the policy's scope applied; the
        enterprises service matches it against one enterprise for its portrait.
        """
        with self.db.transaction() as tx:
            rows = library_store.policies_in_force(tx, region_code, china_time.today())
        return [{"id": row["id"], "title": row["title"], "criteria": policies.effective_criteria(row)}
                for row in rows]

    # -- laws, experts, FAQs, products, cases ----------------------------------

    @rpc
    def add_entry(self, kind, data):
        """Add a library entry of ``kind`` (law, expert, faq, product, case)."""
        spec = library.kind_of(kind)
        values = library.stored_values(load(spec.fields, data, kind))
        with self.db.transaction() as tx:
            row = library_store.insert_entry(tx, spec, values)
            store.index_entry(tx, kind, row["id"], spec.document(row))
        return dump(spec.view, row)

    @rpc
    def update_entry(self, kind, entry_id, changes):
        spec = library.kind_of(kind)
        values = library.stored_values(load(spec.changes, changes, f"{kind} change"))
        with self.db.transaction() as tx:
            self._entry(tx, spec, entry_id)
            row = library_store.update_entry(tx, spec, entry_id, values)
            store.index_entry(tx, kind, row["id"], spec.document(row))
        return dump(spec.view, row)

    @rpc
    def get_entry(self, kind, entry_id):
        spec = library.kind_of(kind)
        with self.db.transaction() as tx:
            return dump(spec.view, self._entry(tx, spec, entry_id))

    @rpc
    def list_entries(self, kind, filters, limit, offset):
        """A page of entries of ``kind``; filters: area, region, available, industry, size_class, tier, provider_id."""
        spec = library.kind_of(kind)
        with self.db.transaction() as tx:
            rows, total = library_store.list_entries(tx, spec, filters, limit, offset)
        return page(spec.view, rows, total)

    # -- the provider library -------------------------------------------------

    @rpc
    def register_provider(self, data):
        """Record a market service provider; it then applies for admission per area."""
        data = load(schemas.ProviderFields, data, "provider")
        data["uscc"] = data["uscc"].upper()
        with self.db.transaction() as tx:
            row = provider_store.insert_provider(tx, data)
            store.index_entry(tx, "provider", row["id"], providers.search_document(row, []))
            return self._provider_view(tx, row)

    @rpc
    def update_provider(self, provider_id, changes):
        changes = load(schemas.ProviderChanges, changes, "provider change")
        with self.db.transaction() as tx:
            current = self._provider(tx, provider_id, lock=True)
            if changes.get("uscc", current["uscc"]).upper() != current["uscc"]:
                message = "the unified social credit code identifies the provider and cannot change"
                raise ValidationFailed(message, {"uscc": [message]})
            row = provider_store.update_provider(tx, provider_id, changes)
            store.index_entry(tx, "provider", row["id"],
                              providers.search_document(row, provider_store.admitted_areas(tx, provider_id)))
            return self._provider_view(tx, row)

    @rpc
    def get_provider(self, provider_id):
        """A provider with its memberships, decisions and evaluations."""
        with self.db.transaction() as tx:
            return self._provider_view(tx, self._provider(tx, provider_id))

    @rpc
    def list_providers(self, filters, limit, offset):
        """A page of providers by membership state (default admitted), area and region."""
        filters = {"state": "admitted", **filters}
        with self.db.transaction() as tx:
            rows, total = provider_store.list_providers(tx, filters, limit, offset)
        return page(schemas.Provider, rows, total)

    @rpc
    def apply_for_admission(self, provider_id, service_area, actor):
        """A provider applies in one area; the admission criteria are checked first."""
        service_area = load(schemas.ProviderApplication, {"service_area": service_area},
                            "application")["service_area"]
        with self.db.transaction() as tx:
            provider = self._provider(tx, provider_id, lock=True)
            problems = providers.admission_problems(provider, china_time.today())
            if problems:
                raise ValidationFailed(f"provider {provider_id} does not meet the admission criteria",
                                       problems)
            current = provider_store.membership_state(tx, provider_id, service_area)
            state = providers.next_membership_state(current, "apply", provider_id, service_area)
            provider_store.set_membership(tx, provider_id, service_area, state, "applied",
                                          "admission criteria met", actor)
            return self._provider_view(tx, provider)

    @rpc
    def decide_admission(self, provider_id, decision, actor):
        """Admit or reject an application, or exit an admitted provider, with the reason.

        Emits ``provider.admitted`` (``readmission`` when it had exited before)
        or ``provider.exited``.
        """
        decision = load(schemas.ProviderDecision, decision, "decision")
        area, verdict, reason = decision["service_area"], decision["decision"], decision["reason"]
        with self.db.transaction() as tx:
            provider = self._provider(tx, provider_id, lock=True)
            current = provider_store.membership_state(tx, provider_id, area)
            state = providers.next_membership_state(current, verdict, provider_id, area)
            if verdict == "admit":
                problems = providers.admission_problems(provider, china_time.today())
                if problems:
                    raise ValidationFailed(f"provider {provider_id} no longer meets the admission criteria",
                                           problems)
                readmission = provider_store.has_exited_before(tx, provider_id, area)
                self.outbox.add(tx, "provider.admitted",
                                providers.admitted_event(provider, area, readmission, reason),
                                aggregate_id=provider_id)
            elif verdict == "exit":
                self.outbox.add(tx, "provider.exited",
                                providers.exited_event(provider, area, False, reason), aggregate_id=provider_id)
            provider_store.set_membership(tx, provider_id, area, state, state, reason, actor)
            self._reindex_provider(tx, provider)
            return self._provider_view(tx, provider)

    @rpc
    def evaluate_provider(self, provider_id, evaluation, evaluator):
        """Record one quarter's evaluation; two consecutive quarters below the threshold exit the provider.

        Emits ``provider.evaluated`` and, on exit, ``provider.exited``.
        """
        data = load(schemas.EvaluationInput, evaluation, "evaluation")
        area, period = data["service_area"], data["period"]
        providers.check_period(period, china_time.today())
        with self.db.transaction() as tx:
            provider = self._provider(tx, provider_id, lock=True)
            if provider_store.membership_state(tx, provider_id, area) != "admitted":
                message = f"provider {provider_id} is not admitted in {area}; only members are evaluated"
                raise Conflict(message, {"service_area": [message]})
            if provider_store.evaluation_score(tx, provider_id, area, period) is not None:
                message = f"provider {provider_id} is already evaluated in {area} for {period}"
                raise Conflict(message, {"period": [message]})
            average, count = provider_store.ratings_in(tx, provider_id, area, *providers.period_bounds(period))
            previous = provider_store.evaluation_score(tx, provider_id, area, providers.previous_period(period))
            record, exit_reason = providers.evaluation(data, average, count, previous)
            row = provider_store.insert_evaluation(tx, provider_id, record, evaluator)
            self.outbox.add(tx, "provider.evaluated", providers.evaluated_event(provider, record),
                            aggregate_id=provider_id)
            if exit_reason:
                provider_store.set_membership(tx, provider_id, area, "exited", "exited", exit_reason,
                                              "dynamic management")
                self.outbox.add(tx, "provider.exited",
                                providers.exited_event(provider, area, True, exit_reason),
                                aggregate_id=provider_id)
                self._reindex_provider(tx, provider)
        if exit_reason:
            log.info("provider_exited", provider_id=provider_id, service_area=area, reason=exit_reason)
        return dump(schemas.ProviderEvaluation, row)

    @handles("request.rated")
    def record_rating(self, event):
        """An enterprise rated a request a provider worked on: it counts toward that provider's satisfaction."""
        try:
            rating = providers.rating_from_event(RequestRated().load(event["payload"]))
        except (ValidationError, ValueError) as exc:
            raise PermanentFailure(f"request.rated payload unusable: {exc}") from None
        rated_on = datetime.fromisoformat(event["occurred_at"]).astimezone(china_time.CHINA_TIME).date()
        with self.db.transaction() as tx:
            if not self.inbox.first_delivery(tx, event):
                return
            if rating is None:
                return
            if not provider_store.provider_exists(tx, rating["provider_id"]):
                raise PermanentFailure(f"request.rated names unknown provider {rating['provider_id']}")
            provider_store.insert_rating(tx, rating, rated_on)
        log.info("provider_rated", provider_id=rating["provider_id"], score=rating["score"])

    # -- provinces ---------------------------------------------------------------

    @ingests(schemas.AGENCY_UPSERTED)
    def ingest_provincial_agency(self, event):
        """An agency or park station a province runs (see :mod:`services.agencies.provincial`)."""
        with self.db.transaction() as tx:
            return provincial.upsert_agency(tx, self.outbox, self.inbox, event)

    @ingests(schemas.POLICY_PUBLISHED)
    def ingest_provincial_policy(self, event):
        """A provincial policy collected into the national library, published at once (政策直享)."""
        with self.db.transaction() as tx:
            return provincial.publish_policy(tx, self.outbox, self.inbox, event, china_time.today())

    @ingests(schemas.POLICY_WITHDRAWN)
    def ingest_provincial_withdrawal(self, event):
        """A province withdraws a policy it published."""
        with self.db.transaction() as tx:
            return provincial.withdraw_policy(tx, self.outbox, self.inbox, event)

    # -- search ------------------------------------------------------------------

    @rpc
    def search(self, q, kind=None, area=None, limit=20, offset=0):
        """Find library entries containing every word of ``q`` (Chinese or not), title hits first."""
        query = load(schemas.SearchFilter, {"q": q, **({"kind": kind} if kind else {}),
                                            **({"area": area} if area else {})}, "search")
        terms = list(dict.fromkeys(query["q"].split()))[:5]
        with self.db.transaction() as tx:
            rows, total = store.search(tx, terms, kind, area, limit, offset)
        return page(schemas.SearchHit, rows, total)

    # -- shared look-ups ---------------------------------------------------------

    def _agency(self, tx, agency_id, lock=False):
        row = store.get_agency(tx, agency_id, lock)
        if row is None:
            raise NotFound(f"no agency with id {agency_id}", {"agency_id": agency_id})
        return row

    @staticmethod
    def _agency_view(row):
        return dump(schemas.Agency, domain.view(row))

    def _publisher(self, tx, agency_id):
        agency = store.get_agency(tx, agency_id)
        if agency is None:
            raise ValidationFailed(f"no agency with id {agency_id}", {"agency_id": [f"no agency with id {agency_id}"]})
        return agency

    def _policy(self, tx, policy_id, lock=False):
        row = library_store.get_policy(tx, policy_id, lock)
        if row is None:
            raise NotFound(f"no policy with id {policy_id}", {"policy_id": policy_id})
        return row

    def _entry(self, tx, spec, entry_id):
        row = library_store.get_entry(tx, spec, entry_id)
        if row is None:
            raise NotFound(f"no {spec.name} with id {entry_id}", {"id": entry_id})
        return row

    def _provider(self, tx, provider_id, lock=False):
        row = provider_store.get_provider(tx, provider_id, lock)
        if row is None:
            raise NotFound(f"no provider with id {provider_id}", {"provider_id": provider_id})
        return row

    def _provider_view(self, tx, provider):
        return dump(schemas.Provider, provider_store.provider_record(tx, provider))

    def _reindex_provider(self, tx, provider):
        store.index_entry(tx, "provider", provider["id"],
                          providers.search_document(provider, provider_store.admitted_areas(tx, provider["id"])))
