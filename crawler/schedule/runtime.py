"""The running daemon's state: last good registry and recipients, the lock, the tick runner."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler import paths
from crawler.alert.compose import Envelope, maintainer_message
from crawler.alert.recipients import RecipientsError, load_recipients
from crawler.alert.sender import drain
from crawler.alert.transport import DeliveryError, transport_from_env
from crawler.config import settings
from crawler.registry import RegistryError, load_registry
from crawler.schedule.cadence import CadenceConfig, PlanCache, due_now
from crawler.schedule.config import ScheduleConfig
from crawler.schedule.jobs import fixed_jobs, registry_jobs, sync_jobs
from crawler.schedule.lock import AlreadyRunning, SchedulerLock
from crawler.schedule.tick import TickRunner
from crawler.store import Database
from crawler.store.models import Heartbeat, utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

HEARTBEAT_NAME = "scheduler"


@dataclass(frozen=True)
class Loaded:
    """A file as last read successfully, with the mtime it had."""

    path: Path
    mtime: float
    value: Any


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


class Runtime:
    """What the job functions act on; built by the daemon, one per process."""

    def __init__(self, config: ScheduleConfig, db: Database, lock: SchedulerLock,
                 cadence: CadenceConfig | None = None) -> None:
        self.config = config
        self.cadence = cadence or CadenceConfig.from_env()
        self.db = db
        self.lock = lock
        self.ticks = TickRunner(config.crawl_timeout, config.stop_grace, config.crawl_args, keep=config.keep_crawler)
        self.scheduler: BaseScheduler | None = None
        self.registry: Loaded | None = None
        self.recipients: Loaded | None = None
        self.errors: dict[str, str] = {}  # file -> the error it currently has (notified once)
        self.started_at = utcnow()
        self.exit_code = 0
        self._reload = threading.Lock()
        self._beat_lock = threading.Lock()
        self._final_beat = False
        self.plans = PlanCache()  # the adaptive plan, kept between ticks

    # --- ticks ------------------------------------------------------------------------------

    def due_ids(self) -> list[str] | None:
        """The outlets of the last good registry that a tick crawls now (cadence.due_now), or None
        to let the crawl process decide: in Redis mode (what the workers were given lives in
        Redis, read by the enqueuing crawl) or when the store cannot be read here (the crawl then
        fails with the reason and the tick reports it)."""
        if settings().redis_url or self.registry is None:
            return None
        try:
            return [o.id for o in due_now(self.db, self.registry.value.outlet, config=self.cadence, plans=self.plans)]
        except Exception as exc:  # noqa: BLE001 - the crawl process meets the same fault and reports it
            log.warning("could not decide the due outlets here (%s: %s); the crawl decides", type(exc).__name__, exc)
            return None

    # --- files ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the registry and recipients or raise (at start-up there is no last good copy)."""
        path = paths.outlets_file()
        registry = load_registry(path)
        registry_jobs(registry, self.config, str(path), self.cadence)  # a cron that never fires fails here too
        self.registry = Loaded(path, _mtime(path), registry)
        rpath = paths.recipients_file()
        self.recipients = Loaded(rpath, _mtime(rpath), load_recipients(rpath))

    def reload_if_changed(self) -> None:
        """Re-read a file whose mtime changed since it was last read (checked every minute)."""
        if any(item is not None and _mtime(item.path) != item.mtime for item in (self.registry, self.recipients)):
            self.reload("file changed")

    def reload(self, why: str = "SIGHUP") -> bool:
        """Re-read both files; a broken one keeps its last good copy, logs and tells the maintainers."""
        with self._reload:
            ok = self._reload_registry(why) & self._reload_recipients(why)
            self.sync()
            return ok

    def _reload_registry(self, why: str) -> bool:
        path = paths.outlets_file()
        mtime = _mtime(path)
        try:
            registry = load_registry(path)
            registry_jobs(registry, self.config, str(path), self.cadence)
        except RegistryError as exc:
            self._broken(path, str(exc), mtime)
            return False
        self.registry = Loaded(path, mtime, registry)
        self.errors.pop(str(path), None)
        log.info("registry reloaded (%s): %s, %d outlets", why, path, len(registry.outlet))
        return True

    def _reload_recipients(self, why: str) -> bool:
        path = paths.recipients_file()
        mtime = _mtime(path)
        try:
            recipients = load_recipients(path)
        except RecipientsError as exc:
            self._broken(path, str(exc), mtime)
            return False
        self.recipients = Loaded(path, mtime, recipients)
        self.errors.pop(str(path), None)
        log.info("recipients reloaded (%s): %s, %d recipients", why, path, len(recipients.recipient))
        return True

    def _broken(self, path: Path, error: str, mtime: float) -> None:
        """Keep the last good copy (remember the new mtime so the broken file is not re-read each minute)."""
        log.error("%s is broken; keeping the last good version until it is fixed:\n%s", path, error)
        for name in ("registry", "recipients"):
            item: Loaded | None = getattr(self, name)
            if item is not None and item.path == path:
                setattr(self, name, Loaded(item.path, mtime, item.value))
        if self.errors.get(str(path)) != error:
            self.errors[str(path)] = error
            self.notify_maintainers(f"[newswatch] {path.name} is broken; the scheduler keeps the last good version",
                                    f"The scheduler on {socket.gethostname()} could not use {path}:\n\n{error}\n\n"
                                    "It keeps working with the last good version. Fix the file; it is re-read "
                                    "within a minute (or send SIGHUP).\n")

    def notify_maintainers(self, subject: str, text: str) -> None:
        """A plain notice to the [[maintainer]] addresses (never the office); failures are only logged."""
        maintainers = self.recipients.value.maintainers if self.recipients else []
        if not maintainers:
            log.error("no [[maintainer]] listed to tell: %s", subject)
            return
        transport = transport_from_env()
        envelope = Envelope(from_address=transport.from_address, reply_to=transport.reply_to,
                            message_id=make_msgid(domain="newswatch"))
        msg = maintainer_message(maintainers, subject, text, now=datetime.now(UTC), envelope=envelope)
        try:
            transport.send(msg, [m.address for m in maintainers])
        except DeliveryError as exc:
            log.error("the maintainers' notice was not sent: %s", exc.message)

    # --- jobs ---------------------------------------------------------------------------------

    def sync(self) -> list[str]:
        """Bring the scheduler's jobs in line with the last good registry and the settings."""
        if self.scheduler is None or self.registry is None:
            return []
        specs = registry_jobs(self.registry.value, self.config, str(self.registry.path), self.cadence)
        specs += fixed_jobs(self.config, health=True)
        changed = sync_jobs(self.scheduler, specs)
        if changed:
            log.info("jobs updated: %s", ", ".join(changed))
        return changed

    def send(self) -> None:
        """Drain the outbox in this process with the last good recipients."""
        if self.recipients is None:
            return
        report = drain(self.db, recipients=self.recipients.value)
        if report.mails_sent or report.deferred or report.failed:
            log.info("%s", report.render())

    def wake_sender(self) -> None:
        """Run the outbox sender now (after a crawl tick): a new alert goes out when the crawl that
        found it ends, not up to NEWSWATCH_SCHEDULE_SEND_EVERY later. Its interval stays as it was."""
        # start-up time: apscheduler is loaded only when this runs
        from apscheduler.jobstores.base import JobLookupError

        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return
        try:
            scheduler.modify_job("send-outbox", next_run_time=datetime.now(UTC))
        except JobLookupError:
            log.debug("no send-outbox job to wake")

    def beat(self) -> None:
        """Check the lock and write the heartbeat row."""
        try:
            self.lock.ensure()
        except AlreadyRunning as exc:
            log.error("lost the scheduler lock to another instance; stopping: %s", exc)
            self.exit_code = 3
            threading.Thread(target=self.stop, name="stop", daemon=True).start()
            return
        self.write_heartbeat()

    def write_heartbeat(self, **extra: Any) -> None:
        """Write the heartbeat row; once the final ("stopped") one is written, later beats are dropped
        (a heartbeat job still running during shutdown must not overwrite it)."""
        with self._beat_lock:
            if self._final_beat:
                return
            self._final_beat = extra.get("state") == "stopped"
            self._write_heartbeat(**extra)

    def _write_heartbeat(self, **extra: Any) -> None:
        info: dict[str, Any] = {
            "started_at": self.started_at.isoformat(),
            "registry": str(self.registry.path) if self.registry else None,
            "outlets": len(self.registry.value.outlet) if self.registry else 0,
            "broken_files": sorted(self.errors),
            "last_tick": self.ticks.last.as_dict() if self.ticks.last else None,
            "lock": self.lock.describe(),
            **extra,
        }
        with self.db.session() as s:
            s.merge(Heartbeat(name=HEARTBEAT_NAME, beat_at=utcnow(), pid=os.getpid(),
                              host=socket.gethostname(), info=info))

    def stop(self) -> None:
        """End the running tick, then the scheduler (SIGTERM/SIGINT)."""
        log.info("stopping: ending the running tick, then the scheduler")
        self.ticks.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)

