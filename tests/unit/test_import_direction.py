"""The dependencies point one way: domain → its own contract → chassis and reference.

A service's contract is its ``schemas.py`` (RPC and event schemas, their
constants) and the modules of its ``contract`` package (the rules both sides
apply to their own copies of the data, such as the agencies' routing rule). The gateway and the other services import
contracts only; a contract imports no domain code; the chassis and the reference
package import no service. Checked twice: every import statement in the source
(also those inside functions), and the modules each process really loads.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))
PROCESSES = ["gateway.service", *(f"services.{name}.service" for name in SERVICES)]


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path):
    """Every module an import statement in ``path`` names (``from a import b`` names ``a.b`` when it is one)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").exists())
    return names


def sources(*packages):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def is_contract(name):
    """``services.<name>.schemas``, or ``services.<name>.contract`` and the modules under it."""
    parts = name.split(".")
    return (len(parts) >= 3 and parts[0] == "services"
            and (parts[2] == "contract" or len(parts) == 3 and parts[2] == "schemas"))


def service_of(name):
    parts = name.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def foreign(importer, name):
    """Why module ``importer`` may not import ``name``, or None when it may."""
    owner = service_of(name)
    if len(name.split(".")) < 3 and owner is not None:
        return None  # the package itself: nothing but its docstring
    if importer.split(".")[0] in ("chassis", "reference"):
        if owner is not None or name.split(".")[0] == "gateway":
            return "the chassis and the reference package import no service"
        if importer.startswith("reference") and name.split(".")[0] == "chassis":
            return "the reference package stands alone"
        return None
    if owner is None:
        return None
    if is_contract(importer):
        return None if is_contract(name) else "a contract imports no domain code"
    if owner == service_of(importer):
        return None
    return None if is_contract(name) else f"{name} is not {owner}'s contract"


def test_no_module_imports_a_service_module_that_is_not_its_own_or_a_contract():
    wrong = [f"{module_name(path)} imports {name}: {foreign(module_name(path), name)}"
             for path in sources("gateway", "services", "chassis", "reference")
             for name in sorted(imported(path)) if foreign(module_name(path), name)]
    assert wrong == []


def test_the_rule_catches_what_it_forbids():
    assert foreign("gateway.routes.library", "services.agencies.library")
    assert foreign("services.requests.schemas", "services.requests.lifecycle")
    assert foreign("services.requests.service", "services.agencies.routing")
    assert foreign("services.agencies.contract.routing", "services.agencies.domain")
    assert foreign("services.requests.submission", "services.agencies.schemas_routing")
    assert foreign("services.requests.submission", "services.agencies.use_cases.hierarchy")
    assert foreign("chassis.outbox", "services.requests.schemas")
    assert foreign("reference.regions", "chassis.db")
    assert not foreign("services.requests.lifecycle", "services.requests.schemas")
    assert not foreign("services.notifications.domain", "services.enterprises.schemas")
    assert not foreign("gateway.routes.requests", "services.requests.schemas")
    assert not foreign("services.requests.submission", "services.agencies.contract.routing")
    assert not foreign("services.agencies.contract.routing", "services.agencies.schemas")


def loaded_by(processes):
    """The service modules each process has loaded once its entry module is imported (one interpreter each)."""
    program = ("import importlib, json, sys; importlib.import_module(sys.argv[1]); "
               "print(json.dumps(sorted(name for name in sys.modules if name.startswith('services.'))))")
    running = {process: subprocess.Popen([sys.executable, "-W", "ignore", "-c", program, process], cwd=ROOT,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for process in processes}
    loaded = {}
    for process, child in running.items():
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        loaded[process] = json.loads(out.strip().splitlines()[-1])
    return loaded


@pytest.fixture(scope="module")
def process_modules():
    return loaded_by(PROCESSES)


def test_the_gateway_process_loads_contracts_only(process_modules):
    modules = [name for name in process_modules["gateway.service"] if len(name.split(".")) > 2]
    assert modules and all(is_contract(name) for name in modules), modules


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_process_loads_no_other_services_module_but_its_contract(process_modules, service):
    modules = process_modules[f"services.{service}.service"]
    assert [name for name in modules if len(name.split(".")) > 2 and service_of(name) != service
            and not is_contract(name)] == []
