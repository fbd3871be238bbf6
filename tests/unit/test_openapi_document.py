"""The OpenAPI document as the front-end teams read it: typed answers, one word per thing,
every operation described with an example. (The end-to-end client checks every answer the
suite gets against the same document.)"""
import json
import os

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate
from stdnum.cn import uscc

from gateway import access, api, openapi
from gateway.service import GatewayService

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def document():
    return openapi.build(GatewayService)


def operations(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def nodes(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from nodes(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, path + (index,))


def answered_components(document):
    return openapi._components_under(document, openapi._response_roots(document))


def test_document_is_valid_openapi_3_1_and_plain_json(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert json.loads(json.dumps(document)) == document


def test_info_servers_and_tags_are_what_generators_need(document):
    info = document["info"]
    assert info["title"].isascii() and info["x-title"] == openapi.X_TITLE
    assert info["contact"]["name"]
    assert document["servers"][0]["url"]
    declared = {tag["name"] for tag in document["tags"]}
    used = {tag for _, op in operations(document) for tag in op["tags"]}
    assert used <= declared
    assert all(tag.get("description") for tag in document["tags"])


def test_every_answered_object_states_which_fields_it_always_has(document):
    """(A schema also taken as input is echoed as it was given: it requires what its input does.)"""
    schemas = document["components"]["schemas"]
    taken = openapi._components_under(document, openapi._request_roots(document))
    without = [name for name in answered_components(document) - taken
               if schemas[name].get("properties") and not schemas[name].get("required")]
    assert without == []
    assert schemas["Enterprise"]["required"] and "contact" not in schemas["Enterprise"]["required"]


def test_nullable_is_said_the_3_1_way_without_junk_alternatives(document):
    for path, node in nodes(document):
        assert "nullable" not in node, path
        for choice in node.get("anyOf", []):
            assert choice.get("type") != "object" or "properties" in choice, path


def test_no_nonstandard_url_format(document):
    assert all(node.get("format") != "url" for _, node in nodes(document))


def test_each_vocabulary_is_one_component_that_no_field_repeats_inline(document):
    repeated = [path for path, node in nodes(document)
                if "enum" in node and openapi._vocabulary_of(node["enum"]) is not None
                and not (len(path) == 3 and path[:2] == ("components", "schemas"))]
    assert repeated == []
    refs = json.dumps(document)
    for name in openapi.VOCABULARIES:
        assert f'"#/components/schemas/{name}"' in refs, f"{name} is used nowhere"


@pytest.mark.parametrize("name,schema", [("ServiceArea", "area"), ("SizeClass", "size_class")])
def test_vocabularies_hold_the_contract_values(document, name, schema):
    values, _ = openapi.VOCABULARIES[name]
    assert document["components"]["schemas"][name]["enum"] == list(values)


def test_every_operation_has_a_description_saying_who_may_call_it(document):
    for name, op in operations(document):
        assert "**Who may call:**" in op["description"], name
        assert isinstance(op["x-roles"], list) and op["x-roles"], name
        if not name.startswith("GET "):
            assert "**Events:**" in op["description"], name


def _answers_a_list(op, schemas):
    for status, answer in op["responses"].items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if status.startswith("2") and "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if status.startswith("2") and (schema.get("type") == "array" or "items" in schema.get("properties", {})):
            return True
    return False


def test_every_list_states_the_order_of_its_items(document):
    lists = [(name, op) for name, op in operations(document)
             if name.startswith("GET ") and _answers_a_list(op, document["components"]["schemas"])]
    assert len(lists) >= 35
    for name, op in lists:
        assert op.get("x-order") and f"**Order:** {op['x-order'].rstrip('.')}." in op["description"], name


def test_keyset_lists_say_how_to_walk_them(document):
    for name, op in operations(document):
        cursor = [p for p in op["parameters"] if isinstance(p, dict) and p.get("name") == "cursor"]
        assert bool(cursor) == (openapi.KEYSET_PAGES in op["description"]), name
        if cursor:
            answer = document["components"]["schemas"][
                op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
            assert {"next", "next_cursor", "items"} <= set(answer["properties"]), name
            assert cursor[0]["schema"]["format"] == "cursor" and "example" in cursor[0]["schema"], name
    keyset_paths = {name for name, op in operations(document) if openapi.KEYSET_PAGES in op["description"]}
    assert {"GET /api/v1/enterprises", "GET /api/v1/requests", "GET /api/v1/notifications",
            "GET /api/v1/search"} <= keyset_paths


def test_who_may_call_follows_the_access_table():
    table = access.table("""
        national_admin  ok  ok      ok
        region_admins   ok  hidden  ok
        enterprise      ok  hidden  hidden""")

    class Route:
        access = table

    words = openapi.who_may_call(Route)
    assert words.startswith("**Who may call:** national admins, province admins, city admins, county admins, "
                            "enterprise users.")
    assert "enterprise users asking for another enterprise's object get 404" in words


def test_every_operation_has_examples_that_its_schemas_accept(document):
    root = {"components": document["components"]}
    for name, op in operations(document):
        media = [op["requestBody"]["content"]["application/json"]] if "requestBody" in op else []
        media += [answer["content"]["application/json"] for answer in op["responses"].values()
                  if "application/json" in answer.get("content", {})]
        success = [answer for status, answer in op["responses"].items() if status.startswith("2")]
        assert any("example" in each for each in media) or not any("content" in each for each in success), name
        for each in media:
            if "example" in each:
                errors = list(OAS31Validator(dict(each["schema"], **root), format_checker=oas31_format_checker)
                              .iter_errors(each["example"]))
                assert errors == [], f"{name}: {errors[0].message}"


def test_every_example_in_a_schema_fits_it(document):
    root = {"components": document["components"]}
    for path, node in nodes(document["components"]["schemas"]):
        if "example" in node and isinstance(node.get("type"), (str, list)):
            example = node["example"]
            checked = {key: value for key, value in node.items() if key != "example"}
            errors = list(OAS31Validator(dict(checked, **root), format_checker=oas31_format_checker)
                          .iter_errors(example))
            assert errors == [], f"{path}: {errors[0].message}"


def test_credit_code_examples_pass_the_servers_own_check(document):
    examples = [node["example"] for _, node in nodes(document) if node.get("format") == "uscc" and "example" in node]
    assert examples and all(uscc.is_valid(example) for example in examples)


FORMATS = ("uscc", "gb2260-division", "gb2260-region", "gb2260-county", "region-prefix", "gb4754", "period", "cursor")


def test_rules_the_server_checks_in_code_are_stated_as_patterns(document):
    by_format = {}
    for _, node in nodes(document):
        if node.get("format") in FORMATS:
            assert node.get("pattern"), node
            by_format.setdefault(node["format"], 0)
            by_format[node["format"]] += 1
    assert set(by_format) == set(FORMATS)


def test_errors_list_their_codes_and_carry_the_correlation_id(document):
    schemas = document["components"]["schemas"]
    codes = schemas["ErrorCode"]["enum"]
    for error in (api.MalformedRequest, api.Unauthenticated, api.Forbidden, api.NotFound, api.Conflict,
                  api.Unprocessable, api.TooManyRequests, api.ServiceUnavailable):
        assert error.code in codes
    assert "internal_error" in codes
    assert "correlation_id" in schemas["ErrorDetail"]["required"]
    for name, op in operations(document):
        if "401" in op["responses"]:
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"], name
        for answer in op["responses"].values():
            assert "X-Correlation-ID" in answer["headers"], name


def test_the_public_reads_the_gateway_keeps_and_only_they_state_etag_if_none_match_and_304(document):
    kept = {f"{route.method} {openapi.openapi_path(route.url)}"
            for _, route in openapi.routes_of(GatewayService) if route.cached}
    assert kept >= {"GET /api/v1/routing", "GET /api/v1/policies", "GET /api/v1/agencies/{agency_id}/guide"}
    stated = set()
    for name, op in operations(document):
        if "304" in op["responses"] or {"$ref": "#/components/parameters/IfNoneMatch"} in op["parameters"]:
            stated.add(name)
            assert {"$ref": "#/components/parameters/IfNoneMatch"} in op["parameters"], name
            for answer in (op["responses"]["200"], op["responses"]["304"]):
                assert {"ETag", "Cache-Control"} <= set(answer["headers"]), name
            assert "content" not in op["responses"]["304"], name
        else:
            assert not any("ETag" in answer.get("headers", {}) for answer in op["responses"].values()), name
    assert stated == kept
    parameter = document["components"]["parameters"]["IfNoneMatch"]
    assert (parameter["in"], parameter["name"], parameter["required"]) == ("header", "If-None-Match", False)
    assert document["components"]["headers"]["ETag"]["required"] is True


def test_the_request_lifecycle_in_the_document_and_the_docs_is_the_transition_table(document):
    from services.requests import lifecycle
    tag = next(tag for tag in document["tags"] if tag["name"] == "requests")
    assert openapi.lifecycle_markdown() in tag["description"]
    for action, source, target, _ in lifecycle.TRANSITIONS:
        assert f"    {source} --> {target}: " in tag["description"]
        assert action in tag["description"]
    assert openapi.write_lifecycle(os.path.join(ROOT, "docs", "requests.md"), check=True), \
        "docs/requests.md: run python -m gateway.openapi lifecycle"


def test_the_rate_limit_headers_are_stated_as_the_gateway_sends_them(document):
    from gateway.rate_limit import Budget
    sent = set(Budget(allowed=True, limit=600, remaining=599, reset_seconds=60).headers())
    refused = set(Budget(allowed=False, limit=600, remaining=0, reset_seconds=17).headers())
    headers = document["components"]["headers"]
    for name, op in operations(document):
        answers = [answer for status, answer in op["responses"].items() if status.startswith("2") or status == "304"]
        assert answers, name
        for answer in answers:
            assert set(answer["headers"]) >= sent, name
            assert not any(headers[ref["$ref"].rsplit("/", 1)[1]].get("required")
                           for header, ref in answer["headers"].items() if header in sent), name
        spent = op["responses"]["429"]["headers"]
        assert set(spent) >= refused, name
        assert all(headers[spent[header]["$ref"].rsplit("/", 1)[1]]["required"] for header in refused), name
