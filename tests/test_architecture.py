"""The import graph runs one way (docs/architecture.md): read from the code with ``ast``, not from a list we keep.

Every ``import`` counts, including the ones inside functions: a cycle kept alive by a late import is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Layer of each part of the product, bottom (0) to top. A module may import its own part and lower layers only.
LAYERS: dict[str, int] = {
    "policy": 0,
    "provisioning": 1,
    "accounts": 1,
    "index": 2,
    "ingestion": 3,
    "qa": 3,
    "push_rules": 3,
    "policykb": 4,  # settings and assembly
    "webui": 5,
    "policykb.cli": 6,
}
MAX_MODULE_LINES = 600


def _part_of(module: str) -> str | None:
    """The layered part a dotted module name belongs to (the longest matching prefix), or None for outside code."""
    best = None
    for part in LAYERS:
        if (module == part or module.startswith(part + ".")) and (best is None or len(part) > len(best)):
            best = part
    return best


def _source_modules() -> Iterator[tuple[str, Path]]:
    for top in {part.split(".")[0] for part in LAYERS}:
        for path in sorted((REPO / top).rglob("*.py")):
            relative = path.relative_to(REPO).with_suffix("")
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            yield ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from package import module` imports the module too.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = dict(_source_modules())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in _imports(name, path):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def test_no_import_runs_from_a_lower_layer_to_a_higher_one_or_sideways() -> None:
    wrong = []
    for module, targets in _graph().items():
        part = _part_of(module)
        assert part is not None
        for target in targets:
            target_part = _part_of(target)
            if target_part is None or target_part == part:
                continue
            if LAYERS[target_part] >= LAYERS[part]:
                wrong.append(f"{module} (layer {LAYERS[part]}) imports {target} (layer {LAYERS[target_part]})")
    assert not wrong, "\n".join(sorted(wrong))


def test_modules_import_each_other_without_cycles() -> None:
    graph = _graph()
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    # A package's __init__ that re-exports its modules is not a cycle with them.
    cycles = [c for c in cycles if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert not cycles, "\n".join(" ↔ ".join(c) for c in cycles)


def test_no_module_is_over_the_size_limit() -> None:
    too_long = []
    for module, path in _source_modules():
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{module}: {lines} lines")
    assert not too_long, "\n".join(too_long)
