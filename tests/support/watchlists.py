"""Watchlist pieces the matcher tests share: foreign patients as a second way for a story to match."""

from __future__ import annotations

# two weak groups: a foreign country and a patient, each worth little alone
FOREIGN_PATIENT_GROUPS = """
[groups.foreign]
label = "외국"
weight = 1
terms = ["몽골", "러시아"]

[groups.patient]
label = "환자"
weight = 1
terms = ["환자"]
"""


def foreign_patient_rule(bonus: int) -> str:
    """The rule that scores both groups close together (within ten words) with `bonus`."""
    return f"""
[[rules]]
name = "외국 + 환자"
require = ["foreign", "patient"]
within = 10
bonus = {bonus}
"""
