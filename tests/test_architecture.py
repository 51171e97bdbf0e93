"""The shape of the code (ARCHITECTURE.md), checked like behaviour: layers, cycles, privacy.

import-linter's contracts (pyproject.toml, ``[tool.importlinter]``) say which package may import
which: ``lint-imports`` fails on an upward import or a cycle between siblings.  Two more rules
it does not check are checked here: no module imports in a cycle at all (a parent package and
its own module, a lazy import inside a function), and no module imports another module's
``_private`` names.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("site_builder", "infra")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components of two or more
    modules (Tarjan's algorithm, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_in_a_cycle() -> None:
    """In a child process: grimp parses on a thread pool (Rust's rayon) that stays alive, and
    the suite's later forks must come from a process without threads (``core.parallel``)."""
    code = ("import json, sys, grimp; sys.path.insert(0, sys.argv[1]); "
            "from test_architecture import PACKAGES, _cycles; "
            "print(json.dumps(_cycles(grimp.build_graph(*PACKAGES))))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []


def test_import_linter_contracts_are_kept() -> None:
    """The layers, sibling cycles and forbidden imports of pyproject.toml."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the dev extra"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _private_imports(folder: Path, base: Path = ROOT) -> list[str]:
    """``from <our module> import _name`` anywhere under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGES):
                found += [f"{path.relative_to(base)}:{node.lineno}: {node.module}.{a.name}"
                          for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_nothing_imports_another_modules_private_names() -> None:
    for folder in ("site_builder", "infra", "bench"):
        assert _private_imports(ROOT / folder) == []


def test_the_private_name_check_sees_one(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("from site_builder.cli.deploy import _setup, __version__\n"
                                   "from os import _exit\n")
    assert _private_imports(tmp_path, tmp_path) == ["x.py:1: site_builder.cli.deploy._setup"]
