"""Page objects per CMS family, by the family names used in the outlet registry."""

from __future__ import annotations

from .articleno import ArticleNoPage
from .articlephp import ArticlePhpPage
from .generic import GenericPage
from .gnuboard import GnuboardPage
from .mcode import McodePage
from .ndsoft import NDSoftPage
from .page import ArticlePage
from .partidx import PartIdxPage
from .scrs import ScrsPage

PAGE_OBJECTS: dict[str, type[ArticlePage]] = {
    "ndsoft": NDSoftPage,
    "gnuboard": GnuboardPage,
    "mcode": McodePage,
    "articleno": ArticleNoPage,
    "partidx": PartIdxPage,
    "articlephp": ArticlePhpPage,
    "scrs": ScrsPage,
    "generic": GenericPage,
}


def page_object(family: str) -> type[ArticlePage]:
    """The page-object class of a family; unknown families get the generic one."""
    return PAGE_OBJECTS.get(family, GenericPage)
