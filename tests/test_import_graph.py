"""The import graph of src/open_r1: acyclic, and dependencies point down the layers of DESIGN.md.

Entry points -> rewards -> configs and utils; code execution, math verification and the synthetic worlds are
leaves. The graph is read from the source with `ast` (every import statement, also the late ones inside functions
and under TYPE_CHECKING), so it needs no dependency installed and sees imports that a run may never reach.
"""

import ast
from pathlib import Path


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


def _imports_of(module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom | ast.Import):
            found |= _edges_of(module, node)
    return found


GRAPH = {module: _imports_of(module) for module in MODULES}


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


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of `graph` as a path that returns to its start, or None (depth-first search)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        for target in sorted(graph.get(module, ())):
            cycle = visit(target, path + [module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_has_no_cycle():
    cycle = _find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


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


def _reachable(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for target in GRAPH[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_configs_import_neither_rewards_nor_code_execution():
    # Also not through a utils module: configs load before any reward or sandbox is needed.
    reached = _reachable("open_r1.configs")
    assert not {m for m in reached if _within(m, "open_r1.rewards") or _within(m, CODE_EXECUTION)}, sorted(reached)


def _layer(module: str) -> int:
    """0: configs, utils, shipped data; 1: rewards; 2: entry points and the tools beside them."""
    if module in (PACKAGE, "open_r1.configs") or _within(module, "open_r1.utils"):
        return 0
    if _within(module, "open_r1.benchmark_data"):  # package data and its reader
        return 0
    if _within(module, "open_r1.rewards"):
        return 1
    return 2


def test_imports_point_down_the_layers():
    upward = sorted(f"{m} imports {t}" for m in MODULES for t in GRAPH[m] if _layer(t) > _layer(m))
    assert not upward
    assert not _offenders(lambda m: True, lambda t: t in ENTRY_POINTS)
