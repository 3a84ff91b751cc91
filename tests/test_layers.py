"""The package's shape: the API imports nothing heavy, and no module imports back into a cycle.

See docs/ARCHITECTURE.md for the layers these tests hold in place.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "jobctl"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_the_api_loads_no_cli_library_and_no_sdk() -> None:
    done = run_python(
        "import jobctl.api, sys; "
        "assert not {'typer','rich','boto3','tencentcloud'} "
        "& {m.split('.')[0] for m in sys.modules}, sorted(sys.modules)"
    )
    assert done.returncode == 0, done.stderr


def test_naming_the_providers_reads_no_package_metadata_when_no_plug_in_is_installed() -> None:
    """importlib.metadata costs a run ~25 ms at start; without a plug-in it is not needed (the
    registry with a plug-in installed: tests/test_third_party_provider.py)."""
    done = run_python(
        "import jobctl.providers as p, sys; "
        "assert p.names()[:3] == ['aws-batch', 'aws-iot', 'tencent'], p.names(); "
        "assert 'importlib.metadata' not in sys.modules"
    )
    assert done.returncode == 0, done.stderr


def test_a_plug_in_in_a_zip_on_sys_path_is_still_found(tmp_path: Path) -> None:
    """The quick scan cannot read a zip: it says so, and the registry reads the metadata."""
    import zipfile

    archive = tmp_path / "acme.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("acme_jobs-1.0.dist-info/METADATA", "Name: acme-jobs\nVersion: 1.0\n")
        zipped.writestr(
            "acme_jobs-1.0.dist-info/entry_points.txt",
            "[jobctl.providers]\nacme = acme_jobs:AcmeProvider\n",
        )
    done = run_python(
        f"import sys; sys.path.append({str(archive)!r}); "
        "import jobctl.providers as p; assert 'acme' in p.names(), p.names()"
    )
    assert done.returncode == 0, done.stderr


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def module_level_imports(name: str, path: Path) -> set[str]:
    """The package's modules `name` imports when it is loaded or type-checked.

    Imports inside functions (the lazy ones that keep SDKs off --help and TAB) run later and
    cannot leave a module half-initialized; imports under TYPE_CHECKING count, as mypy and
    a reader follow them.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in MODULES else base)
            elif isinstance(node, ast.If | ast.With | ast.ClassDef):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(ast.parse(path.read_text()).body)
    return {module for module in found if module in MODULES and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_back_into_a_cycle() -> None:
    graph = {name: module_level_imports(name, path) for name, path in MODULES.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_context_imports_nothing_of_jobctl() -> None:
    assert module_level_imports("jobctl.context", MODULES["jobctl.context"]) == set()


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    names = ", ".join(repr(name) for name in MODULES)
    done = run_python(f"import importlib\nfor name in [{names}]: importlib.import_module(name)")
    assert done.returncode == 0, done.stderr
