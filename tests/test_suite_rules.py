"""The suite's own rules: a missing need skips only outside CI, nothing skips any other way, and
every test checks something."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import env

TESTS = Path(__file__).resolve().parent
SKIPS = {"skip", "skipif", "importorskip"}
CHECKS = {"raises", "warns", "fail", "deprecated_call"}


def _sources() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.parts and "data" not in p.parts)


def _calls(node: ast.AST) -> list[str]:
    names = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call | ast.Attribute):
            f = n.func if isinstance(n, ast.Call) else n
            if isinstance(f, ast.Attribute):
                names.append(f.attr)
            elif isinstance(f, ast.Name):
                names.append(f.id)
    return names


def test_a_missing_need_skips_outside_ci_and_fails_under_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="the thing is absent: fetch it"):
        env.require(False, "the thing is absent", "fetch it")
    monkeypatch.setattr(env, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="the thing is absent: fetch it .*CI=true"):
        env.require(False, "the thing is absent", "fetch it")
    env.require(True, "never said", "never done")


def _skips(tree: ast.AST) -> list[str]:
    """`pytest.skip(...)`, `pytest.importorskip(...)`, `pytest.mark.skip` and `pytest.mark.skipif`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SKIPS:
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "pytest":
                found.append(f"pytest.{node.func.attr}")
        if isinstance(node, ast.Attribute) and node.attr in SKIPS and isinstance(node.value, ast.Attribute):
            if node.value.attr == "mark" and isinstance(node.value.value, ast.Name) and node.value.value.id == "pytest":
                found.append(f"pytest.mark.{node.attr}")
    return found


def test_nothing_skips_except_through_require() -> None:
    offenders = [f"{path.relative_to(TESTS)}: {skip}" for path in _sources() if path != Path(env.__file__)
                 for skip in _skips(ast.parse(path.read_text(encoding="utf-8")))]
    assert offenders == [], "use tests.support.env.require (or a need_* helper) instead"


def test_every_test_checks_something() -> None:
    """An assert, pytest.raises/warns/fail, or a helper of the same module that does one."""
    silent = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]

        def checks(fn: ast.AST, helpers: set[str]) -> bool:
            return any(isinstance(n, ast.Assert) for n in ast.walk(fn)) or any(
                c in CHECKS or c.startswith(("assert", "check")) or c in helpers for c in _calls(fn))

        helpers = {f.name for f in functions if not f.name.startswith("test_") and checks(f, set())}
        silent += [f"{path.relative_to(TESTS)}:{f.lineno} {f.name}" for f in functions
                   if f.name.startswith("test_") and not checks(f, helpers)]
    assert silent == []
