"""The database going away mid-crawl (issue 16, item 4), on a real PostgreSQL.

Stopping the shared PostgreSQL is not an option on a machine other test runs use, so the crawl
talks to it through a TCP proxy on 127.0.0.1 (bench.faults.CutProxy) that the test cuts: every
open connection is reset and new ones are refused for a few seconds, which is what a client sees
of a stopped or restarting server. The seeded random point is printed.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.faults import (
    CutProxy,
    Sites,
    cli_env,
    crawl_args,
    interrupted_crawl,
    newswatch,
    query,
    tally,
)

pytestmark = pytest.mark.postgres


def _through_a_proxy(pg_server: str) -> tuple[int, CutProxy, str]:
    """An emptied test database, the fault seed, and a proxy in front of PostgreSQL with its URL."""
    from tests.support.db import reset_pg

    reset_pg(pg_server)
    seed = int(os.environ.get("NEWSWATCH_FAULT_SEED", "") or random.randrange(1, 10**6))
    url = make_url(pg_server)
    proxy = CutProxy(url.port or 5432)
    return seed, proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def test_database_cut_mid_crawl_loses_nothing(pg_server: str, tmp_path: Path) -> None:
    seed, proxy, via_proxy = _through_a_proxy(pg_server)
    try:
        with Sites(3, 25, tmp_path) as sites:
            at = int(sites.served * random.Random(seed).uniform(0.2, 0.7))
            print(f"NEWSWATCH_FAULT_SEED={seed}: database cut for 4 s at {at} of {sites.served} stored")
            env = cli_env(tmp_path / "home", sites.registry, NEWSWATCH_DB_URL=via_proxy, NEWSWATCH_DB_TIMEOUT_S="3")

            def cut() -> None:
                proxy.cut()
                time.sleep(4)
                proxy.restore()

            started = time.monotonic()
            code = interrupted_crawl(env, pg_server, at, cut, "--all", timeout=120)
            assert time.monotonic() - started < 110, "the crawl must not wait for ever on the database"
            assert code != 0, "store errors make the exit status non-zero"
            assert tally(pg_server).articles < sites.served
            incomplete = query(pg_server, "SELECT outlet_id FROM incomplete_outlets")
            assert incomplete, "outlets whose articles were not stored stay incomplete"
            left = query(pg_server, "SELECT status FROM runs WHERE kind = 'crawl'")

            result = newswatch(env, *crawl_args("--all"))  # the operator runs it again
            assert result.returncode == 0, result.stderr[-2000:]
            t = tally(pg_server)
            assert t.articles == sites.served, f"{sites.served - t.articles} articles lost"
            assert query(pg_server, "SELECT count(DISTINCT url) FROM articles") == [(sites.served,)]
            assert t.alerted_stories == t.matched_stories > 0 and t.duplicate_alerts == 0
            assert query(pg_server, "SELECT outlet_id FROM incomplete_outlets") == []
            # the run record is closed: by its own process, or (when the database was still away
            # as that process ended) as aborted by the next one
            runs = query(pg_server, "SELECT status, finish_reason FROM runs WHERE kind = 'crawl' ORDER BY id")
            assert all(status != "running" for status, _ in runs)
            if left == [("running",)]:
                assert runs[0] == ("aborted", "process ended without closing the run")
    finally:
        proxy.close()

