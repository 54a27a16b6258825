"""One thing the doctor saw: how bad, the evidence, the likely cause, the key to turn."""

from __future__ import annotations

from dataclasses import dataclass

GUIDE = "docs/troubleshooting.md"
OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Finding:
    """One thing the doctor saw: how bad, what, the evidence, the likely cause, what to do."""

    level: str  # ok, warning or problem
    title: str
    evidence: str  # the metric, the step and the value
    cause: str = ""
    fix: str = ""
    anchor: str = ""  # section of docs/troubleshooting.md

    def lines(self) -> list[str]:
        text = [f"{self.level:8s} {self.title}: {self.evidence}"]
        if self.cause:
            text.append(f"         likely cause: {self.cause}")
        if self.fix:
            text.append(f"         try: {self.fix}")
        if self.anchor:
            text.append(f"         guide: {GUIDE}#{self.anchor}")
        return text
