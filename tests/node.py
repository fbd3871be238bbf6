"""The front-end teams' own tools, which the suite proves the contract with.

They are npm packages pinned in ``tests/toolchain/package.json`` (and its lock),
installed by ``make test`` with ``npm ci`` when npm is present; ``.ci/run``
installs Node.js and Chromium when they are missing. The TypeScript client
has its own package in ``clients/typescript``.
"""
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLCHAIN = os.path.join(ROOT, "tests", "toolchain")
TYPESCRIPT_CLIENT = os.path.join(ROOT, "clients", "typescript")


def node():
    """The ``node`` executable, or skip: without Node.js no front-end tool runs."""
    path = shutil.which("node")
    if path is None:
        pytest.skip("Node.js is not installed (apt-get install nodejs npm; .ci/run does)")
    return path


def npm():
    """The ``npm`` executable (it runs the client packages' own scripts)."""
    node()
    path = shutil.which("npm")
    if path is None:
        pytest.fail("npm is not installed beside Node.js (apt-get install npm; .ci/run does)")
    return path


def tool(name, package_dir=TOOLCHAIN):
    """The executable ``name`` from ``package_dir``'s node_modules (installed by ``make test``)."""
    node()
    path = os.path.join(package_dir, "node_modules", ".bin", name)
    if not os.path.exists(path):
        pytest.fail(f"{name} is not installed: run `npm ci --prefix {os.path.relpath(package_dir, ROOT)}` "
                    f"(make test does when npm is present)")
    return path


def run(command, timeout=300, **options):
    """Run a tool; its completed process (output as text)."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **options)


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
    return path
