"""The registry: the bundled one loads; a bad entry fails naming the outlet, the key and the fix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crawler.registry import REGIONS, RegistryError, load_registry

GOOD = """
[[outlet]]
id = "incheonilbo"
name = "인천일보"
region = "인천"
home = "https://www.incheonilbo.com/"
family = "ndsoft"
feeds = ["https://www.incheonilbo.com/rss/allArticle.xml"]
every = "30m"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "outlets.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_bundled_registry_covers_every_region() -> None:
    reg = load_registry(Path(__file__).resolve().parents[1] / "spiders" / "outlets.toml")
    assert len(reg.outlet) >= 100
    by_region: dict[str, int] = {}
    for o in reg.outlet:
        by_region[o.region] = by_region.get(o.region, 0) + 1
        assert o.verified is False  # nothing here has reached the real sites yet
    assert set(by_region) == set(REGIONS)
    assert min(by_region.values()) >= 3
    ids = {o.id for o in reg.outlet}
    assert {"akomnews", "seonamtoday"} <= ids


def test_good_entry_loads_with_defaults(tmp_path: Path) -> None:
    o = load_registry(_write(tmp_path, GOOD)).outlet[0]
    assert o.interval == timedelta(minutes=30)
    assert o.render == "http" and o.district == "" and not o.verified


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("every = \"30m\"", "every = \"30m\"\nfrequency = 3"), r"outlet 'incheonilbo'.*key 'frequency'.*unknown key"),
        (("region = \"인천\"", "region = \"인천시\""), r"key 'region'.*one of the 17"),
        (("family = \"ndsoft\"", "family = \"wordpress\""), r"key 'family'.*unknown family.*generic"),
        (("every = \"30m\"", "every = \"half an hour\""), r"key 'every'.*'30m'"),
        (("every = \"30m\"", "cron = \"*/30 6-23 * * 1-5\""), r"key 'cron'.*name weekdays"),
        (("every = \"30m\"", "cron = \"*/30 6-23 * *\""), r"key 'cron'.*5 fields"),
        (("id = \"incheonilbo\"", "id = \"Incheon Ilbo\""), r"key 'id'.*lowercase ASCII slug"),
        (("home = \"https://www.incheonilbo.com/\"", "home = \"www.incheonilbo.com\""), r"key 'home'.*absolute"),
        (("name = \"인천일보\"\n", ""), r"key 'name'.*missing"),
    ],
)
def test_bad_entry_names_outlet_key_and_fix(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*change)
    with pytest.raises(RegistryError, match=expected):
        load_registry(_write(tmp_path, text))


def test_duplicate_ids_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="appears twice"):
        load_registry(_write(tmp_path, GOOD + GOOD))
    with pytest.raises(RegistryError, match="not valid TOML.*line"):
        load_registry(_write(tmp_path, GOOD + "\n[[outlet]\n"))


def test_missing_file_says_which_variable(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="NEWSWATCH_OUTLETS_FILE"):
        load_registry(tmp_path / "nope.toml")
