"""Does the doctor catch what it should? Runs broken on purpose, trained for real, then judged.

``python -m simple_game.bench --only "" --doctor-check`` trains each case of :data:`CASES` at a
small budget, with ``python -m simple_game`` as a learner would type it, and asks the doctor
about the run it left. A case passes when every finding it expects is there, and (the healthy
control) when nothing is raised at all. Each case takes a few minutes on a 2-core CPU; the runs
land in ``runs/doctor_check/<case>/``.

The committed reference runs are the other half of the check (no false alarm on runs that
were healthy): ``tests/doctor`` replays the doctor over them at every evaluation.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Short evaluations: 4 full games every 50k steps, so a case is mostly training.
QUICK = [
    "train.eval_freq=50000",
    "train.n_eval_episodes=4",
    "train.progress_bar=false",
    "report=false",
]


@dataclass(frozen=True)
class Case:
    """One run broken on purpose: its overrides and the findings the doctor must raise."""

    name: str
    overrides: list[str]
    expected: set[str] = field(default_factory=set)  # empty: a healthy run, nothing raised


CASES = [
    Case("healthy control: recipe breakout_ppo for 4 minutes", [
        "recipe=breakout_ppo", "train.max_minutes=4"]),
    Case("learning rate 40x, kept constant", [
        "algo=ppo", "env=breakout", "train.total_timesteps=100000",
        "algo.learning_rate.start=0.01", "algo.learning_rate.end=0.01"],
        {"no better than random play", "the value function predicts no better than a constant"}),
    Case("bold updates: 10 epochs at 20x the learning rate, no entropy bonus", [
        "algo=ppo", "env=breakout", "train.total_timesteps=100000", "algo.ent_coef=0",
        "algo.learning_rate.start=0.005", "algo.n_epochs=10"],
        {"PPO updates move the policy too far"}),
    Case("entropy collapse: PPO unclipped in effect, 10 epochs at 10x, no entropy bonus", [
        "algo=ppo", "env=breakout", "train.total_timesteps=100000", "algo.ent_coef=0",
        "algo.learning_rate.start=0.0025", "algo.learning_rate.end=0.0025",
        "algo.clip_range.start=1.0", "algo.clip_range.end=1.0", "algo.n_epochs=10"],
        {"policy entropy collapsed early"}),
    Case("learning_starts beyond the budget", [
        "algo=dqn", "env=breakout", "train.total_timesteps=20000", "algo.buffer_size=20000"],
        {"learning starts late"}),
    Case("stuck at random play: a learning rate of 1e-9", [
        "algo=ppo", "env=pong", "train.total_timesteps=150000",
        "algo.learning_rate.start=1e-9"],
        {"no better than random play", "the policy is still uniformly random"}),
    Case("unclipped rewards", [
        "algo=dqn", "env=breakout", "train.total_timesteps=20000", "algo.buffer_size=20000",
        "algo.learning_starts=1000", "env.wrapper.clip_reward=false"],
        {"rewards not clipped"}),
]  # fmt: skip


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.split(":")[0].lower()).strip("_")


def check_case(case: Case, root: Path) -> dict[str, Any]:
    """Train ``case`` (unless its run directory already holds a finished run) and judge it."""
    from simple_game.bench.time_to_skill import completed
    from simple_game.doctor import OK, examine, load_facts

    run_dir = root / "runs" / "doctor_check" / slug(case.name)
    if not completed(run_dir):
        command = [sys.executable, "-m", "simple_game", *case.overrides, *QUICK,
                   f"hydra.run.dir={run_dir}"]  # fmt: skip
        print("$", " ".join(command[1:]), flush=True)
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    raised = {f.title: f for f in examine(load_facts(run_dir)) if f.level != OK}
    missing = case.expected - set(raised)
    passed = not missing and (bool(case.expected) or not raised)
    print(f"{'PASS' if passed else 'FAIL'}  {case.name}", flush=True)
    for finding in raised.values():
        print(f"      {finding.level}: {finding.title}: {finding.evidence}", flush=True)
    for title in sorted(missing):
        print(f"      missing: {title}", flush=True)
    return {
        "case": case.name,
        "run": str(run_dir),
        "passed": passed,
        "expected": sorted(case.expected),
        "raised": {title: [f.level, f.evidence] for title, f in raised.items()},
    }


def doctor_check(root: Path) -> list[dict[str, Any]]:
    """Every case, one after another (two at once would share the cores)."""
    return [check_case(case, root) for case in CASES]
