"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas."""
import json
import os
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from chassis.text import TEXT_PATTERN
from gateway.api import IDEMPOTENCY_HEADER, ApiRoute, _json_default

TITLE = "OneNet API — 全国中小企业服务一张网"
VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

ERROR_STATUSES = {
    "400": "Malformed request (not JSON, wrong content type)",
    "401": "Missing, invalid or expired bearer token",
    "403": "The caller's role or scope does not allow this",
    "404": "No such object (or not visible to the caller)",
    "409": "Conflicts with the stored state",
    "413": "Body too large",
    "422": "Validation failed; details name each field (`idempotency_key_reused`: an Idempotency-Key "
           "sent again with another request)",
    "429": "Rate limit exceeded",
    "503": "A service did not answer in time",
}


IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "A key the client makes for this one write (a UUID, say) and sends again, unchanged, "
                   "when it retries the same write. The first answer is kept 24 hours: a retry with the "
                   "same key and the same request gets the same status and body, and nothing is done "
                   "twice; the same key with another request is a 422 `idempotency_key_reused`. A key is "
                   "the caller's own: another caller's equal key is another key.",
}


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "Per-field problems or other context"})


class Error(Schema):
    """The one error shape of every non-2xx answer."""

    error = fields.Nested(ErrorDetail, required=True)


OPEN311_PREFIX = "/open311/"


class Open311ErrorItem(Schema):
    code = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    description = fields.String(required=True)



def routes_of(service_cls):
    """Every :class:`ApiRoute` declared on ``service_cls``, with its method name."""
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                yield name, entrypoint


def openapi_path(url):
    return _PATH_PARAM.sub(r"{\1}", url)


def security_of(entrypoint):
    """Bearer for every non-public route; an Open311 route also takes the token as ``api_key``
    (optional on its public routes)."""
    schemes = [{"bearer": []}] + ([{"api_key": []}] if entrypoint.api_key else [])
    if entrypoint.public:
        return [{}] + schemes if entrypoint.api_key else []
    return schemes


def operation(name, entrypoint):
    op = {
        "operationId": name,
        "summary": entrypoint.summary or name.replace("_", " "),
        "tags": list(entrypoint.tags),
        "x-roles": "public" if entrypoint.public else sorted(entrypoint.roles),
        "security": security_of(entrypoint),
        "parameters": [
            {"in": "path", "name": param, "required": True, "schema": {"type": "string"}}
            for param in _PATH_PARAM.findall(entrypoint.url)
        ],
        "responses": {},
    }
    if entrypoint.idempotent:
        op["parameters"].append("IdempotencyKey")
    if entrypoint.query_schema is not None:
        op["parameters"].append({"in": "query", "schema": entrypoint.query_schema})
    if entrypoint.body_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": entrypoint.body_schema}}}
    success = {"description": "Success"}
    if entrypoint.response_schema is not None:
        success["content"] = {"application/json": {"schema": entrypoint.response_schema}}
    elif entrypoint.media_type != "application/json":
        success["content"] = {entrypoint.media_type: {"schema": {"type": "string"}}}
    op["responses"][str(entrypoint.status)] = success
    error_schema = ({"type": "array", "items": "Open311Error"} if entrypoint.url.startswith(OPEN311_PREFIX)
                    else "Error")
    for status, description in ERROR_STATUSES.items():
        if entrypoint.public and not entrypoint.api_key and status in ("401", "403"):
            continue
        op["responses"][status] = {"description": description,
                                   "content": {"application/json": {"schema": error_schema}}}
    return op


def build(service_cls):
    """The OpenAPI document (a dict) for the gateway's ``/api/v1`` routes."""
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "The HTTP API of the national SME public-service "
                                        "network. Errors always have the shape of `Error`; "
                                        "`x-roles` lists who may call each operation."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.security_scheme("api_key", {"type": "apiKey", "in": "query", "name": "api_key"})
    spec.components.parameter("IdempotencyKey", "header", IDEMPOTENCY_KEY)
    spec.components.schema("Error", schema=Error)
    spec.components.schema("Open311Error", schema=Open311ErrorItem)
    paths = {}
    for name, entrypoint in routes_of(service_cls):
        if entrypoint.url.startswith(("/api/", OPEN311_PREFIX)):
            paths.setdefault(openapi_path(entrypoint.url), {})[entrypoint.method.lower()] = \
                operation(name, entrypoint)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return state_text_pattern(spec.to_dict())


# Strings whose values a format, an enum or a pattern of their own already confines.
_CONFINED = ("enum", "const", "pattern", "format")


# Schemas only ever answered, whose text may quote what the caller sent (an error's message).
_ANSWERS_ONLY = ("Error", "ErrorDetail", "Open311Error")


def state_text_pattern(node):
    """Every other string of the document says what the gateway enforces for all text
    (:mod:`chassis.text`): no control characters. Returns ``node``, changed in place."""
    schemas = node.get("components", {}).get("schemas", {})
    skipped = {id(schemas[name]) for name in _ANSWERS_ONLY if name in schemas}
    pending = [node]
    while pending:
        item = pending.pop()
        if id(item) in skipped:
            continue
        if isinstance(item, dict):
            kinds = item.get("type")
            if (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)) and \
                    not any(key in item for key in _CONFINED):
                item["pattern"] = TEXT_PATTERN
            pending.extend(value for key, value in item.items() if key not in ("example", "examples", "default"))
        elif isinstance(item, list):
            pending.extend(item)
    return node


DOCUMENT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "openapi.json")


def document_text(service_cls):
    """The document as committed in ``docs/openapi.json`` (what the gateway serves)."""
    return json.dumps(build(service_cls), ensure_ascii=False, indent=1, default=_json_default) + "\n"


def main(argv=None):
    """``python -m gateway.openapi`` writes the document the gateway serves to
    ``docs/openapi.json``, which the front-end teams' tools and the breaking-change
    check read; ``--check`` only says whether the committed one is out of date."""
    import argparse
    from gateway.service import GatewayService
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = document_text(GatewayService)
    current = ""
    if os.path.exists(DOCUMENT_PATH):
        with open(DOCUMENT_PATH, encoding="utf-8") as handle:
            current = handle.read()
    if args.check:
        if current != text:
            raise SystemExit(f"{DOCUMENT_PATH} is out of date: run python -m gateway.openapi")
        return
    with open(DOCUMENT_PATH, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {os.path.relpath(DOCUMENT_PATH)}")


if __name__ == "__main__":
    main()
