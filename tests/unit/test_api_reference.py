"""docs/api.md is what the gateway's OpenAPI document says (regenerate: python -m infra.api_reference)."""
from infra import api_reference


def test_docs_api_md_is_rendered_from_the_served_openapi_document():
    with open(api_reference.REFERENCE, encoding="utf-8") as handle:
        current = handle.read()
    assert current == api_reference.rendered(), "docs/api.md is stale: run python -m infra.api_reference"


def test_every_operation_is_listed_with_its_roles():
    spec = api_reference.document()
    page = api_reference.rendered(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in api_reference.METHODS:
                continue
            roles = operation["x-roles"]
            listed = "`public`" if roles == "public" else ", ".join(f"`{role}`" for role in roles)
            assert f"| {method.upper()} | `{path}` |" in page
            assert any(line.startswith(f"| {method.upper()} | `{path}` |") and f"| {listed} |" in line
                       for line in page.splitlines()), (method, path)
