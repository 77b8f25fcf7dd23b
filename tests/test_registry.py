"""The registry: the bundled one loads; a bad entry fails naming the outlet, the key and the fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.families import registry_warnings
from crawler.registry import REGIONS, RegistryError, load_registry
from crawler.registry_docs import COMMAND, END, START, main, update
from tests.support.cli import cli_env, newswatch

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


BUNDLED = Path(__file__).resolve().parents[1] / "spiders" / "outlets.toml"


def _next_month() -> str:
    now = datetime.now(UTC)
    return f"{now.year + now.month // 12}-{now.month % 12 + 1:02d}"


def test_bundled_registry_covers_every_region() -> None:
    reg = load_registry(BUNDLED)
    assert len(reg.outlet) >= 100
    with_evidence: dict[str, int] = {}
    for o in reg.outlet:
        if o.region and o.evidence:
            with_evidence[o.region] = with_evidence.get(o.region, 0) + 1
        assert o.verified is False  # nothing here has reached the real sites yet
    assert set(with_evidence) == set(REGIONS)
    # every region has at least four outlets whose existence a dated real article URL shows
    assert min(with_evidence.values()) >= 4, with_evidence


def test_bundled_registry_has_evidence_and_trade_press() -> None:
    reg = load_registry(BUNDLED)
    by_id = reg.by_id()
    # 한의신문 (akomnews.com) is the national paper of the Korean-medicine association, not an
    # Incheon outlet: it is registered as trade press without a region
    akom = by_id["akomnews"]
    assert (akom.name, akom.scope, akom.region) == ("한의신문", "trade", "")
    trade = [o for o in reg.outlet if o.scope == "trade"]
    assert len(trade) >= 15 and all(o.evidence for o in trade)
    # every evidence URL fits its outlet's family and site: no such warning in the bundled file
    mismatched = [w for w in registry_warnings(reg) if "does not match family" in w or "not on the outlet's site" in w]
    assert mismatched == []
    assert [o.id for o in reg.outlet if not o.evidence] == [], "an entry without evidence belongs in candidates.toml"


def test_candidates_wait_outside_the_registry_until_their_evidence_is_found() -> None:
    """spiders/candidates.toml keeps real outlets without dated evidence in the registry's own
    schema (ready to move), never loaded with it and never a second entry for a registered site."""
    candidates = load_registry(BUNDLED.with_name("candidates.toml"))
    registered = load_registry(BUNDLED)
    assert candidates.outlet and all(not o.evidence for o in candidates.outlet)
    hosts = {o.home.split("//")[1].removeprefix("www.").rstrip("/") for o in registered.outlet}
    assert not {o.id for o in candidates.outlet} & set(registered.by_id())
    assert not {o.home.split("//")[1].removeprefix("www.").rstrip("/") for o in candidates.outlet} & hosts


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
        (("home = \"https://www.incheonilbo.com/\"\n", ""), r"key 'home'.*missing"),
        (("every = \"30m\"", "scope = \"national\""), r"key 'scope'.*'local', 'regional' or 'trade'"),
    ],
)
def test_bad_entry_names_outlet_key_and_fix(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*change)
    with pytest.raises(RegistryError, match=expected):
        load_registry(_write(tmp_path, text))


@pytest.mark.parametrize("cron", ["61 * * * *", "0 25 * * *", "0 7 32 * *", "0 7 * * funday"])
def test_a_cron_apscheduler_refuses_fails_when_the_registry_loads(tmp_path: Path, cron: str) -> None:
    path = _write(tmp_path, GOOD.replace('every = "30m"', f'cron = "{cron}"'))
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    message = str(info.value)
    assert message.startswith(f"{path}: outlet 'incheonilbo' (entry 1), key 'cron': ")
    assert "\n" not in message and "e.g. '0 7 * * mon-fri'" in message


def test_a_bad_cron_stops_newswatch_crawl_with_one_line(tmp_path: Path) -> None:
    """It used to load, and the second crawl (the first with a last run) died in a traceback."""
    path = _write(tmp_path, GOOD.replace('every = "30m"', 'cron = "61 * * * *"'))
    home = tmp_path / "home"
    done = newswatch("crawl", env=cli_env(home, path), timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{path}: outlet 'incheonilbo'" in done.stderr and "key 'cron'" in done.stderr and "(59)" in done.stderr


def test_duplicate_ids_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="appears twice"):
        load_registry(_write(tmp_path, GOOD + GOOD))
    with pytest.raises(RegistryError, match="not valid TOML.*line"):
        load_registry(_write(tmp_path, GOOD + "\n[[outlet]\n"))


def test_an_edited_registry_is_read_again_and_a_broken_edit_fails_every_time(tmp_path: Path) -> None:
    # the scheduler reloads the file each tick: an edit of the same length must not be missed
    path = _write(tmp_path, GOOD)
    assert load_registry(path).outlet[0].every == timedelta(minutes=30)
    path.write_text(GOOD.replace('every = "30m"', 'every = "15m"'), encoding="utf-8")
    assert load_registry(path).outlet[0].every == timedelta(minutes=15)
    path.write_text(GOOD + GOOD, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RegistryError, match="appears twice"):
            load_registry(path)
    path.write_text(GOOD, encoding="utf-8")
    assert load_registry(path).outlet[0].every == timedelta(minutes=30)


def test_missing_file_says_which_variable(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="NEWSWATCH_OUTLETS_FILE"):
        load_registry(tmp_path / "nope.toml")


EVIDENCE = GOOD.replace(
    'every = "30m"',
    'every = "30m"\nscope = "regional"\n'
    'evidence = [{url = "https://www.incheonilbo.com/news/articleView.html?idxno=1185416", seen = "2023-02"}]',
)


def test_entry_with_evidence_loads_without_warnings(tmp_path: Path) -> None:
    reg = load_registry(_write(tmp_path, EVIDENCE))
    o = reg.outlet[0]
    assert o.scope == "regional" and o.evidence[0].seen == "2023-02"
    assert registry_warnings(reg) == []


def test_evidence_url_of_another_family_warns_naming_both(tmp_path: Path) -> None:
    text = EVIDENCE.replace(
        "news/articleView.html?idxno=1185416", "bbs/board.php?bo_table=news&wr_id=77"
    )
    warnings = registry_warnings(load_registry(_write(tmp_path, text)))
    assert len(warnings) == 1
    assert "bo_table=news&wr_id=77" in warnings[0] and "gnuboard" in warnings[0]
    assert "family 'ndsoft'" in warnings[0] and "incheonilbo" in warnings[0]


def test_evidence_on_another_site_warns(tmp_path: Path) -> None:
    text = EVIDENCE.replace("https://www.incheonilbo.com/news/", "https://www.kihoilbo.co.kr/news/")
    (warning,) = registry_warnings(load_registry(_write(tmp_path, text)))
    assert "kihoilbo.co.kr" in warning and "incheonilbo.com" in warning


def test_evidence_seen_in_the_future_fails(tmp_path: Path) -> None:
    text = EVIDENCE.replace('seen = "2023-02"', f'seen = "{_next_month()}"')
    with pytest.raises(RegistryError, match=r"outlet 'incheonilbo'.*evidence.*seen.*in the future"):
        load_registry(_write(tmp_path, text))
    with pytest.raises(RegistryError, match=r"evidence.*seen.*'YYYY-MM'"):
        load_registry(_write(tmp_path, EVIDENCE.replace('seen = "2023-02"', 'seen = "2023-2-1"')))


def test_trade_paper_with_a_region_fails(tmp_path: Path) -> None:
    text = EVIDENCE.replace('scope = "regional"', 'scope = "trade"')
    with pytest.raises(RegistryError, match=r"outlet 'incheonilbo'.*trade paper is national.*region = \"\""):
        load_registry(_write(tmp_path, text))
    national = text.replace('region = "인천"', 'region = ""')
    assert registry_warnings(load_registry(_write(tmp_path, national))) == []


def test_two_entries_for_one_site_fail_naming_both(tmp_path: Path) -> None:
    twin = GOOD.replace('id = "incheonilbo"', 'id = "incheonilbo-m"').replace(
        "https://www.incheonilbo.com/", "http://m.incheonilbo.com/"
    )
    with pytest.raises(RegistryError, match=r"'incheonilbo' and 'incheonilbo-m' are one site \(incheonilbo.com\)"):
        load_registry(_write(tmp_path, GOOD + twin))


def test_sections_of_one_host_are_separate_outlets(tmp_path: Path) -> None:
    # a national agency's regional desks share a host; each desk is its own outlet
    desks = "".join(
        f'\n[[outlet]]\nid = "news1-{r}"\nname = "뉴스1 {r}"\nregion = "{k}"\nscope = "regional"\n'
        f'home = "https://www.news1.kr/local/{r}/"\n'
        for r, k in (("jeju", "제주"), ("busan", "부산"))
    )
    assert len(load_registry(_write(tmp_path, desks)).outlet) == 2
    whole = '\n[[outlet]]\nid = "news1"\nname = "뉴스1"\nregion = "서울"\nhome = "https://www.news1.kr/"\n'
    with pytest.raises(RegistryError, match="one site"):
        load_registry(_write(tmp_path, desks + whole))


def test_unknown_fields_are_left_empty_and_warned(tmp_path: Path) -> None:
    text = '[[outlet]]\nid = "nameless"\nscope = "local"\nhome = "https://nameless.example/"\n'
    warnings = registry_warnings(load_registry(_write(tmp_path, text)))
    joined = "\n".join(warnings)
    for missing in ("no name", "no region", "without district", "no evidence"):
        assert missing in joined
    assert all(w.startswith("outlet 'nameless': ") for w in warnings)


def test_bundled_evidence_is_never_a_held_out_page() -> None:
    # the pages kept aside to judge the project must not leak into its registry
    from tests.support.env import SHARED, need_shared

    tool = need_shared(SHARED / "tools" / "heldout.py")
    import importlib.util

    spec = importlib.util.spec_from_file_location("heldout", tool)
    assert spec is not None and spec.loader is not None
    heldout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(heldout)
    listed = set(Path(heldout.LIST).read_text(encoding="utf-8").split())
    urls = [e.url for o in load_registry(BUNDLED).outlet for e in o.evidence]
    assert urls and not [u for u in urls if heldout.digest(u) in listed]


def test_outlets_table_prints_what_entries_leave_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from crawler.cli import cmd_outlets

    text = GOOD + '\n[[outlet]]\nid = "nameless"\nscope = "regional"\nregion = "부산"\nhome = "https://nameless.example/"\n'
    monkeypatch.setenv("NEWSWATCH_OUTLETS_FILE", str(_write(tmp_path, text)))
    assert cmd_outlets(argparse.Namespace(action=None, target=None, more=[], write=False)) == 0
    err = capsys.readouterr().err
    assert "outlet 'nameless': no name" in err and "outlet 'nameless': no evidence" in err
    assert "outlet 'incheonilbo': no evidence" in err


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_outlet_table_matches_the_bundled_registry() -> None:
    # the README's counts by region and scope are what a reader trusts without loading the file
    reg = load_registry(BUNDLED)
    text = README.read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and (cells[0] in REGIONS or cells[0].startswith("—") or cells[0] == "all"):
            table[cells[0].split(" ")[0]] = [int(c) for c in cells[1:]]
    expected: dict[str, list[int]] = {}
    for o in reg.outlet:
        row = expected.setdefault(o.region or "—", [0, 0, 0, 0, 0])
        row[("regional", "local", "trade").index(o.scope)] += 1
        row[3 if o.evidence else 4] += 1
    expected["all"] = [sum(r[i] for r in expected.values()) for i in range(5)]
    assert table == {k: v for k, v in expected.items()}, f"README outlet table is stale: run `{COMMAND}`"
    with_evidence = expected["all"][3]
    assert f"**The bundled registry**: {len(reg.outlet)} outlets, {with_evidence} with evidence" in text
    assert with_evidence >= 300
    # the README names every entry that still lacks evidence, and only those
    missing = [o.id for o in reg.outlet if not o.evidence]
    listed = re.search(r"dated article URL: ((?:`[^`]+` ?)+)\.", text)
    if missing:
        assert listed is not None and re.findall(r"`([^`]+)`", listed.group(1)) == missing
    else:
        assert listed is None and "Every entry has evidence." in text


def test_readme_outlet_section_is_what_the_generator_writes() -> None:
    # prose around the table may change by hand; the marked section only through the generator
    text = README.read_text(encoding="utf-8")
    assert update(text, load_registry(BUNDLED)) == text, f"README outlet table is stale: run `{COMMAND}`"


TWO = GOOD + """
[[outlet]]
id = "akomnews"
name = "한의신문"
scope = "trade"
home = "https://www.akomnews.com/"
family = "generic"
every = "30m"
evidence = [{url = "https://www.akomnews.com/bbs/board.php?bo_table=news&wr_id=1", seen = "2024-01"}]
"""


def test_generator_rewrites_only_the_marked_section_and_check_reports_staleness(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outlets = _write(tmp_path, TWO)
    readme = tmp_path / "README.md"
    readme.write_text(f"# intro\n\n{START}\nold table\n{END}\n\nafter\n", encoding="utf-8")
    args = ["--readme", str(readme), "--outlets", str(outlets)]
    assert main([*args, "--check"]) == 1
    assert COMMAND in capsys.readouterr().err
    assert "old table" in readme.read_text(encoding="utf-8")  # --check never writes
    assert main(args) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# intro\n\n") and text.endswith(f"{END}\n\nafter\n")
    assert "**The bundled registry**: 2 outlets, 1 with evidence, 1 of them national trade papers" in text
    assert "| 인천 | 0 | 1 | 0 | 0 | 1 |" in text and "| — (trade, or region not established) | 0 | 0 | 1 | 1 | 0 |" in text
    assert "| **all** | **0** | **1** | **1** | **1** | **1** |" in text
    assert "need a dated article URL: `incheonilbo`." in text
    assert "Fewest outlets with evidence in one region: 0 (서울, 부산," in text
    assert main([*args, "--check"]) == 0


def test_generator_refuses_a_readme_without_markers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no table here\n", encoding="utf-8")
    assert main(["--readme", str(readme), "--outlets", str(_write(tmp_path, GOOD))]) == 2
    assert "markers" in capsys.readouterr().err
    assert readme.read_text(encoding="utf-8") == "no table here\n"
