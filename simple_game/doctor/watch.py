"""The doctor during training: a warning the first time each problem appears, and at the end
every finding that is not ok."""

from __future__ import annotations

import logging
from pathlib import Path

from simple_game.doctor import OK, Finding, examine, load_facts

log = logging.getLogger(__name__)


class HealthWatch:
    """The run doctor's checks on the run so far, for the training loop to call."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.told: set[str] = set()

    def findings(self) -> list[Finding]:
        try:
            return [f for f in examine(load_facts(self.run_dir)) if f.level != OK]
        except (OSError, ValueError) as err:  # a check must never stop training
            log.warning("The health checks could not read the run: %s", err)
            return []

    def warn_new(self) -> None:
        for finding in self.findings():
            if finding.title not in self.told:
                self.told.add(finding.title)
                log.warning("Health check: %s", "\n".join(finding.lines()))

    def report_end(self) -> None:
        findings = self.findings()
        if not findings:
            log.info(
                "Health check: nothing looks wrong (details: python -m simple_game.doctor run=%s)",
                self.run_dir,
            )
        for finding in findings:
            log.warning("Health check: %s", "\n".join(finding.lines()))
