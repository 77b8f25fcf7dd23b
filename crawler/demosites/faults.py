"""Fault injection for tests: `--fault OUTLET=KIND` makes one outlet misbehave in a known way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """What an outlet does wrong (`slow` takes seconds: `slow=2.5`)."""

    ERROR_500 = "500"  # every path answers 500
    ARTICLES_404 = "404-articles"  # article pages answer 404
    HANG = "hang"  # accept, read the request, never answer (within HANG_SECONDS)
    SLOW = "slow"  # answer after a delay
    NODATE = "nodate"  # articles without any date line or date metadata
    NOBODY = "nobody"  # articles with an empty body element
    REDIRECT_LOOP = "redirect-loop"  # articles redirect to themselves
    NOTFOUND_FEED = "notfound-feed"  # feeds answer 404, lists still work
    SKINCHANGE = "skinchange"  # articles in a different DOM with only og/JSON-LD metadata
    LIST_END_404 = "list-end-404"  # list pages past the last answer 404 (not an empty page)
    LIST_END_REPEAT = "list-end-repeat"  # list pages past the last repeat the last page


HANG_SECONDS = 120.0


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    seconds: float = 0.0  # only for SLOW

    def __str__(self) -> str:
        return f"{self.kind}={self.seconds:g}" if self.kind is FaultKind.SLOW else str(self.kind)


class FaultError(ValueError):
    """A --fault value that cannot be used; the message says how to write it."""


def parse_fault(text: str) -> tuple[str, Fault]:
    """`OUTLET=KIND` or `OUTLET=slow=SECONDS` → (outlet id, fault)."""
    outlet, sep, spec = text.partition("=")
    if not sep or not outlet or not spec:
        raise FaultError(f"--fault {text!r}: write OUTLET=KIND, e.g. incheonnuri=500")
    kind_text, _, arg = spec.partition("=")
    try:
        kind = FaultKind(kind_text)
    except ValueError:
        kinds = ", ".join(k.value for k in FaultKind)
        raise FaultError(
            f"--fault {text!r}: unknown kind {kind_text!r}; use one of {kinds}"
        ) from None
    if kind is FaultKind.SLOW:
        try:
            seconds = float(arg)
        except ValueError:
            raise FaultError(
                f"--fault {text!r}: write slow=SECONDS, e.g. {outlet}=slow=2"
            ) from None
        if seconds < 0:
            raise FaultError(f"--fault {text!r}: seconds must not be negative")
        return outlet, Fault(kind, seconds)
    if arg:
        raise FaultError(f"--fault {text!r}: {kind_text} takes no value")
    return outlet, Fault(kind)


FaultSpec = Mapping[str, Iterable[Fault | str] | Fault | str]


def normalize_faults(
    faults: FaultSpec | None, known: Iterable[str]
) -> dict[str, tuple[Fault, ...]]:
    """Faults per outlet from {id: fault-or-kind-or-list}; unknown outlet ids are errors."""
    known = set(known)
    out: dict[str, tuple[Fault, ...]] = {}
    for outlet, value in (faults or {}).items():
        if outlet not in known:
            raise FaultError(
                f"fault for unknown outlet {outlet!r}; known: {', '.join(sorted(known))}"
            )
        values = [value] if isinstance(value, Fault | str) else list(value)
        out[outlet] = tuple(
            v if isinstance(v, Fault) else parse_fault(f"{outlet}={v}")[1] for v in values
        )
    return out
