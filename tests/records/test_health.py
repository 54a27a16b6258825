"""The run doctor: unhealthy runs are flagged with their evidence, healthy ones are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from simple_game.records.health import OK, PROBLEM, WARNING, examine, load_facts
from tests.conftest import TINY, compose_config, run_cli


def make_run(
    folder: Path,
    *overrides: str,
    summary: dict | None = None,
    evaluations: list[dict] | None = None,
    progress: dict[str, list[tuple[int, float]]] | None = None,
) -> Path:
    """A run directory as a run writes it: the composed config, summary, evaluations, metrics."""
    cfg = compose_config(*overrides)
    (folder / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, folder / ".hydra" / "config.yaml")
    (folder / "summary.json").write_text(json.dumps(summary or {}))
    (folder / "evaluations.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in evaluations or [])
    )
    series = progress or {}
    steps = sorted({s for points in series.values() for s, _ in points})
    header = ["time/total_timesteps", *series]
    rows = [
        [str(step)] + [str(dict(points).get(step, "")) for points in series.values()]
        for step in steps
    ]
    (folder / "progress.csv").write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    return folder


def titles(run_dir: Path, level: str) -> list[str]:
    return [f.title for f in examine(load_facts(run_dir)) if f.level == level]


def test_learning_that_starts_after_the_budget_is_a_problem(tmp_path: Path) -> None:
    run = make_run(tmp_path, "algo=dqn", "train.total_timesteps=50000")  # learning_starts 100k
    (finding,) = [f for f in examine(load_facts(run)) if f.title == "learning starts late"]
    assert finding.level == PROBLEM
    assert "algo.learning_starts=100,000 of train.total_timesteps=50,000" in finding.evidence
    assert finding.anchor == "nothing-is-learned" and "algo.learning_starts=" in finding.fix


def test_q_values_beyond_what_clipped_rewards_allow_are_a_problem(tmp_path: Path) -> None:
    q_values = [(1000 * i, 3.0 * 2**i) for i in range(1, 8)]  # ends at 384
    run = make_run(tmp_path, "algo=pqn", progress={"train/q_values": q_values})
    assert "Q-values beyond anything clipped rewards can sum to" in titles(run, PROBLEM)


def test_sane_q_values_are_ok(tmp_path: Path) -> None:
    run = make_run(tmp_path, "algo=pqn", progress={"train/q_values": [(1000, 0.4)]})
    assert titles(run, OK) == ["Q-values in range"] and not titles(run, PROBLEM)


def test_a_q_learning_loss_that_grows_a_thousandfold_is_a_warning(tmp_path: Path) -> None:
    loss = [(1000 * i, 0.01 if i <= 10 else 10.0) for i in range(1, 21)]
    run = make_run(tmp_path, "algo=dqn", progress={"train/loss": loss})
    assert "the loss is growing by orders of magnitude" in titles(run, WARNING)


def test_ppo_total_loss_near_zero_early_is_not_read_as_a_climb(tmp_path: Path) -> None:
    # PPO's train/loss sums signed terms that cancel early on (breakout_ppo seed 2: median 1.3e-4
    # in its first half, 0.02 at the end, when it reached 31 points); its value loss, an error
    # that cannot go below 0, grew 1.7x. Only that is a fair ratio.
    steps = [1000 * i for i in range(1, 21)]
    loss = [(s, 0.0001 if s <= 10_000 else 0.02) for s in steps]
    value_loss = [(s, 0.06 if s <= 10_000 else 0.1) for s in steps]
    progress = {"train/loss": loss, "train/value_loss": value_loss}
    run = make_run(tmp_path, "train.total_timesteps=20000", progress=progress)
    assert "the loss is growing by orders of magnitude" not in titles(run, WARNING)
    progress["train/value_loss"] = [(s, v * 1000 if s > 10_000 else v) for s, v in value_loss]
    run = make_run(tmp_path / "diverging", "train.total_timesteps=20000", progress=progress)
    assert "the loss is growing by orders of magnitude" in titles(run, WARNING)


def test_entropy_that_collapses_early_is_a_warning(tmp_path: Path) -> None:
    entropy = [(10_000, -1.79), (50_000, -1.2), (100_000, -0.05), (200_000, -0.01)]
    run = make_run(
        tmp_path, "train.total_timesteps=1000000", progress={"train/entropy_loss": entropy}
    )
    assert "policy entropy collapsed early" in titles(run, WARNING)


def test_too_large_ppo_updates_and_a_useless_critic_are_warnings(tmp_path: Path) -> None:
    steps = [1000 * i for i in range(1, 21)]
    run = make_run(
        tmp_path,
        "train.total_timesteps=20000",
        progress={
            "train/approx_kl": [(s, 0.2) for s in steps],
            "train/explained_variance": [(s, -0.5) for s in steps],
        },
    )
    warnings = titles(run, WARNING)
    assert "PPO updates move the policy too far" in warnings
    assert "the value function predicts worse than a constant" in warnings


def test_late_evaluations_at_random_level_are_a_problem(tmp_path: Path) -> None:
    evaluation = {"timesteps": 900_000, "mean_reward": -21.0, "std_reward": 0.0}
    run = make_run(
        tmp_path,
        "env=pong",
        "train.total_timesteps=1000000",
        summary={"timesteps": 1_000_000},
        evaluations=[evaluation],
    )
    assert "no better than random play" in titles(run, PROBLEM)


def test_a_run_that_shared_the_machine_says_so(tmp_path: Path) -> None:
    run = make_run(tmp_path, summary={"max_concurrent_trainings": 2, "steps_per_s": 300})
    assert "trained alongside other trainings" in titles(run, WARNING)


def test_a_healthy_tiny_run_raises_no_alarm(tiny_run: Path) -> None:
    found = examine(load_facts(tiny_run))
    # The suite trains tests in parallel, so the one finding this run may truly deserve is
    # that it shared the machine; any other warning or problem would be a false alarm.
    alarms = [f.title for f in found if f.level != OK]
    assert set(alarms) <= {"trained alongside other trainings"}, alarms


@pytest.mark.slow
def test_a_real_unhealthy_run_is_flagged_at_its_end_and_by_the_doctor(workdir: Path) -> None:
    args = [*TINY, "algo=dqn", "algo.buffer_size=1000", "algo.learning_starts=100000",
            "hydra.run.dir=runs/late"]  # fmt: skip
    trained = run_cli(args, workdir)
    assert trained.returncode == 0, trained.stderr[-3000:]
    console = trained.stdout + trained.stderr
    assert "Health check: problem  learning starts late" in console
    doctor = run_cli(["run=runs/late"], workdir, module="simple_game.doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert "problem  learning starts late: algo.learning_starts=100,000" in doctor.stdout
    assert "guide: docs/troubleshooting.md#nothing-is-learned" in doctor.stdout


@pytest.mark.parametrize("args", [["run=nope"], ["run=."], [], ["runs/x"]])
def test_a_directory_that_is_no_run_gives_one_line(args: list[str], tmp_path: Path) -> None:
    result = run_cli(args, tmp_path, module="simple_game.doctor")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
