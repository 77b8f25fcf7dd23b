"""Composing alert mail: subject, parts, escaping, highlights, Seoul times, outlets, footer."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import SMTP, default

import pytest

from crawler.alert.compose import (
    Envelope,
    FeedbackLinks,
    StoryView,
    compose_digest,
    marked_html,
    marked_text,
    web_base_url,
)
from crawler.alert.recipients import Maintainer, Recipient
from crawler.clock import seoul_text

NOW = datetime(2026, 1, 2, 2, 10, tzinfo=UTC)  # 11:10 in Seoul, a Friday
TEAM = Recipient(
    address="tourism@city.example", name="의료관광팀", watchlists=("medical-tourism", "wellness")
)
NAMES = {"medical-tourism": "의료관광", "wellness": "웰니스"}


def story(
    story_id: int,
    title: str,
    *,
    score: float = 15.0,
    watchlist: str = "medical-tourism",
    outlets: int = 1,
    **kw: object,
) -> StoryView:
    fields: dict[str, object] = {
        "story_id": story_id,
        "title": title,
        "url": f"https://www.incheonilbo.example/news/articleView.html?idxno={story_id}",
        "outlets": [
            (name, f"https://{slug}.example/{story_id}", NOW)
            for name, slug in [
                ("인천일보", "incheonilbo"),
                ("경기일보", "kyeonggi"),
                ("서남투데이", "seonamtoday"),
            ][:outlets]
        ],
        "published_at": NOW,
        "score": score,
        "terms": ["의료관광", "팸투어"],
        "snippet_title": "",
        "snippet_body": "인천시는 \x02의료관광\x03 \x02팸투어\x03를 열었다.",
        "watchlist_id": watchlist,
    }
    fields.update(kw)
    return StoryView(**fields)  # type: ignore[arg-type]


def roundtrip(msg: object) -> object:
    """The message as a receiving client parses it."""
    return message_from_bytes(msg.as_bytes(policy=SMTP), policy=default)  # type: ignore[attr-defined]


def parts(msg: object) -> tuple[str, str]:
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    return html, text


def test_subject_for_one_story_is_encoded_korean() -> None:
    msg = compose_digest(
        TEAM, [story(1, "인천시, 러시아어권 의료 코디네이터 초청 팸투어")], NAMES, NOW
    )
    raw = msg.as_bytes(policy=SMTP)
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # RFC 2047 on the wire
    assert (
        roundtrip(msg)["Subject"]
        == "[의료관광] 새 보도 1건 — 인천시, 러시아어권 의료 코디네이터 초청 팸투어"
    )


def test_subject_for_several_stories() -> None:
    stories = [
        story(1, "낮은 점수 기사", score=10.0),
        story(2, "영등포구, 울란바토르 의료관광 설명회 참가", score=30.0),
        story(3, "셋째", score=12.0),
    ]
    msg = roundtrip(compose_digest(TEAM, stories, NAMES, NOW))
    assert (
        msg["Subject"]
        == "[의료관광] 새 보도 3건 — 영등포구, 울란바토르 의료관광 설명회 참가 외 2건"
    )


def test_both_parts_and_headers() -> None:
    env = Envelope(
        from_address="newswatch@city.example",
        reply_to="ops@city.example",
        message_id="<abc@newswatch>",
    )
    msg = roundtrip(compose_digest(TEAM, [story(1, "제목")], NAMES, NOW, env))
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Message-ID"] == "<abc@newswatch>"
    assert msg["To"].addresses[0].addr_spec == "tourism@city.example"
    assert msg["To"].addresses[0].display_name == "의료관광팀"
    assert msg["From"].addresses[0].addr_spec == "newswatch@city.example"
    assert msg["Reply-To"] == "ops@city.example"
    assert msg["Auto-Submitted"] == "auto-generated"
    html, text = parts(msg)
    assert "max-width:640px" in html and 'name="viewport"' in html
    assert "제목" in html and "제목" in text


def test_scraped_strings_are_escaped_in_html() -> None:
    evil = story(
        1,
        "<script>alert(1)</script> 의료관광",
        outlets=1,
        snippet_body='<img src=x onerror="alert(2)"> \x02의료관광\x03 & 팸투어',
        terms=["<b>의료</b>"],
        url="javascript:alert(3)",
    )
    evil = StoryView(**{**evil.__dict__, "outlets": [("<i>매체</i>", "https://x.example/1", NOW)]})
    html, text = parts(compose_digest(TEAM, [evil], NAMES, NOW))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; 의료관광" in html
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "<i>" not in html and "&lt;i&gt;매체&lt;/i&gt;" in html
    assert "&lt;b&gt;의료&lt;/b&gt;" in html
    assert "javascript:" not in html  # a non-http link is shown as text, not linked
    assert "<script>alert(1)</script> 의료관광" in text  # plain text needs no escaping


def test_highlights_escape_first_then_mark() -> None:
    marked = "a<b> \x02의료관광\x03 & \x02팸투어"  # an unclosed marker must not break the HTML
    assert str(marked_html(marked)).count("<mark") == 2
    assert str(marked_html(marked)).startswith("a&lt;b&gt; <mark")
    assert str(marked_html(marked)).endswith(">팸투어</mark>")
    assert marked_text(marked) == "a<b> «의료관광» & «팸투어»"
    html, text = parts(compose_digest(TEAM, [story(1, "제목")], NAMES, NOW))
    assert ">의료관광</mark>" in html and "«의료관광» «팸투어»를" in text
    assert "\x02" not in html + text and "\x03" not in html + text


def test_only_a_snippet_goes_out() -> None:
    long_body = "\x02의료관광\x03 " + "가" * 5000
    html, text = parts(compose_digest(TEAM, [story(1, "제목", snippet_body=long_body)], NAMES, NOW))
    assert "가" * 300 not in html and "가" * 300 not in text
    assert "…" in text


def test_story_line_seoul_time_outlets_level_reason_terms() -> None:
    view = story(1, "제목", outlets=3, score=17.25, level="높음", reason="외국인 환자 + 해외 설명회 (제목)",
                 key_terms=("외국인 환자", "설명회"))
    html, text = parts(compose_digest(TEAM, [view], NAMES, NOW))
    for part in (html, text):
        assert "1월 2일(금) 11:10" in part  # Seoul, with the weekday, as the office says it
        assert "3개 매체 보도" in part
        assert "인천일보" in part and "경기일보" in part and "서남투데이" in part
        assert "관련도 높음" in part and "외국인 환자 + 해외 설명회 (제목)" in part
        assert "핵심어: 외국인 환자, 설명회" in part
        assert "17.2" not in part and "점수" not in part.split("관련도는")[0]  # no raw score in mail
    assert "\n   관련도 높음 · 외국인 환자 + 해외 설명회 (제목)\n" in text  # indented with its story
    assert 'href="https://www.incheonilbo.example/news/articleView.html?idxno=1"' in html
    assert 'href="https://kyeonggi.example/1"' in html
    assert "word-break:keep-all" in html.replace(" ", "")


def test_a_story_with_forty_outlets_names_eight_and_counts_the_rest() -> None:
    many = [(f"매체{i}", f"https://m{i}.example/1", NOW) for i in range(40)]
    view = StoryView(**{**story(1, "제목").__dict__, "outlets": many})
    html, text = parts(compose_digest(TEAM, [view], NAMES, NOW))
    for part in (html, text):
        assert "40개 매체 보도" in part and "외 32개 매체" in part
        assert "매체7" in part and "매체8," not in part


def test_each_story_once_per_watchlist_section() -> None:
    stories = [
        story(1, "의료관광 기사", watchlist="medical-tourism", score=14.0, reason="첫 판의 이유"),
        story(
            1, "의료관광 기사", watchlist="medical-tourism", score=16.0, reason="고친 판의 이유"
        ),  # revision 2 of the same story
        story(1, "의료관광 기사", watchlist="wellness"),
        story(2, "웰니스 기사", watchlist="wellness"),
    ]
    msg = roundtrip(compose_digest(TEAM, stories, NAMES, NOW))
    html, text = parts(msg)
    assert text.count("의료관광 기사") == 2  # once in each section
    assert text.count("웰니스 기사") == 1
    assert "고친 판의 이유" in text and "첫 판의 이유" not in text
    # sections follow their best story; the subject names the best story of all
    assert msg["Subject"] == "[의료관광 · 웰니스] 새 보도 2건 — 의료관광 기사 외 1건"
    assert text.index("== 관심 주제 의료관광") < text.index("== 관심 주제 웰니스")


def test_footer_and_feedback_links(monkeypatch: pytest.MonkeyPatch) -> None:
    env = Envelope(
        contacts=[Maintainer(address="ops@city.example", name="운영 담당")],
        feedback=FeedbackLinks("https://news.city.example/"),
    )
    html, text = parts(compose_digest(TEAM, [story(7, "제목")], NAMES, NOW, env))
    for part in (html, text):
        assert "ops@city.example" in part and "운영 담당자에게 연락" in part
        assert "recipients.toml" not in part  # the office does not edit configuration files
        assert "관련 있음" in part and "관련 없음" in part
        assert "다시 보내지 않" in part  # what a vote does, and it is true (see test_ops_feedback)
    assert (
        "https://news.city.example/feedback?watchlist=medical-tourism&amp;story=7&amp;relevant=1&amp;r=tourism%40city.example"
        in html
    )
    assert (
        "https://news.city.example/feedback?watchlist=medical-tourism&story=7&relevant=0&r=tourism%40city.example"
        in text
    )


def test_without_web_url_no_feedback_links_and_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A link to the dashboard's listen address (127.0.0.1) opens nothing on the office's phone."""
    from crawler.alert import compose

    monkeypatch.delenv("NEWSWATCH_WEB_URL", raising=False)
    monkeypatch.setenv("NEWSWATCH_WEB_PORT", "9000")
    compose._warn_no_web_url.cache_clear()
    with caplog.at_level("WARNING", logger="crawler.alert.compose"):
        assert web_base_url() == "" and web_base_url() == ""
    assert sum("NEWSWATCH_WEB_URL is not set" in r.getMessage() for r in caplog.records) == 1
    env = Envelope(feedback=FeedbackLinks(web_base_url()))
    html, text = parts(compose_digest(TEAM, [story(7, "제목")], NAMES, NOW, env))
    for part in (html, text):
        assert "/feedback" not in part and "관련 없음" not in part and "127.0.0.1" not in part
    monkeypatch.setenv("NEWSWATCH_WEB_URL", "newswatch.city.example")
    with pytest.raises(ValueError, match="https://"):
        web_base_url()


def test_demo_mail_is_marked() -> None:
    msg = roundtrip(compose_digest(TEAM, [story(1, "제목")], NAMES, NOW, Envelope(subject_prefix="[데모] ")))
    assert msg["Subject"].startswith("[데모] [의료관광]")


def test_a_signed_token_slots_in() -> None:
    class Signed(FeedbackLinks):
        def token(self, *, recipient: str, watchlist_id: str, story_id: int) -> str | None:
            return f"signed-{story_id}"

    url = Signed("https://n.example").url(
        recipient="a@b.example", watchlist_id="w", story_id=3, relevant=False
    )
    assert url == "https://n.example/feedback?watchlist=w&story=3&relevant=0&t=signed-3"


def test_korean_time() -> None:
    from crawler.clock import korean_time

    assert korean_time(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == "12월 7일(월) 08:30"
    assert korean_time(None) == ""


def test_seoul_text() -> None:
    assert seoul_text(datetime(2024, 6, 13, 2, 10, 1, tzinfo=UTC)) == "2024-06-13 (목) 11:10"
    assert seoul_text(None) == ""


def test_no_stories_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one story"):
        compose_digest(TEAM, [], NAMES, NOW)


def test_long_korean_headers_keep_their_spaces() -> None:
    """Python 3.11's header folder drops spaces between encoded words; ours must not."""
    team = Recipient(address="team@city.example", name="인천광역시 관광공사 의료관광팀", watchlists=("wellness",))
    stories = [
        story(1, "영등포구, 울란바토르 서울 의료관광 설명회 참가 — 몽골 환자 1:1 상담", watchlist="wellness", score=30.0),
        story(2, "둘째 기사", watchlist="wellness"),
        story(3, "셋째 기사", watchlist="wellness"),
    ]
    msg = compose_digest(team, stories, {"wellness": "웰니스 · 의료관광 통합"}, NOW)
    head = msg.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    got = roundtrip(msg)
    assert got["Subject"] == (
        "[웰니스 · 의료관광 통합] 새 보도 3건 — 영등포구, 울란바토르 서울 의료관광 설명회 참가 — 몽골 환자 1:1 상담 외 2건"
    )
    assert got["To"].addresses[0].display_name == "인천광역시 관광공사 의료관광팀"
