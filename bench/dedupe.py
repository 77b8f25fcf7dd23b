"""Dedupe benchmark: pair precision/recall on the labelled set, and story assignment at scale.

Scale: a synthetic store of 200,000 stories (one representative article each, with its
signature and LSH band keys in `story_bands`) is built once with bulk inserts and cached under
`$NEWSWATCH_HOME/bench/dedupe-200k.db` (a 20,000-story one next to it). Bodies are composed from
Korean sentence material with generated place names, people and figures, so unrelated stories
share about as little text as unrelated real articles do (the build reports the mean Jaccard of
random pairs). Then `crawler.store.ingest.assign_story` is timed for 300 new articles, half of
them re-credited, re-headlined copies of stored stories and half new, each in a rolled-back
transaction so the cached store never changes. The seen-URL check is `seen_keys` for 20 keys.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler import paths

SIZES = (20_000, 200_000)
QUERIES = 300
SEEN_QUERIES = 200
CHUNK = 5_000
SCHEME = 4  # bump when the generator or the signature scheme changes: the cache is rebuilt
LABELLED = paths.PROJECT_ROOT / "tests" / "data" / "dedupe_pairs.jsonl"
# real syndicated copies with ground truth (read in place, never copied: ../shared/corpus/README)
STORIES_DEV = paths.PROJECT_ROOT.parent / "shared" / "corpus" / "stories-dev" / "items.jsonl"
TARGETS = {
    "dedupe.pair_precision": "≥ 0.95",
    "dedupe.pair_recall": "≥ 0.95",
    "dedupe.real_pair_precision": "≥ 0.95",
    "dedupe.real_pair_recall": "≥ 0.95",
    "dedupe.assign_ms_median_200k": "≤ 5",
    "dedupe.seen_check_ms_median": "< 1",
}

# ---------------------------------------------------------------- synthetic Korean material

_SYLLABLES = "가나다라마바사아자차카타파하강남동서북산천원주성양안영진해평화청송백운금곡"
_REGIONS = "인천 부산 대구 광주 대전 울산 세종 수원 춘천 강릉 청주 충주 천안 전주 목포 여수 순천 포항 경주 안동 창원 진주 통영 제주 서귀포 원주 속초 공주 보령 군산".split()
_ORGS = "시 군 구청 관광공사 문화재단 보건소 교육청 상공회의소 농업기술센터 경찰서 소방서 의료원".split()
_TOPICS = (
    "의료관광 설명회", "벚꽃 축제", "도로 정비 사업", "청년 창업 지원", "전통시장 활성화", "해양 레저 체험",
    "야간 관광 프로그램", "웰니스 치유 여행", "외국인 환자 유치", "한방 체험 행사", "농산물 직거래 장터",
    "문화유산 야행", "둘레길 개통", "어린이 과학 캠프", "노인 일자리 사업", "공공 와이파이 확대",
    "미세먼지 저감 대책", "관광 안내센터 개소", "스마트 버스정류장 설치", "자전거 도로 연결",
    "국제 영화제", "섬 여행 상품", "마이스 유치 설명회", "음식 관광 페스티벌", "산림 치유 프로그램",
)  # fmt: skip
_VERBS = "밝혔다 발표했다 전했다 설명했다 소개했다 알렸다".split()
_HEADS = (
    "의료 관광 청년 해양 농촌 산림 문화 체육 복지 교통 환경 교육 주거 안전 관광객 어르신 아동 소상공인 "
    "전통시장 수산 축산 원예 항만 공항 철도 하천 공원 도서관 박물관 미술관 한옥 온천 섬 갯벌 둘레길 "
    "자전거 캠핑 야시장 음식 와인 커피 녹차 인삼 한방 스포츠 마라톤 영화 음악 연극 국악 무용 사진"
).split()
_TAILS = (
    "지원센터 축제 사업 협의회 박람회 설명회 체험관 특구 단지 클러스터 플랫폼 바우처 아카데미 캠프 "
    "페스티벌 로드쇼 포럼 공모전 실증 사업단 거점 쉼터 안내소 상생협약 실태조사 기본계획 종합대책 "
    "정비계획 시범사업 네트워크"
).split()
_ACTS = (
    "점검한다,확대한다,추진한다,운영한다,개최한다,모집한다,선정했다,마련했다,개편한다,착공했다,"
    "준공했다,협약을 맺었다,예산을 편성했다,현장을 찾았다,계획을 세웠다,간담회를 열었다,공모를 냈다"
).split(",")
_TIMES = (
    "올해 내년 상반기 하반기 연말까지 다음 달 이번 주 주말 오는 봄 여름철 겨울철 분기마다".split()
)
_SENTENCES = (
    "{place}{org}는 {m}월 {d}일부터 {n1}일간 {topic}을 연다고 {d2}일 {verb}",
    "{a}와 {b}를 묶은 {c}에는 {country} 등 {n2}개국 {n3}명이 참가한다",
    "{place}{org}는 {time} {n4}억원을 들여 {a} {act}",
    "지난해 {b}에는 {n5}명이 다녀가 {c} 효과가 {n6}억원으로 집계됐다",
    "{name} {role}은 \"{a}이 {b}에 활력을 줄 것\"이라고 말했다",
    "{place2} 일대 {n2}곳에서 {c}과 {a}을 {time} {act}",
    "{org2}는 {b} 참여 업체 {n3}곳과 {c} {act}",
    "{a} 신청은 {m}월 {d2}일까지 받으며 {n5}명을 {b}에 배정한다",
    "{place2} 주민 {n6}명 가운데 {pct}%가 {c}에 찬성했다",
    "{name}씨는 \"{place2} {b}에서 {n1}년째 일하며 {c}은 처음\"이라고 전했다",
    "{org2}는 {m2}월까지 {a} 성과를 분석해 {b} {act}",
    "관련 문의는 {role2}(0{n1}{n2}-{n8})로 하면 된다",
    "{c} 예산은 전년보다 {pct}% 늘어난 {n4}억원이다",
    "{country} 현지 여행사 {n2}곳이 {a} 상품을 {time} 내놓는다",
    "{place2}에는 {b} {n7}곳이 문을 열어 방문객 {n5}명을 맞았다",
    "{org2} 조사 결과 {a} 만족도는 {n1}점 만점에 {n2}점으로 나타났다",
    "{name} {role2}은 {c}를 두고 \"{b}와 연계해 체류 시간을 늘리겠다\"고 설명했다",
    "앞서 {place}{org}는 {m2}월 {b} 용역을 맡겨 {n3}쪽 분량의 보고서를 받았다",
    "{a} 누적 이용자는 {n5}명, 외국인 비중은 {pct}%다",
    "{time} {c} 구간 {n1}.{n2}km가 새로 뚫린다",
    "{place2} 상인회는 {b} 기간 {n7}개 점포가 할인 행사에 참여한다고 했다",
    "{org2}와 {place}{org}는 {a} 인력 {n3}명을 {time} 양성하기로 했다",
    "이에 따라 {b} 이용 요금은 {n8}원에서 {n6}원으로 조정된다",
)  # fmt: skip
_TITLES = (
    "{place}{org}, {topic} {n3}명 규모로 개최", "{place}{org} \"{topic2}로 {n4}억 효과\"",
    "{country} 관광객 {n5}명 겨냥… {place} {topic}", "{place2}에 {topic2} {n7}곳 들어선다",
    "{name} {role} \"{topic}, {m}월부터 달라진다\"", "{topic} 신청 {m}월 {d2}일까지… {place}{org}",
)  # fmt: skip
_COUNTRIES = (
    "러시아 몽골 베트남 카자흐스탄 우즈베키스탄 일본 중국 대만 태국 미국 독일 프랑스 필리핀".split()
)
_ROLES = "관광과장 보건정책과장 경제국장 문화체육과장 기획조정실장 홍보담당관".split()


def _name(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def _story_text(rng: random.Random) -> tuple[str, str]:
    """A headline and a body of 6-8 sentences with their own places, people and figures."""
    place = rng.choice(_REGIONS) + _name(rng, 1)
    topic, topic2 = rng.sample(_TOPICS, 2)
    fill = {
        "place": place, "place2": _name(rng, 2) + rng.choice("동읍면리"), "org": rng.choice(_ORGS),
        "org2": _name(rng, 2) + rng.choice(("협회", "재단", "조합", "연구원")), "topic": topic,
        "topic2": topic2, "country": rng.choice(_COUNTRIES), "verb": rng.choice(_VERBS),
        "name": rng.choice("김이박최정강조윤장임") + _name(rng, 2), "role": rng.choice(_ROLES),
        "role2": rng.choice(_ROLES), "m": rng.randint(1, 12), "m2": rng.randint(1, 12),
        "d": rng.randint(1, 28), "d2": rng.randint(1, 28), "n1": rng.randint(2, 9),
        "n2": rng.randint(3, 60), "n3": rng.randint(10, 900), "n4": rng.randint(2, 400),
        "n5": rng.randint(100, 99_000), "n6": rng.randint(10, 5_000), "n7": rng.randint(5, 300),
        "n8": rng.randint(1000, 9999), "pct": rng.randint(30, 95),
    }  # fmt: skip
    lines = []
    for template in rng.sample(_SENTENCES, rng.randint(8, 10)):
        a, b, c = (rng.choice(_HEADS) + rng.choice(_TAILS) for _ in range(3))
        lines.append(
            template.format(**fill, a=a, b=b, c=c, act=rng.choice(_ACTS), time=rng.choice(_TIMES))
            + "."
        )
    body = "\n".join(lines)
    title = rng.choice(_TITLES).format(**fill)
    return title, body


def _copy(title: str, body: str, rng: random.Random) -> tuple[str, str]:
    """Another outlet's copy: a wire dateline, a new headline, a copyright line."""
    region = title[:2]
    credit = rng.choice(
        (
            f"({region}=연합뉴스) {_name(rng, 3)} 기자 = ",
            f"[{region}=뉴시스]{_name(rng, 3)} 기자 = ",
        )
    )
    return f"[종합] {title} 주목", credit + body + "\n저작권자 © 무단전재 및 재배포 금지"


# ---------------------------------------------------------------- the cached store


def _signatures(seed_range: tuple[int, int]) -> list[tuple[int, str, str, bytes, list[int]]]:
    """(index, title, body, encoded signature, band keys) for stories [start, stop)."""
    from crawler.dedupe.stories import band_keys, dedupe_text, encode_signature, signature

    out = []
    for i in range(*seed_range):
        title, body = _story_text(random.Random(i))
        sig = signature(dedupe_text(title, body))
        out.append((i, title, body, encode_signature(sig), sorted(set(band_keys(sig)))))
    return out


def _chunks(size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, size, CHUNK):
        yield start, min(start + CHUNK, size)


def store_path(size: int) -> Path:
    name = "dedupe-200k.db" if size == 200_000 else f"dedupe-{size // 1000}k.db"
    return paths.bench_dir() / name


def _cached(size: int) -> bool:
    path, marker = store_path(size), store_path(size).with_suffix(".json")
    return path.exists() and marker.exists() and json.loads(marker.read_text()) == {"scheme": SCHEME, "size": size}


def build_store(size: int) -> float:
    """Build (or reuse) the cached store of `size` stories; seconds spent building (0 if cached).
    A smaller store is the first `size` stories of a larger one when that is cached (story i is
    the same in both): copied rows, not signatures computed again."""
    from crawler.store.db import Database

    if _cached(size):
        return 0.0
    path = store_path(size)
    marker = path.with_suffix(".json")
    for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    db = Database.open(f"sqlite:///{path}")
    larger = next((n for n in sorted(SIZES) if n > size and _cached(n)), None)
    if larger is not None:
        db.close()
        _copy_first(store_path(larger), path, size)
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql(
                "PRAGMA cache_size=-2000000"
            )  # 2 GB: the band index is inserted in random order
            workers = max(1, min(4, os.cpu_count() or 1))
            with ProcessPoolExecutor(workers) as pool:
                for rows in pool.map(_signatures, _chunks(size)):
                    _insert_chunk(conn, rows, BASE)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        db.close()
    marker.write_text(json.dumps({"scheme": SCHEME, "size": size}))
    return time.monotonic() - t0


def _copy_first(source: Path, target: Path, size: int) -> None:
    """Stories 1..size of the store at `source` (with their bands, articles and URLs) into the empty
    store at `target`."""
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        with conn:
            for table, key in (("stories", "id"), ("story_bands", "story_id"), ("articles", "id"),
                               ("article_urls", "article_id")):
                order = " ORDER BY band_key" if table == "story_bands" else ""
                conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} WHERE {key} <= ?{order}", (size,))  # noqa: S608
        conn.execute("DETACH DATABASE src")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _insert_chunk(
    conn: Any, rows: list[tuple[int, str, str, bytes, list[int]]], base: datetime
) -> None:
    """Stories, their band keys and one article each, by plain executemany (ids = index + 1)."""
    stories, bands, articles, urls = [], [], [], []
    for i, title, body, sig, keys in rows:
        sid = i + 1
        when = (base + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S.000000")
        stories.append((sid, title, sig, when, when, when))
        bands.extend((key, sid) for key in keys)
        key = f"bench{i % 50}|{i}"
        url = f"https://www.bench{i % 50}.example/news/articleView.html?idxno={i}"
        articles.append(
            (sid, f"bench{i % 50}", url, key, url, title, when, body, f"h{i}", sid, when, when)
        )
        urls.append((key, sid))
    conn.exec_driver_sql(
        "INSERT INTO stories (id, title, signature, published_at, first_seen_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        stories,
    )
    bands.sort()
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO story_bands (band_key, story_id) VALUES (?, ?)", bands
    )
    conn.exec_driver_sql(
        "INSERT INTO articles (id, outlet_id, url, url_key, canonical_url, title, published_at, body, "
        "body_hash, version, family, fallback, story_id, first_seen_at, fetched_at, authors) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'ndsoft', 0, ?, ?, ?, '[]')",
        articles,
    )
    conn.exec_driver_sql("INSERT INTO article_urls (url_key, article_id) VALUES (?, ?)", urls)


# ---------------------------------------------------------------- measurements


BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _queries(size: int) -> list[tuple[str, str, int | None, datetime]]:
    """(title, body, expected story id or None, published_at): half copies of stored stories
    (published two hours after the original), half new ones among them."""
    rng = random.Random(size)
    out: list[tuple[str, str, int | None, datetime]] = []
    for n in range(QUERIES):
        i = rng.randrange(size)
        when = BASE + timedelta(minutes=i, hours=2)
        if n % 2 == 0:
            title, body = _story_text(random.Random(i))
            out.append((*_copy(title, body, rng), i + 1, when))
        else:
            out.append((*_story_text(random.Random(10_000_000 + size + n)), None, when))
    return out


def _record(title: str, body: str, n: int, when: datetime) -> Any:
    """The record as the pipeline hands it to the store: signature and story features computed
    (in the CPU pool during a crawl)."""
    from crawler.crawl.cpu import story_signature
    from crawler.types import ArticleRecord, Extracted

    ex = Extracted(title=title, body=body, published_at=when)
    sig, feats = story_signature(title, body)
    return ArticleRecord(outlet_id="benchwire", url=f"https://wire.example/{n}", request_url="",
                         family="ndsoft", extracted=ex, fetched_at=datetime.now(UTC),
                         signature=sig, story_features=feats)  # fmt: skip


def measure_assign(size: int) -> dict[str, float]:
    """Median and p95 ms of assign_story (signature precomputed, as the pipeline does), and hits."""
    from crawler.store.db import Database
    from crawler.store.ingest import StoryCache, assign_story

    db = Database.open(f"sqlite:///{store_path(size)}", migrate_schema=False)
    records = [
        (_record(t, b, n, when), want) for n, (t, b, want, when) in enumerate(_queries(size))
    ]
    cache = StoryCache()
    times, cpu, hits, false_joins = [], [], 0, 0
    now = datetime.now(UTC)
    for rec, want in records:
        with db.sessions() as session:
            t0, c0 = time.perf_counter(), time.process_time()
            story_id, new = assign_story(session, rec, now, cache)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            session.rollback()
        hits += want is not None and story_id == want
        false_joins += want is None and not new
    db.close()
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(0.95 * len(times))],
            "cpu_median": statistics.median(cpu), "copy_recall": hits / (QUERIES // 2),
            "false_joins": false_joins}  # fmt: skip


def measure_seen(size: int) -> float:
    """Median ms of `seen_keys` for 20 keys (10 stored, 10 not)."""
    from crawler.store.crawlstate import seen_keys
    from crawler.store.db import Database

    db = Database.open(f"sqlite:///{store_path(size)}", migrate_schema=False)
    rng = random.Random(7)
    times = []
    for _ in range(SEEN_QUERIES):
        stored = [f"bench{i % 50}|{i}" for i in rng.sample(range(size), 10)]
        keys = stored + [f"bench{n % 50}|new{rng.random()}" for n in range(10)]
        t0 = time.perf_counter()
        found = seen_keys(db, keys)
        times.append((time.perf_counter() - t0) * 1000)
        assert found == set(stored)
    db.close()
    return statistics.median(times)


def background_jaccard(samples: int = 2000) -> float:
    """Mean body Jaccard of random pairs of synthetic stories (real unrelated news: < 0.03)."""
    from crawler.dedupe.stories import StoryDoc, overlap

    rng = random.Random(3)
    docs = [
        StoryDoc(str(i), "x", *_story_text(random.Random(rng.randrange(10**9)))) for i in range(200)
    ]
    pairs = [rng.sample(docs, 2) for _ in range(samples)]
    return statistics.fmean(
        overlap(a.features.body_hashes, b.features.body_hashes)[0] for a, b in pairs
    )


def pair_scores() -> tuple[float, float]:
    """Pair precision and recall of `cluster_records` on the labelled set."""
    records = [
        json.loads(line)
        for line in LABELLED.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return _pair_scores(records)


def real_items(path: Path = STORIES_DEV) -> list[dict[str, Any]]:
    """stories-dev items as `cluster` records (title, body = the excerpt, published date)."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        {"id": it["id"], "outlet": it["outlet"], "title": it["title"], "body": it["text"],
         "published_at": it["published"], "story": it["story"], "kind": it["kind"]}
        for it in items
    ]  # fmt: skip


def real_pairs(path: Path = STORIES_DEV) -> dict[str, Any]:
    """Pair precision/recall of `cluster_records` on the real stories-dev set, plus the same on
    each half of its groups (split by group number parity: a check that a rule tuned on some
    groups holds on the others). Empty when ../shared is absent."""
    if not path.exists():
        print(f"dedupe.real_pairs skipped: {path} is absent (the shared corpus is not mounted)")
        return {}
    records = real_items(path)
    precision, recall = _pair_scores(records)
    out: dict[str, Any] = {
        "dedupe.real_pair_precision": round(precision, 4),
        "dedupe.real_pair_recall": round(recall, 4),
    }
    for half in (0, 1):
        part = [r for r in records if _group_number(r["story"]) % 2 == half]
        p, r = _pair_scores(part)
        label = "even" if half == 0 else "odd"
        out[f"dedupe.real_pair_precision_{label}"] = round(p, 4)
        out[f"dedupe.real_pair_recall_{label}"] = round(r, 4)
    return out


def _group_number(story: str) -> int:
    """42 for "g042" and for its sister "g042-s1"."""
    return int(story[1:].split("-")[0])


def _pair_scores(records: list[dict[str, Any]]) -> tuple[float, float]:
    """Pair precision and recall of `cluster_records` against each record's "story"."""
    from itertools import combinations

    from crawler.dedupe.cluster import cluster_records

    story_of = dict(cluster_records(records))
    tp = fp = fn = 0
    for a, b in combinations(records, 2):
        predicted, actual = story_of[a["id"]] == story_of[b["id"]], a["story"] == b["story"]
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def run() -> dict[str, Any]:
    precision, recall = pair_scores()
    out: dict[str, Any] = {
        "dedupe.pair_precision": round(precision, 4),
        "dedupe.pair_recall": round(recall, 4),
        **real_pairs(),
    }
    for size in sorted(SIZES, reverse=True):  # the largest first: the smaller are copied from it
        out[f"dedupe.build_s_{size // 1000}k"] = round(build_store(size), 1)
    for size in SIZES:
        label = f"{size // 1000}k"
        stats = measure_assign(size)
        out[f"dedupe.assign_ms_median_{label}"] = round(stats["median"], 3)
        out[f"dedupe.assign_ms_p95_{label}"] = round(stats["p95"], 3)
        out[f"dedupe.assign_cpu_ms_median_{label}"] = round(stats["cpu_median"], 3)
        out[f"dedupe.copy_recall_{label}"] = round(stats["copy_recall"], 3)
        out[f"dedupe.false_joins_{label}"] = stats["false_joins"]
    out["dedupe.seen_check_ms_median"] = round(measure_seen(SIZES[-1]), 3)
    out["dedupe.synthetic_background_jaccard"] = round(background_jaccard(), 4)
    return out
