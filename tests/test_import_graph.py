"""The import graph of src/open_r1: acyclic, and dependencies point down the layers of DESIGN.md.

Entry points -> rewards -> configs and utils; code execution, math verification and the synthetic worlds are
leaves. The graph is read from the source with `ast` (every import statement, also the late ones inside functions
and under TYPE_CHECKING), so it needs no dependency installed and sees imports that a run may never reach.
"""

import ast
from pathlib import Path

import pytest


SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "open_r1"
CODE_EXECUTION = "open_r1.utils.code_execution"
ENTRY_POINTS = {"open_r1.sft", "open_r1.grpo", "open_r1.generate", "open_r1.evaluate"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _all_imports(module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom | ast.Import):
            found |= _edges_of(module, node)
    return found


def _edges_of(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        origin = node.module or ""
        if node.level:  # relative: resolved against this module's package
            parts = (module if _is_package(module) else module.rpartition(".")[0]).split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            origin = f"{base}.{origin}" if origin else base
        # Each name is a submodule (`from .utils import data`) or a name defined in `origin`.
        targets = [f"{origin}.{alias.name}" for alias in node.names]
    edges = set()
    for target in targets:
        while target and target not in MODULES:  # the deepest module that exists
            target = target.rpartition(".")[0]
        if target and target != module:
            edges.add(target)
    return edges


GRAPH = {module: _all_imports(module) for module in MODULES}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read_from_the_source():
    # Guards the walker itself: a few edges that must be there (absolute, relative, late and package imports).
    assert "open_r1.rewards" in GRAPH["open_r1.grpo"]
    assert "open_r1.configs" in GRAPH["open_r1.grpo"]
    assert f"{CODE_EXECUTION}.providers" in GRAPH[f"{CODE_EXECUTION}.router"]
    assert f"{CODE_EXECUTION}.sandbox" in GRAPH[f"{CODE_EXECUTION}.providers"]
    assert f"{CODE_EXECUTION}.providers" in GRAPH[f"{CODE_EXECUTION}.competitive_programming"]
    assert "open_r1.utils.math_verification" in GRAPH["open_r1.rewards.math"]
    assert "open_r1.rewards.registry" in GRAPH["open_r1.rewards"]


def test_the_import_graph_has_no_cycle():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(GRAPH[module]):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def _offenders(sources, forbidden) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module in MODULES
        if sources(module)
        for target in GRAPH[module]
        if forbidden(target)
    )


def test_code_execution_is_a_leaf():
    # It returns verdicts and scores; the rewards call it, never the reverse.
    assert not _offenders(
        lambda m: _within(m, CODE_EXECUTION), lambda t: not _within(t, CODE_EXECUTION) and t != PACKAGE
    )


def test_math_verification_and_the_synthetic_worlds_are_leaves():
    for leaf in ("open_r1.utils.math_verification", "open_r1.utils.synthetic"):
        assert not _offenders(lambda m, leaf=leaf: _within(m, leaf), lambda t, leaf=leaf: not _within(t, leaf))


def test_configs_import_neither_rewards_nor_code_execution():
    assert not _offenders(
        lambda m: m == "open_r1.configs",
        lambda t: _within(t, "open_r1.rewards") or _within(t, CODE_EXECUTION),
    )


def test_nothing_imports_an_entry_point():
    assert not _offenders(lambda m: True, lambda t: t in ENTRY_POINTS)
