"""The data model (SQLAlchemy 2). Times are stored in UTC and always come back timezone-aware.

Tables follow the flow: articles (+ versions, URL keys) -> stories (+ LSH bands, outlets)
-> matches -> alerts (the outbox); runs record every crawl; validators and robots cache make
idle ticks cheap; heartbeats let `newswatch status` see the scheduler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements: given an ORM entity, `session.execute(insert(Entity),
    rows)` takes the ORM's bulk path, which costs more than the rows themselves."""
    return cast(Table, model.__table__)  # typed as FromClause


class Story(Base):
    """One story, however many outlets carried it."""

    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # an earlier story this one follows up (days later, same actors): linked, not merged. A plain
    # id, no foreign key: SQLite could add or drop it only by rebuilding `stories`, which every
    # other table references
    follows_id: Mapped[int | None] = mapped_column(Integer)
    outlets: Mapped[list[StoryOutlet]] = relationship(back_populates="story", order_by="StoryOutlet.first_seen_at")


class StoryBand(Base):
    """LSH band keys of a story's signature: the near-duplicate index lives in the database."""

    __tablename__ = "story_bands"
    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)


class StoryOutlet(Base):
    """Which outlets carried a story, and when each was first seen."""

    __tablename__ = "story_outlets"
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    story: Mapped[Story] = relationship(back_populates="outlets")


class Article(Base):
    __tablename__ = "articles"
    # covering indexes: the cadence's history read (crawlstate.first_copies_by_hour) and each outlet's
    # newest article (monitor.health) visit no article row (migrations 0008, 0009)
    __table_args__ = (Index("ix_articles_history", "first_seen_at", "outlet_id", "story_id", "published_at"),
                      Index("ix_articles_outlet_seen", "outlet_id", "first_seen_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(512), unique=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    section: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    modified_at: Mapped[datetime | None]
    body: Mapped[str | None] = mapped_column(Text)  # None once pruned
    body_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    family: Mapped[str] = mapped_column(String(32))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    feed_title: Mapped[str | None] = mapped_column(Text)  # last seen feed/list entry (revisit policy)
    feed_modified: Mapped[str | None] = mapped_column(String(64))


class ArticleVersion(Base):
    """Every stored text of an article; a changed page adds a version, old ones are kept."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    modified_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleUrl(Base):
    """Every URL key an article is known under (requested URL, canonical URL): checked before a request."""

    __tablename__ = "article_urls"
    url_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class Match(Base):
    """An article version against a watchlist, with its explanation."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "watchlist_id", "article_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    watchlist_id: Mapped[str] = mapped_column(String(64), index=True)
    article_version: Mapped[int] = mapped_column(default=1)
    score: Mapped[float] = mapped_column(Float)
    relevant: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(Text)
    terms: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    snippet_title: Mapped[str] = mapped_column(Text, default="")
    snippet_body: Mapped[str] = mapped_column(Text, default="")
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """The outbox. One row per (recipient, watchlist, story, revision, followup); written with the match.

    `followup` 0 is the story's alert; n >= 1 is its n-th follow-up (outlets that joined the story
    after the alert was mailed, shown in the next digest; see crawler.alert.followups).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("recipient", "watchlist_id", "story_id", "revision", "followup", name="uq_alert_key"),
        Index("ix_alerts_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    watchlist_id: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    revision: Mapped[int] = mapped_column(default=1)
    followup: Mapped[int] = mapped_column(default=0, server_default="0")  # 0: the story alert
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))  # a follow-up: the joining article
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"))
    channel: Mapped[str] = mapped_column(String(16), default="email")
    mode: Mapped[str] = mapped_column(String(16), default="digest")  # immediate | digest
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|failed
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]


class Run(Base):
    """One crawl process (a tick, a `newswatch crawl`, a `scrapy crawl`)."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="crawl")
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|finished|aborted|failed
    finish_reason: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    seed: Mapped[bool] = mapped_column(Boolean, default=False)
    outlets: Mapped[list[OutletRun]] = relationship(back_populates="run")


class OutletRun(Base):
    """Per-outlet stats of one run (the input of the health rules)."""

    __tablename__ = "outlet_runs"
    __table_args__ = (Index("ix_outlet_runs_outlet_started", "outlet_id", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    outlet_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    requests: Mapped[int] = mapped_column(default=0)
    items: Mapped[int] = mapped_column(default=0)
    new_articles: Mapped[int] = mapped_column(default=0)
    updated_articles: Mapped[int] = mapped_column(default=0)
    matches: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    robots_blocked: Mapped[int] = mapped_column(default=0)
    fallbacks: Mapped[int] = mapped_column(default=0)
    finish_reason: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)  # responses by status, drops by reason, …
    run: Mapped[Run] = relationship(back_populates="outlets")


class HttpValidator(Base):
    """ETag / Last-Modified of feed and list URLs, for conditional GETs between runs."""

    __tablename__ = "http_validators"
    url: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListShape(Base):
    """An article URL shape learned from an outlet's lists, and what its links led to (listlinks.py)."""

    __tablename__ = "list_shapes"
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shape: Mapped[str] = mapped_column(String(512), primary_key=True)
    articles: Mapped[int] = mapped_column(default=0)
    other: Mapped[int] = mapped_column(default=0)
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RobotsCache(Base):
    """robots.txt bodies kept between runs (a day by default)."""

    __tablename__ = "robots_cache"
    netloc: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[int]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    """A live process's last sign of life (the scheduler, workers)."""

    __tablename__ = "heartbeats"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Release(Base):
    """A press release of the office, registered to trace which outlets carried it."""

    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the same release added twice
    source: Mapped[str] = mapped_column(Text)  # the file or URL it came from
    released_at: Mapped[datetime] = mapped_column(index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    pickups: Mapped[list[ReleasePickup]] = relationship(back_populates="release", order_by="ReleasePickup.first_seen_at")


class ReleasePickup(Base):
    """One article that carried a release: how much of it, and when it was first seen."""

    __tablename__ = "release_pickups"
    __table_args__ = (UniqueConstraint("release_id", "article_id", name="uq_release_pickup"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(index=True)
    verbatim_share: Mapped[float] = mapped_column(Float)  # of the release's sentences carried as written
    kind: Mapped[str] = mapped_column(String(16))  # verbatim | trimmed | rewritten
    headline_changed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    release: Mapped[Release] = relationship(back_populates="pickups")


class IncompleteOutlet(Base):
    """An outlet whose last crawl did not finish its work: the next run reads it deep.

    Written for every outlet when a run starts and removed for an outlet when the run ends having
    stored everything it discovered there; a killed process leaves the row. `since` is when the
    earliest unfinished run began: the next run pages its lists back to articles stored before it.
    """

    __tablename__ = "incomplete_outlets"
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime]
    run_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    # cut short (killed, stopped, timed out) rather than finished with errors: due again at once
    interrupted: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the office's feedback: labels and outlet mutes (migration 0003) ---
VERDICTS = ("relevant", "irrelevant", "mute-outlet")
SOURCES = ("mail", "cli")


class Label(Base):
    """One person's verdict on a story for a watchlist (from a mail link or `newswatch label`)."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_watchlist_story", "watchlist_id", "story_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    verdict: Mapped[str] = mapped_column(String(16))  # relevant | irrelevant | mute-outlet
    outlet_id: Mapped[str | None] = mapped_column(String(64))  # with mute-outlet
    recipient: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(8))  # mail | cli
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutletMute(Base):
    """An outlet whose articles never make alerts for one watchlist (they are still stored and matched)."""

    __tablename__ = "outlet_mutes"
    watchlist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- monitoring: what the maintainers were last told about each outlet and rule ---
class HealthNotice(Base):
    """One (outlet, rule): failing or ok, and when the maintainers were last told (one mail a day)."""

    __tablename__ = "health_notices"
    outlet_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "scheduler" for the heartbeat
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="failing")  # failing | ok
    first_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]  # the last failure notice
    recovered_at: Mapped[datetime | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(String(500), default="")
