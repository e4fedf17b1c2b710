"""The architecture's contracts (docs/ARCHITECTURE.md): one-way imports checked by import-linter
with the contracts in pyproject.toml, small modules and packages, time and randomness only from
the tenant, and the Tenant class imported at run time only where a tenant is built."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mockidp"
MAX_MODULE_LINES = 460
MAX_PACKAGE_MODULES = 12


def _lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()", "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, offending_import, contract", [
    ("core/directory/users.py", "from mockidp.api import http", "Layers: entry points"),
    ("core/traffic/faults.py", "from mockidp.core.email import mailroom", "Core domains"),
    ("core/email/emails.py", "from mockidp.core.login import sessions", "Core domains"),
    ("core/login/grants.py", "import flask", "plain Python"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, offending_import, contract):
    """The contracts are not vacuous: a copy of the package with one forbidden import fails."""
    shutil.copytree(PACKAGE, tmp_path / "mockidp", ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.js"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "mockidp" / module
    target.write_text(target.read_text() + f"\n{offending_import}  # noqa\n")
    result = _lint_imports(tmp_path, pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "node_modules" not in path.parts)


def test_no_module_is_long():
    long = {str(path.relative_to(ROOT)): lines for path in _modules()
            if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_package_has_many_modules():
    crowded = {}
    for package in {path.parent for path in _modules()}:
        modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > MAX_PACKAGE_MODULES:
            crowded[str(package.relative_to(ROOT))] = len(modules)
    assert crowded == {}


def test_every_module_says_what_it_owns():
    missing = [str(path.relative_to(ROOT)) for path in _modules()
               if path.name != "__main__.py" and ast.get_docstring(ast.parse(path.read_text())) is None]
    assert missing == []


# Wall time and randomness come from the tenant (core/tenant/clock.py, core/tenant/rng.py) so a
# run is reproducible. The exceptions are deliberate and named: the Action runner's result marker
# must be unguessable by the Action's own code.
WALL_TIME_AND_RANDOMNESS = {"time.time", "time.monotonic", "datetime.now", "datetime.utcnow", "date.today",
                            "uuid.uuid1", "uuid.uuid4", "os.urandom"}
RANDOM_MODULES = {"random", "secrets"}
ALLOWED = {"core/tenant/clock.py": {"time.time", "time.monotonic"},
           "core/tenant/rng.py": {"random"},
           "core/actions/runtime.py": {"secrets"}}


def _nondeterministic_uses(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
            if name in WALL_TIME_AND_RANDOMNESS:
                found.add(name)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in RANDOM_MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module in RANDOM_MODULES:
            found.add(node.module)
    return found


def test_time_and_randomness_come_only_from_the_tenant():
    offenders = {}
    for path in (PACKAGE / "core").rglob("*.py"):
        relative = str(path.relative_to(PACKAGE))
        uses = _nondeterministic_uses(ast.parse(path.read_text())) - ALLOWED.get(relative, set())
        if uses:
            offenders[relative] = sorted(uses)
    assert offenders == {}


def _runtime_imports_of_tenant(tree: ast.Module) -> bool:
    """True if `Tenant` is imported outside an `if TYPE_CHECKING:` block."""
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                 for node in ast.walk(block)}
    return any(isinstance(node, ast.ImportFrom) and id(node) not in type_only
               and (node.module or "").endswith("tenant.tenant")
               and any(alias.name == "Tenant" for alias in node.names)
               for node in ast.walk(tree))


def test_only_the_builders_import_the_tenant_class_at_run_time():
    importers = sorted(str(path.relative_to(PACKAGE)) for path in _modules()
                       if _runtime_imports_of_tenant(ast.parse(path.read_text())))
    assert importers == ["core/assembly.py"]
