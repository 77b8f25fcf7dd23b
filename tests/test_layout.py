"""The README's Layout section is the map of the tree: every package and module of crawler/ has
its line there, in the order of the layering contract that `make lint` enforces."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout\n", 1)[1]
    return section.split("```", 2)[1]


def _names() -> list[str]:
    names = []
    for path in sorted((ROOT / "crawler").iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            names.append(f"{path.name}/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            names.append(path.name)
    return names


def test_every_package_and_module_of_crawler_has_its_line() -> None:
    layout = _layout()
    missing = [n for n in _names() if not re.search(rf"(^|\s){re.escape(n)}(\s|$)", layout, re.M)]
    assert not missing, f"README Layout lacks a line for: {', '.join(missing)}"


def test_the_layout_lists_the_layers_in_the_contract_order() -> None:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = contract["contracts"][0]["layers"]
    layout = _layout()
    positions = []
    for layer in layers:
        first = re.split(r"\s*[|:]\s*", layer)[0].strip("()")
        name = first.split(".")[-1] if first.startswith("crawler.") else first
        shown = f"{name}.py" if (ROOT / "crawler" / f"{name}.py").exists() else f"{name}/"
        match = re.search(rf"(^|\s){re.escape(shown)}(\s|$)", layout, re.M)
        assert match, f"layer {layer!r} ({shown}) is not in the README Layout"
        positions.append((match.start(), layer))
    assert positions == sorted(positions), "README Layout lists the layers out of the contract's order"


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle between modules (imports for type checking aside): the layers hold inside
    each package too, so any module can be imported first."""
    graph = grimp.build_graph("crawler", "spiders", "pipelines", "settings", cache_dir=None,
                              exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"
