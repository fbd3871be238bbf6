"""Spectral's ``spectral:oas`` ruleset (``.spectral.yaml``), the front-end teams' linter, over
the document the gateway serves (``docs/openapi.json``): no error and no warning."""
import json
import os

from gateway import openapi
from tests import node

SPECTRAL_RULESET = os.path.join(node.ROOT, ".spectral.yaml")


# Findings the document may still carry: none. A finding fails the test.
KNOWN = {}
SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}


def test_spectral_oas_finds_no_error_and_no_warning_beyond_the_known_ones(tmp_path):
    spectral = node.tool("spectral")
    report = tmp_path / "spectral.json"

    done = node.run([spectral, "lint", openapi.DOCUMENT_PATH, "--ruleset", SPECTRAL_RULESET,
                     "--format", "json", "--output", str(report), "--quiet"])

    assert report.exists(), done.stderr[-2000:]
    findings = [item for item in json.loads(report.read_text() or "[]") if item["severity"] <= 1]
    counts = {}
    for item in findings:
        key = (SEVERITY[item["severity"]], item["code"])
        counts[key] = counts.get(key, 0) + 1
    beyond = {key: count for key, count in counts.items() if count > KNOWN.get(key, 0)}
    new = [f"{SEVERITY[item['severity']]} {item['code']} at {'.'.join(map(str, item['path']))}: {item['message']}"
           for item in findings if (SEVERITY[item["severity"]], item["code"]) in beyond]
    assert not beyond, f"Spectral findings beyond the known ones {beyond}:\n" + "\n".join(new[:40])
