"""Report rows built in memory, for tests of what the report computes and draws from them."""

from __future__ import annotations

import dataclasses

from simple_game.report.runs import CurvePoint, Run

BASE = Run(
    path="runs/ppo_pong/2026-01-01_00-00-00", game="pong", env_id="PongNoFrameskip-v4",
    experiment="ppo_pong", algo="ppo", policy="simple_nature_cnn", seed=0, status="completed",
    started="2026-01-01 00:00", timesteps=300_000, total_timesteps=300_000, wall_time_s=600.0,
    steps_per_s=500.0, final=None, best=None, overrides=("algo=ppo", "env=pong"), note="",
    problem="", curve=(CurvePoint(100_000, 3.0, -20.5), CurvePoint(300_000, 10.0, -19.0)),
    recipe=None, sweep=None, learning_curve=None, video=None,
)  # fmt: skip


def run(**changes: object) -> Run:
    """A completed PPO Pong run, changed where told."""
    return dataclasses.replace(BASE, **changes)
