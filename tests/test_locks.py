"""The two lock files: a runtime set for hosts and images, test tools on top of it."""

from __future__ import annotations

import re
import tomllib

from tests.support.env import ROOT


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            package, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", package).lower()] = version.strip()
    return pins


def _requirement(spec: str) -> tuple[str, str]:
    package, version = spec.split("==")
    return re.sub(r"[-_.]+", "-", package.split("[")[0]).lower(), version


def test_runtime_lock_pins_every_dependency_and_no_test_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    for spec in project["dependencies"]:
        package, version = _requirement(spec)
        assert runtime.get(package) == version, f"{spec} is not pinned alike in requirements.lock"
    for spec in project["optional-dependencies"]["test"]:
        package, version = _requirement(spec)
        assert package not in runtime, f"{package} is a test tool; it belongs in requirements-test.lock"
        assert test.get(package) == version, f"{spec} is not pinned alike in requirements-test.lock"
    assert not set(runtime) & set(test), "a package is pinned in both lock files"
    assert "-r requirements.lock" in (ROOT / "requirements-test.lock").read_text().splitlines()


def test_the_image_installs_the_runtime_lock_only() -> None:
    text = (ROOT / "deploy" / "Containerfile").read_text()
    assert "-r requirements.lock" in text
    assert "requirements-test.lock" not in text
