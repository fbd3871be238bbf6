"""The Python client a front-end or integration team generates from ``docs/openapi.json``.

openapi-python-client (pinned in requirements.txt) writes an attrs model per schema and a
module per operation. The generated package is kept under ``.venv`` by the document's hash,
so it is made again only when the document changes.
"""
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from gateway import openapi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "onenet_client"
# No formatting afterwards (ruff): the client is read by the tests, not by people.
CONFIG = "post_hooks: []\n"


def _generator():
    path = os.path.join(os.path.dirname(sys.executable), "openapi-python-client")
    if not os.path.exists(path):
        pytest.fail("openapi-python-client is not installed: make test installs requirements.txt")
    return path


def generated(document_path=openapi.DOCUMENT_PATH):
    """The generated package ``onenet_client`` of the document at ``document_path``, imported (its
    folder put on ``sys.path``)."""
    with open(document_path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    home = os.path.join(ROOT, ".venv", "generated-clients", digest)
    if not os.path.isdir(os.path.join(home, PACKAGE)):
        os.makedirs(os.path.dirname(home), exist_ok=True)
        work = tempfile.mkdtemp(dir=os.path.dirname(home))
        config = os.path.join(work, "config.yml")
        with open(config, "w") as handle:
            handle.write(CONFIG)
        done = subprocess.run([_generator(), "generate", "--path", document_path, "--meta", "none",
                               "--output-path", os.path.join(work, PACKAGE), "--config", config],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Warning" not in done.stdout, f"the generator left parts of the document out:\n{done.stdout[-3000:]}"
        try:
            os.rename(work, home)
        except OSError:  # made meanwhile by another run
            shutil.rmtree(work, ignore_errors=True)
        for older in os.listdir(os.path.dirname(home)):  # clients of documents gone for an hour
            path = os.path.join(os.path.dirname(home), older)
            if older != digest and time.time() - os.path.getmtime(path) > 3600:
                shutil.rmtree(path, ignore_errors=True)
    if home not in sys.path:
        sys.path.insert(0, home)
        importlib.invalidate_caches()
    return importlib.import_module(PACKAGE)
