"""The package passes ruff, mypy and import-linter as pyproject.toml configures them, and its import graph has no
cycle, type-only imports included.

The tools run from the environment these tests run in, on the checkout; a failure shows the tool's own output.
"""

import subprocess
import sys
from pathlib import Path

import grimp

from support.paths import ROOT

TOOLS = Path(sys.executable).parent
PACKAGE_FILES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "omeconsole").rglob("*.py"))


def run(tool: str, *args: str) -> str:
    result = subprocess.run([str(TOOLS / tool), *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{tool} {' '.join(args)} failed:\n{output}"
    return output


def test_ruff_passes_on_every_file_of_the_package():
    assert sorted(run("ruff", "check", "--show-files").split()) == [str(ROOT / name) for name in PACKAGE_FILES]
    run("ruff", "check", "--no-cache")


def test_mypy_passes_on_every_file_of_the_package():
    """Cold (as in CI, from a clean checkout) about 12 s, most of it reading Textual, aiohttp and asyncssh;
    with the cache mypy keeps in the checkout (.mypy_cache), a rerun takes half a second."""
    output = run("mypy")
    assert f"no issues found in {len(PACKAGE_FILES)} source files" in output


def test_the_import_contracts_are_kept():
    assert "0 broken" in run("lint-imports", "--no-cache")


def module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest cycle through each import that is part of one, each set of modules once."""
    cycles: dict[frozenset[str], list[str]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.setdefault(frozenset(back), [importer, *back])
    return list(cycles.values())


def test_the_package_has_no_import_cycle():
    graph = grimp.build_graph("omeconsole", include_external_packages=False, cache_dir=None)
    assert graph.modules == {module_name(name) for name in PACKAGE_FILES}
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_is_found_and_shown():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
