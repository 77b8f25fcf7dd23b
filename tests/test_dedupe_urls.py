"""Dedupe layer 1: URL variants of one article fold to one key; different articles never do."""

from __future__ import annotations

from functools import partial

import pytest

from crawler.dedupe import urls
from crawler.families import ID_RULES, article_id, article_key

# with the id rules the crawl uses (the families' and other CMSs'), as crawler/extract/cleanup.py does
canonical_url = partial(urls.canonical_url, rules=ID_RULES)

# each row: URL variants of one article -> the canonical URL they all fold to
SAME_ARTICLE = [
    (
        "https://incheonilbo.com/news/articleView.html?idxno=123",
        [
            "https://www.incheonilbo.com/news/articleView.html?idxno=123",
            "https://m.incheonilbo.com/news/articleView.html?idxno=123",
            "https://WWW.IncheonIlbo.com:443/news/articleView.html?idxno=123#article-view",
            "https://www.incheonilbo.com/news/articleView.html?idxno=123&utm_source=facebook&utm_medium=social",
            "https://www.incheonilbo.com/news/articleView.html?fbclid=IwAR0abc&idxno=123",
            "https://www.incheonilbo.com/news/articleView.html?idxno=123&gclid=xyz&igshid=q1",
            "https://www.incheonilbo.com/news/articleViewAmp.html?idxno=123",
            "https://www.incheonilbo.com/news/articleView.html?idxno=123&amp=1",
            "https://mobile.incheonilbo.com/news/articleView.html?idxno=123&mc_cid=1&mc_eid=2",
        ],
    ),
    (
        "https://seonamtoday.com/news/view.php?idx=7701&mcode=m2",
        [
            "https://www.seonamtoday.com/news/view.php?mcode=m2&idx=7701",
            "https://seonamtoday.com/news/view.php?idx=7701&mcode=m2&PHPSESSID=f00",
            "https://seonamtoday.com/news/view.php?idx=7701&mcode=m2&sid=99&ref=main",
        ],
    ),
    (
        "https://akomnews.com/bbs/board.php?bo_table=news&wr_id=5",
        [
            "https://www.akomnews.com:443/bbs/board.php?wr_id=5&bo_table=news",
            "https://akomnews.com/bbs/board.php?bo_table=news&wr_id=5&utm_campaign=medical",
        ],
    ),
    (
        "https://gbnews.kr/news/2024/06/13/8812",
        [
            "https://gbnews.kr/amp/news/2024/06/13/8812",
            "https://gbnews.kr/news/2024/06/13/8812/amp",
            "https://www.gbnews.kr/news/2024/06/13/8812.amp",
            "https://gbnews.kr/news/2024/06/13/8812?outputType=amp",
        ],
    ),
    (
        "https://ddmissue.com/news_view.jsp?ncd=6288",
        [
            "https://ddmissue.com/news_view.jsp;jsessionid=A1B2C3D4?ncd=6288",
            "https://www.ddmissue.com/news_view.jsp?ncd=6288&jsessionid=A1B2",
        ],
    ),
    (
        "http://127.0.0.1:8702/news/articleView.html?idxno=5",
        [
            "http://127.0.0.1:8702/news/articleView.html?idxno=5&utm_source=test",
            "http://127.0.0.1:8702/news/articleViewAmp.html?idxno=5#top",
        ],
    ),
    (
        "https://example.kr/news/list?a=1&b=2&b=3",
        ["https://example.kr/news/list?b=3&a=1&b=2", "https://EXAMPLE.kr/news/list?b=2&b=3&a=1"],
    ),
]


@pytest.mark.parametrize(("canonical", "variants"), SAME_ARTICLE)
def test_variants_fold_to_one_canonical_url(canonical: str, variants: list[str]) -> None:
    assert canonical_url(canonical) == canonical
    for variant in variants:
        assert canonical_url(variant) == canonical, variant
        assert article_key(variant) == article_key(canonical), variant


# pairs of URLs that must keep different keys
DIFFERENT_ARTICLES = [
    ("two outlets, same idxno",
     "https://www.incheonilbo.com/news/articleView.html?idxno=123",
     "https://www.kyeonginnews.com/news/articleView.html?idxno=123"),
    ("local test sites differ only by port",
     "http://127.0.0.1:8701/news/articleView.html?idxno=5",
     "http://127.0.0.1:8702/news/articleView.html?idxno=5"),
    ("two boards of one gnuboard site",
     "https://akomnews.com/bbs/board.php?bo_table=news&wr_id=5",
     "https://akomnews.com/bbs/board.php?bo_table=column&wr_id=5"),
    ("two articles of one outlet",
     "https://seonamtoday.com/news/view.php?idx=7701&mcode=m2",
     "https://seonamtoday.com/news/view.php?idx=7702&mcode=m2"),
    ("sub-domains are different outlets",
     "https://songpa.newstool.co.kr/view.php?aid=12879&eid=8782",
     "https://gangdong.newstool.co.kr/view.php?aid=12879&eid=8782"),
    ("a meaningful parameter is kept",
     "https://example.kr/news/read.php?code=medical&page=1",
     "https://example.kr/news/read.php?code=tourism&page=1"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "a", "b"), DIFFERENT_ARTICLES)
def test_different_articles_keep_different_keys(why: str, a: str, b: str) -> None:
    assert article_key(a) != article_key(b), why
    assert canonical_url(a) != canonical_url(b), why


ARTICLE_KEYS = [
    ("https://www.incheonilbo.com/news/articleView.html?idxno=123&sc_section_code=S1N1",
     None, "incheonilbo.com|ndsoft|idxno=123"),
    ("https://m.example.co.kr/?mod=news&act=articleView&idxno=88", "ndsoft",
     "example.co.kr|ndsoft|idxno=88"),
    ("http://127.0.0.1:8702/news/articleView.html?idxno=5", "ndsoft",
     "127.0.0.1:8702|ndsoft|idxno=5"),
    ("https://akomnews.com/bbs/board.php?bo_table=news&wr_id=5&page=3", "gnuboard",
     "akomnews.com|gnuboard|bo_table=news&wr_id=5"),
    ("https://www.seonamtoday.com/news/view.php?idx=7701&mcode=m2", "mcode",
     "seonamtoday.com|mcode|idx=7701"),
    ("https://m.wjgm.co.kr/view.php?idx=9", None, "wjgm.co.kr|mcode|idx=9"),
    ("https://www.wjgm.co.kr/news/view.php?idx=9", None, "wjgm.co.kr|mcode|idx=9"),
    ("https://www.jbnews.kr/news/article.html?no=4521", None, "jbnews.kr|article.html|no=4521"),
    ("https://www.jbnews.kr/mobile/article.html?no=4521", None, "jbnews.kr|article.html|no=4521"),
    ("https://www.snnews.kr/news/view.php?no=300", None, "snnews.kr|view.php|no=300"),
    ("https://www.hnews.kr/news/news_view.html?idx=31", None, "hnews.kr|news_view.html|idx=31"),
    ("http://ddmnews.com/news/news_read.asp?idx=24992&opt=1", None,
     "ddmnews.com|news_read.asp|idx=24992"),
    ("https://ddmissue.com/news_view.jsp?ncd=6288", None, "ddmissue.com|news_view.jsp|ncd=6288"),
    ("https://www.regionmbc.kr/NewsArticle/3456789", None, "regionmbc.kr|NewsArticle|3456789"),
    ("https://www.oldpaper.kr/news/mnews.asp?pk_no=777", None, "oldpaper.kr|mnews.asp|pk_no=777"),
    ("https://blog-news.kr/?p=42", "wordpress", "blog-news.kr|wordpress|p=42"),
    ("https://blog-news.kr/?p=42", None, "https://blog-news.kr/?p=42"),
    ("https://www.daily.kr/article/AbC123?utm_source=x", None, "https://daily.kr/article/AbC123"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "family", "key"), ARTICLE_KEYS)
def test_article_key(url: str, family: str | None, key: str) -> None:
    assert article_key(url, family) == key


def test_scheme_is_kept_in_the_url_but_not_in_an_id_key() -> None:
    http, https = (
        "http://x.kr/news/articleView.html?idxno=5",
        "https://x.kr/news/articleView.html?idxno=5",
    )
    assert canonical_url(http) != canonical_url(https)
    assert article_key(http) == article_key(https) == "x.kr|ndsoft|idxno=5"


def test_article_id_names_the_shape_and_id() -> None:
    assert article_id("https://x.kr/news/articleView.html?idxno=5") == ("ndsoft", "idxno=5")
    assert article_id("https://x.kr/news/articleList.html?sc_section_code=S1N1") is None
    assert article_id("https://x.kr/bbs/board.php?bo_table=news") is None  # a board list
    assert article_id("https://x.kr/news/articleView.html?idxno=abc") is None


HOME = "https://www.incheonilbo.com/"
PAGE = "https://m.incheonilbo.com/news/articleView.html?idxno=123&sc_section_code=S1N1"
HINTS = [
    ("same site, same id: used",
     "https://www.incheonilbo.com/news/articleView.html?idxno=123",
     "https://incheonilbo.com/news/articleView.html?idxno=123"),
    ("relative hint: used",
     "/news/articleView.html?idxno=123",
     "https://incheonilbo.com/news/articleView.html?idxno=123"),
    ("home page: ignored", "https://www.incheonilbo.com/", None),
    ("home page without slash: ignored", "https://incheonilbo.com", None),
    ("list page: ignored",
     "https://www.incheonilbo.com/news/articleList.html?sc_section_code=S1N1&view_type=sm", None),
    ("another domain: ignored", "https://www.kyeonginnews.com/news/articleView.html?idxno=123", None),
    ("another id: ignored", "https://www.incheonilbo.com/news/articleView.html?idxno=124", None),
    ("another port: ignored", "https://www.incheonilbo.com:8443/news/articleView.html?idxno=123", None),
    ("not http: ignored", "javascript:void(0)", None),
    ("blank: ignored", "   ", None),
]  # fmt: skip


@pytest.mark.parametrize(("why", "hint", "expected"), HINTS)
def test_canonical_hint(why: str, hint: str, expected: str | None) -> None:
    own = canonical_url(PAGE)
    assert canonical_url(PAGE, canonical_hint=hint, home=HOME) == (expected or own), why


def test_hint_equal_to_the_configured_home_is_ignored() -> None:
    page = "https://gbnews.kr/story/9921"
    assert (
        canonical_url(
            page, canonical_hint="https://gbnews.kr/portal", home="https://gbnews.kr/portal"
        )
        == page
    )


def test_hint_without_an_id_on_the_same_site_is_used() -> None:
    page = "https://m.gbnews.kr/view?seq=9921"
    assert (
        canonical_url(page, canonical_hint="https://www.gbnews.kr/story/9921")
        == "https://gbnews.kr/story/9921"
    )


def test_korean_paths_and_values_are_percent_encoded_once() -> None:
    url = "https://x.kr/태그/의료관광?q=의료 관광"
    encoded = "https://x.kr/%ED%83%9C%EA%B7%B8/%EC%9D%98%EB%A3%8C%EA%B4%80%EA%B4%91?q=%EC%9D%98%EB%A3%8C%20%EA%B4%80%EA%B4%91"
    assert canonical_url(url) == encoded
    assert canonical_url(encoded) == encoded
    assert canonical_url(encoded.lower().replace("https://x.kr", "https://X.KR")) == encoded


def test_registrable_host_is_never_folded_into_a_suffix() -> None:
    assert canonical_url("https://m.co.kr/a") == "https://m.co.kr/a"
    assert canonical_url("https://www.kr.example/a") == "https://kr.example/a"


@pytest.mark.parametrize(
    "url", ["ftp://x.kr/a", "/news/articleView.html?idxno=1", "https:///nohost"]
)
def test_non_http_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        canonical_url(url)


def test_a_canonical_hint_needs_the_id_rules() -> None:
    """Without the rules a hint naming another article would be taken: refuse, never guess."""
    page = "https://x.kr/news/articleView.html?idxno=5"
    assert urls.canonical_url(page) == "https://x.kr/news/articleView.html?idxno=5"
    with pytest.raises(TypeError, match="rules"):
        urls.canonical_url(page, canonical_hint="https://x.kr/news/articleView.html?idxno=6")
