"""Operations: re-matching, weekly export, feedback labels and mutes, retention, backups."""

from __future__ import annotations
