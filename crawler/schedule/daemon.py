"""`newswatch schedule`: one BlockingScheduler (Asia/Seoul) with a persistent job store on the store's database.

Exit codes: 0 stopped by SIGTERM/SIGINT, 2 configuration or database problem at start-up,
3 another scheduler holds the lock (or took it over after a lost connection).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import datetime
from types import FrameType
from typing import TextIO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from crawler.errors import EXIT_CONFIG, EXIT_LOCKED, USER_ERRORS
from crawler.schedule import jobs
from crawler.schedule.cadence import CadenceConfig
from crawler.schedule.config import ScheduleConfig
from crawler.schedule.lock import AlreadyRunning, SchedulerLock
from crawler.schedule.runtime import Runtime
from crawler.store import Database

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"


def build_scheduler(rt: Runtime) -> BlockingScheduler:
    """The scheduler: persistent store on the same database, coalesced misfires, one instance per job."""
    return BlockingScheduler(
        timezone=jobs.SEOUL,
        jobstores={
            jobs.PERSISTENT: SQLAlchemyJobStore(engine=rt.db.engine, tablename=JOBS_TABLE),
            jobs.VOLATILE: MemoryJobStore(),
        },
        # crawl ticks wait on a subprocess for up to the crawl timeout: their own pool keeps the
        # sender, heartbeat and health check from ever queueing behind them
        executors={"default": ThreadPoolExecutor(max_workers=4),
                   jobs.CRAWL_EXECUTOR: ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(rt.config.misfire_grace.total_seconds()),
        },
    )


def install_signals(rt: Runtime) -> None:
    """SIGTERM/SIGINT stop, SIGHUP reloads; the work runs in a thread, never inside the handler."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received", signal.Signals(signum).name)
        threading.Thread(target=rt.stop, name="stop", daemon=True).start()

    def hup(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=rt.reload, args=("SIGHUP",), name="reload", daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)


def _startup(rt: Runtime) -> None:
    """The first job: create or keep the persistent jobs (the store is open only once started)."""
    rt.sync()
    for job in rt.scheduler.get_jobs() if rt.scheduler else []:
        log.info("job %-28s next %s", job.id, job.next_run_time)


def run_scheduler(config: ScheduleConfig | None = None, err: TextIO = sys.stderr) -> int:
    """Run until SIGTERM/SIGINT; return the exit code."""
    try:
        config = config or ScheduleConfig.from_env()
        cadence = CadenceConfig.from_env()
        db = Database.open()
    except USER_ERRORS as exc:
        print(f"newswatch schedule: {exc}", file=err)
        return EXIT_CONFIG
    lock = SchedulerLock(db.engine)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"newswatch schedule: {exc}", file=err)
        db.close()
        return EXIT_LOCKED
    rt = Runtime(config, db, lock, cadence)
    try:
        rt.load()
    except USER_ERRORS as exc:
        print(f"newswatch schedule: {exc}", file=err)
        lock.release()
        db.close()
        return EXIT_CONFIG
    try:
        return _serve(rt)
    finally:
        jobs.install(None)
        lock.release()
        db.close()


def _serve(rt: Runtime) -> int:
    rt.scheduler = scheduler = build_scheduler(rt)
    jobs.install(rt)
    install_signals(rt)
    rt.write_heartbeat(state="starting")
    scheduler.add_job(_startup, args=(rt,), id="startup", jobstore=jobs.VOLATILE,
                      next_run_time=datetime.now(jobs.SEOUL))
    log.info("scheduler started (pid lock: %s); SIGHUP reloads the registry and recipients", rt.lock.describe())
    scheduler.start()  # blocks until rt.stop() shuts it down
    try:
        rt.write_heartbeat(state="stopped", stopped_at=datetime.now(jobs.SEOUL).isoformat())
    except Exception as exc:  # the database may be the reason we stop
        log.warning("could not write the final heartbeat: %s", exc)
    log.info("scheduler stopped")
    return rt.exit_code
