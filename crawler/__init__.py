"""newswatch: scheduled crawling and monitoring of Korean local news."""

from __future__ import annotations

__version__ = "0.1.0"
