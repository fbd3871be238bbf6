"""Clients generated from ``docs/openapi.json`` with the front-end teams' own tools.

TypeScript: openapi-typescript + openapi-fetch (``clients/typescript``); the sample
``src/journeys.ts`` walks five journeys and must compile under ``tsc --strict`` with
no ``any`` and no casts, so every field it reads is one the contract promises.

Python: openapi-python-client (:mod:`tests.python_client`); every field the server
always returns is typed without ``Unset``.
"""
import importlib
import json
import os
import re

import attrs
from openapi_python_client.strings import ClassName, PythonIdentifier

from gateway import openapi
from tests import node, python_client

SAMPLE = os.path.join(node.TYPESCRIPT_CLIENT, "src", "journeys.ts")


def test_the_typescript_sample_uses_no_any_and_no_casts():
    with open(SAMPLE, encoding="utf-8") as handle:
        code = re.sub(r"//.*|/\*.*?\*/", "", handle.read(), flags=re.S)
    assert not re.search(r"\bany\b", code)
    assert not re.search(r"\bas\s+(?!const\b)[A-Za-z{(\[]", code), "a cast in journeys.ts"
    assert "@ts-" not in code and "!." not in code and "!)" not in code


# tsc errors the journeys may meet in the document: none (every field they read is required).
KNOWN_ERRORS = 0


def test_the_typescript_client_of_the_document_compiles_its_journeys_under_strict():
    node.tool("openapi-typescript", node.TYPESCRIPT_CLIENT)
    npm = node.npm()

    generated = node.run([npm, "run", "--silent", "generate"], cwd=node.TYPESCRIPT_CLIENT)
    assert generated.returncode == 0, generated.stderr[-2000:]
    checked = node.run([npm, "run", "--silent", "check"], cwd=node.TYPESCRIPT_CLIENT)

    errors = [line for line in checked.stdout.splitlines() if " error TS" in line]
    assert errors or checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert len(errors) <= KNOWN_ERRORS, \
        f"tsc --strict: {len(errors)} errors, {KNOWN_ERRORS} known\n" + "\n".join(errors)


# --- Python: openapi-python-client --------------------------------------------------------------

def answered_objects(document):
    """The object schemas the server answers with (reachable from a response), by name."""
    schemas = document["components"]["schemas"]
    return {name: schemas[name] for name in openapi._components_under(document, openapi._response_roots(document))
            if schemas[name].get("properties")}


def test_the_python_client_types_every_field_the_server_always_returns_without_unset():
    models = importlib.import_module(python_client.generated().__name__ + ".models")
    with open(openapi.DOCUMENT_PATH, encoding="utf-8") as handle:
        answered = answered_objects(json.load(handle))

    problems, checked, optional = [], 0, []
    for name, schema in sorted(answered.items()):
        model = getattr(models, ClassName(name, ""), None)
        if model is None:
            problems.append(f"{name}: no model")
            continue
        fields = attrs.fields_dict(model)
        optional.extend(f"{name}.{prop}" for prop in schema["properties"] if prop not in schema.get("required", [])
                        and "Unset" in str(getattr(fields.get(PythonIdentifier(prop, "field_")), "type", "")))
        for prop in schema.get("required", []):
            field = fields.get(PythonIdentifier(prop, "field_"))
            checked += 1
            if field is None:
                problems.append(f"{name}.{prop}: no attribute")
            elif "Unset" in str(field.type):
                problems.append(f"{name}.{prop}: {field.type}")
    assert checked > 500, f"only {checked} required fields of {len(answered)} answered schemas"
    # Where a field is absent from some answers (x-optional), the client says Unset: the check sees it.
    assert "Activity.occurrences" in optional, optional
    assert not problems, f"{len(problems)} fields the server always returns typed with Unset:\n" + "\n".join(problems)
