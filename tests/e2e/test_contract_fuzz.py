"""The served OpenAPI document, run against the whole network by schemathesis.

Every operation of ``GET /api/v1/openapi.json`` is called with requests generated from the
document alone (the document's own formats taught by :mod:`tests.formats`), as every role
that may call it, each with its scope, and every answer is checked: no 5xx, no status, header
or body off the document, and no request the document allows refused (4xx other than 401,
403, 404, 409 and 429, which say who the caller is or what is stored, not what was sent).

Where the server is stricter than a document can say, the exemption is listed here with its
reason (:data:`NAMES_A_STORED_OBJECT`, :data:`UNSTATABLE`); nothing else is exempt.
The run is deterministic (derandomized), so CI finds the same cases every time.
"""
import os
import re
import time
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from gateway import auth
from tests import formats
from tests.contract import Contract
from tests.stack import new_uscc

pytestmark = pytest.mark.fuzz

# Examples per operation for the caller that reaches deepest (the national admin where it may
# call), and how many of the other roles that may call it try it once each, with their scope
# (taken in turn from operation to operation, so that every role is tried); the run takes about
# a minute. ONENET_FUZZ_EXAMPLES=25 ONENET_FUZZ_OTHER_ROLES=8 tries harder.
EXAMPLES = int(os.environ.get("ONENET_FUZZ_EXAMPLES", "4"))
OTHER_ROLES = int(os.environ.get("ONENET_FUZZ_OTHER_ROLES", "1"))
HOME = "330106"
SCOPES = {auth.PROVINCE_ADMIN: "330000", auth.CITY_ADMIN: "330100", auth.COUNTY_ADMIN: HOME,
          auth.PROVINCE_SYSTEM: "33"}
# The callers tried first, the one that reaches deepest first.
DEPTH_ORDER = ("national_admin", "enterprise", "agency_staff", "lead_firm", "province_admin", "city_admin",
               "county_admin", "province_system", "anonymous")

CHECKS = [openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_headers_conformance, openapi_checks.response_schema_conformance]

# Fields that name another stored object (an agency, a provider, a staff member …): any value of
# their type is well formed, but one naming nothing stored is a 422 on the field, as the document
# says of every 422. A document cannot list which ids exist.
NAMES_A_STORED_OBJECT = frozenset({
    "agency_id", "parent_id", "provider_id", "staff_id", "policy_id", "lead_firm_id", "need_id", "offer_id",
    "model_id", "run_id", "request_id", "occurrence_id", "activity_id", "expert_id", "product_id", "case_id",
    "to_agency_id", "target_agency_id", "subscription_id",
    # A keyset cursor is the next_cursor of the page before, given out for that list and its filters.
    "cursor"})

# Rules a JSON Schema cannot state, each said in the field's description instead: the operations,
# the fields a 422 may name for them, and why no document can say it. Nothing else is exempt.
UNSTATABLE = [
    # Two values compared: an end after its start, a minimum under its maximum, weights summing to 100.
    (("publish_activity",), {"ends_at", "registration_closes_at", "registration_opens_at", "starts_at", "until"},
     "times in order"),
    (("publish_activity", "create_policy", "update_policy"), {"criteria.employees_min", "criteria.revenue_min"},
     "a minimum under its maximum"),
    (("count_matching_enterprises", "explain_criteria"), {"employees_min", "revenue_min"},
     "a minimum under its maximum"),
    (("create_policy", "update_policy"), {"expires_on"}, "expiry after issue"),
    (("register_enterprise", "update_enterprise"), {"tiers"}, "a tier's expiry after its award"),
    (("record_secondment",), {"ends_on"}, "an end after its start"),
    (("submit_request",), {"arrears.delivery_date", "arrears.accepted_on"}, "contract, delivery, acceptance in order"),
    (("set_notification_preferences",), {"quiet_hours.end"}, "quiet hours that end"),
    (("publish_guide",), {"items"}, "accept_days under resolve_days, one item per service area"),
    (("define_scoring_model",), {"indicators"}, "each indicator once, weights summing to 100%"),
    (("record_capacity",), {"qualifications"}, "no more holders than service staff"),
    (("load_holiday_schedule",), {"holidays"}, "days of the schedule's year (the path's)"),
    # A grammar beyond a pattern.
    (("publish_activity",), {"recurrence"}, "an RFC 5545 RRULE"),
    (("import_enterprises",), {"content", "rows"}, "a CSV or JSON Lines file of registrations"),
    # Today decides: days and years not in the future.
    (("register_enterprise", "update_enterprise"), {"figures_year", "registered_on"},
     "figures of a year that has begun; founded by today"),
    (("register_provider", "update_provider"), {"established_on"}, "established by today"),
    (("record_training",), {"held_on"}, "a training held by today"),
    (("post_chain_need", "post_financing_need"), {"deadline"}, "a deadline that has not passed"),
    (("evaluate_provider",), {"period"}, "a quarter that has begun"),
    # What is stored decides.
    (("apply_for_admission",), {"qualifications", "served_enterprises"},
     "the provider's record meets the admission criteria"),
    (("create_agency", "update_agency"), {"region_code", "park"}, "an agency's level is its region code's level"),
    (("create_policy", "update_policy"), {"region_code"}, "within the publishing agency's region"),
    (("record_secondment",), {"region_code"}, "within the staff member's agency's region"),
    (("submit_request",), {"arrears.contract_date"}, "an SME on the contract date, by the figures on file"),
    (("set_notification_preferences",), {"email"}, "an e-mail address, given now or before, for e-mail notices"),
    # The caller decides: an Open311 account_id, when given, is the calling enterprise's USCC.
    (("open311_file",), {"account_id"}, "the caller's own USCC"),
    # The operator's configuration decides.
    (("create_webhook",), {"url"}, "a host in the networks the operator allows"),
]
EXEMPT = {}
for operations, names, _ in UNSTATABLE:
    for operation_id in operations:
        EXEMPT.setdefault(operation_id, set()).update(names)


def _field_paths(details, prefix=""):
    """The dotted paths of the fields an error's details name (``arrears.contract_date``)."""
    for name, problems in details.items():
        path = f"{prefix}{name}"
        if isinstance(problems, dict) and problems:
            yield from _field_paths(problems, path + ".")
        else:
            yield path


def _refused_what_the_document_allows(case, answer):
    """Why a 4xx answer to a request generated from the document is a refusal of well-formed
    input (None: it is not)."""
    if answer.status_code < 400 or answer.status_code in (401, 403, 404, 409, 429):
        return None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        details = body.get("error", {}).get("details", {})
    else:  # Open311's shape: the fields named in the description, "… (name: problem; name: problem)"
        text = body[0].get("description", "") if isinstance(body, list) and body else ""
        details = dict.fromkeys(re.findall(r"[(;] ?([\w.\[\]]+): ", text))
    exempt = NAMES_A_STORED_OBJECT | EXEMPT.get(case.operation.definition.raw["operationId"], set())
    named = set(_field_paths(details)) if isinstance(details, dict) else set()
    if answer.status_code == 422 and named and all(name in exempt or name.split(".")[0] in exempt for name in named):
        return None
    return f"{answer.status_code} {answer.text[:400]}"


class Findings(list):
    def add(self, label, caller, kind, case, answer, text):
        body = None if case.body is NOT_SET else case.body
        self.append(f"{label} as {caller}: {kind}: {text.strip()[:500]}\n"
                    f"    sent path={case.path_parameters} query={case.query} body={str(body)[:300]}")


def fuzz_operation(operation, caller, token, examples, base_url, session, findings):
    """Call ``operation`` ``examples`` times with generated requests; add what is wrong to ``findings``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)

    @given(case=strategy)
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        if case.query and "api_key" in case.query:
            # Credentials are the caller's (a bad one is a 401), not something to generate.
            case.query["api_key"] = token or ""
        sent = dict(headers)
        if case.headers and "Idempotency-Key" in case.headers:
            # A fresh key for every write, as clients are told: a key sent again with another
            # request is a 422 the document states.
            sent["Idempotency-Key"] = str(uuid.uuid4())
        answer = case.call(base_url=base_url, session=session, headers=sent, timeout=30)
        if answer.status_code >= 500:
            findings.add(operation.label, caller, "server error", case, answer, answer.text)
        refused = _refused_what_the_document_allows(case, answer)
        if refused:
            findings.add(operation.label, caller, "schema-valid request refused", case, answer, refused)
        try:
            case.validate_response(answer, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as failed:
            for failure in getattr(failed, "exceptions", [failed]):
                findings.add(operation.label, caller, getattr(failure, "title", "off the document"), case,
                             answer, str(getattr(failure, "message", failure)))

    run()


def callers_of(operation):
    allowed = operation.definition.raw.get("x-roles", [])
    return [caller for caller in DEPTH_ORDER if caller in allowed]


def fuzz_document(document, base_url, tokens, examples=EXAMPLES, other_roles=OTHER_ROLES):
    """Run every operation of ``document`` against ``base_url``: ``examples`` as its deepest caller,
    once as each of ``other_roles`` other callers. Returns the findings and the run's figures."""
    formats.register()
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    findings, figures = Findings(), {"operations": 0, "calls": 0, "roles": set()}
    started = time.monotonic()
    for index, result in enumerate(schema.get_all_operations()):
        operation = result.ok()
        deepest, *others = callers_of(operation)
        turn = index % len(others) if others else 0
        tried = [(deepest, examples)] + [(caller, 1) for caller in (others[turn:] + others[:turn])[:other_roles]]
        for caller, count in tried:
            fuzz_operation(operation, caller, tokens.get(caller), count, base_url, session, findings)
            figures["calls"] += count
            figures["roles"].add(caller)
        figures["operations"] += 1
    figures["seconds"] = round(time.monotonic() - started, 1)
    return findings, figures


@pytest.fixture(scope="module")
def tokens(api, token, agency_skeleton):
    """A token per role, each scoped to 杭州西湖区 330106 (its province, city, an agency there, an
    enterprise registered there, a lead firm registered there)."""
    admin = token("national_admin")
    uscc = new_uscc(HOME)
    registered = api.post("/api/v1/enterprises", admin, json={
        "uscc": uscc, "name": "杭州契约测试科技有限公司", "region_code": HOME, "industry_code": "C39",
        "employees": 40, "revenue": 1200})
    assert registered.status_code == 201, registered.text
    agencies = api.get("/api/v1/agencies", admin, params={"region": HOME, "level": "county"}).json()["items"]
    lead_firm = api.post("/api/v1/lead-firms", admin, json={
        "uscc": new_uscc(HOME), "name": "杭州契约链主集团", "region_code": HOME, "industry_codes": ["C39"]})
    assert lead_firm.status_code == 201, lead_firm.text
    found = {"national_admin": admin, "enterprise": token("enterprise", uscc),
             "agency_staff": token("agency_staff", agencies[0]["id"]),
             "lead_firm": token("lead_firm", lead_firm.json()["id"]), "anonymous": None}
    found.update({role: token(role, scope) for role, scope in SCOPES.items()})
    return found


def test_every_operation_answers_as_the_document_says_to_requests_generated_from_it(api, tokens):
    document = api.get("/api/v1/openapi.json").json()

    findings, figures = fuzz_document(document, api.base_url, tokens)

    print(f"schemathesis: {figures['operations']} operations, {figures['calls']} examples as "
          f"{len(figures['roles'])} callers, {len(findings)} findings, {figures['seconds']} s")
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings)


def test_a_method_a_path_does_not_take_is_a_405_that_says_allow(api):
    document = api.get("/api/v1/openapi.json").json()
    contract = Contract(document)

    wrong = []
    for path, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        documented = {method.upper() for method in operations}
        # A method no route of this URL takes (/enterprises/import is also /enterprises/{uscc}).
        method = next((method for method in ("PATCH", "PUT", "DELETE", "POST", "GET")
                       if contract.operation(method, url) is None), None)
        if method is None:
            continue
        answer = api.request(method, url)
        allowed = {word.strip() for word in answer.headers.get("Allow", "").split(",") if word.strip()}
        if answer.status_code != 405 or not documented <= allowed or method in allowed:
            wrong.append(f"{method} {path}: {answer.status_code}, Allow: {answer.headers.get('Allow')}")
    assert not wrong, "\n".join(wrong)
