"""``python -m simple_game.doctor run=<dir>``: is this run healthy? Plain words, with evidence.

Reads only the run's own files (works while it trains, and on any finished or stopped run)
and prints each finding of :mod:`simple_game.records.health`: ok, warning or problem, what it
saw, the likely cause, what to try and where docs/troubleshooting.md explains it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simple_game.errors import UserError, exit_for
from simple_game.records.health import OK, PROBLEM, WARNING, examine, load_facts
from simple_game.records.paths import RunPaths

USAGE = "python -m simple_game.doctor run=<run directory>"


def run_dir_of(argv: list[str]) -> Path:
    """The run directory of ``run=<dir>``; :class:`UserError` for anything else."""
    if len(argv) != 1 or not argv[0].startswith("run="):
        raise UserError(f"usage: {USAGE}", key="run")
    run_dir = Path(argv[0].split("=", 1)[1])
    if not run_dir.is_dir():
        raise UserError(f"run={run_dir}: no such directory", key="run")
    if not RunPaths(run_dir).hydra_config.is_file():
        raise UserError(
            f"run={run_dir}: not a run directory (no .hydra/config.yaml in it)", key="run"
        )
    return run_dir


def diagnose(run_dir: Path) -> str:
    """The doctor's report on one run."""
    facts = load_facts(run_dir)
    summary = facts.summary
    head = (
        f"Run {run_dir}: {facts.algo.upper()} on {facts.config.env.name}, "
        f"{facts.steps:,} of {facts.budget:,} steps, {summary.get('status', 'no summary.json')}"
    )
    findings = examine(facts)
    lines = [head, ""]
    for finding in findings:
        lines += finding.lines()
    counts = {level: sum(f.level == level for f in findings) for level in (PROBLEM, WARNING, OK)}
    if not findings:
        lines.append("nothing to judge yet: no evaluation and no training metric that applies")
    lines += ["", ", ".join(f"{level}: {n}" for level, n in counts.items())]
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:] in (["--help"], ["-h"]):
        print(f"usage: {USAGE}\n{__doc__}")
        return
    try:
        run_dir = run_dir_of(sys.argv[1:])
    except UserError as err:
        exit_for(err)
    print(diagnose(run_dir))


if __name__ == "__main__":
    main()
