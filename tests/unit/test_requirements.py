"""Pin only what is imported: every pinned distribution provides a module the project imports
(or runs with ``python -m``), save the few that are needed without an import of their own."""
import ast
import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDED_WITHOUT_IMPORT = {
    "setuptools": "nameko imports pkg_resources",
    "cryptography": "PyJWT needs it for RS256 tokens",
    "pytest-timeout": "pytest.ini's timeout: a test that hangs fails with its stacks instead of holding the run",
}


def pins():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            yield re.split(r"[=<>!~\[]", line)[0].strip()


def used_modules():
    used = set()
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                used.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                used.add(node.module.split(".")[0])
        used.update(re.findall(r'"-m",\s*"([A-Za-z_]+)', text))
    return used


def test_every_pinned_package_is_imported_or_says_why_not():
    provided = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            provided.setdefault(distribution.lower().replace("_", "-"), set()).add(module)
    used = used_modules()
    unused = [name for name in pins() if name not in NEEDED_WITHOUT_IMPORT
              and not provided.get(name.lower().replace("_", "-"), set()) & used]
    assert unused == []
