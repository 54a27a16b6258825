"""``python -m simple_game.doctor run=<dir>``: is this run healthy? Plain words, with evidence.

Reads only the run's own files (works while it trains, and on any finished, stopped or dead
run) and prints each finding: ok, warning or problem, what it saw, the likely cause, what to
try and where docs/troubleshooting.md explains it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from simple_game.doctor import OK, PROBLEM, WARNING, examine, load_facts
from simple_game.errors import UserError, exit_for
from simple_game.records.paths import RunPaths, not_a_run
from simple_game.records.run_summary import ENDINGS

USAGE = "python -m simple_game.doctor run=<run directory>"


def run_dir_of(argv: list[str]) -> Path:
    """The run directory of ``run=<dir>``; :class:`UserError` for anything else."""
    if len(argv) != 1 or not argv[0].startswith("run="):
        raise UserError(f"usage: {USAGE}", key="run")
    value = argv[0].split("=", 1)[1]
    run_dir = Path(value)
    if not RunPaths(run_dir).hydra_config.is_file():
        raise UserError(not_a_run("run", value, run_dir), key="run")
    return run_dir


def diagnose(run_dir: Path) -> str:
    """The doctor's report on one run."""
    facts = load_facts(run_dir)
    ending = facts.ending
    head = (
        f"Run {run_dir}: {facts.algo.upper()} on {facts.config.env.name}, "
        f"{facts.steps:,} of {facts.budget:,} steps, "
        + (ENDINGS[ending] if ending else "no summary.json")
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
    try:
        print(diagnose(run_dir), flush=True)
    except BrokenPipeError:  # `doctor ... | head` closed the pipe: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
