"""Running a coroutine to the end from a test whose thread may already have an event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


def run_async(make: Any) -> Any:
    """Run `make()`'s coroutine to the end on a loop of its own thread."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if "error" in out:
        raise out["error"]
    return out["value"]
