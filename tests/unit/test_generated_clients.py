"""Clients generated from ``docs/openapi.json`` with the front-end teams' own tools.

TypeScript: openapi-typescript + openapi-fetch (``clients/typescript``); the sample
``src/journeys.ts`` walks five journeys and must compile under ``tsc --strict`` with
no ``any`` and no casts, so every field it reads is one the contract promises.
"""
import os
import re

from tests import node

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
