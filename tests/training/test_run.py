"""End to end: `python -m simple_game ...` trains real models and leaves a complete run dir."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import get_class
from omegaconf import OmegaConf

from simple_game.config.groups import CONF_DIR
from simple_game.training.run import run
from tests.conftest import (
    console_of,
    read_summary,
    run_cli,
    tensorboard_scalars,
    the_run_dir,
    tiny,
)

SUMMARY_KEYS = {
    "algo", "env_id", "policy", "device", "seed", "timesteps", "wall_time_s", "steps_per_s",
    "eval_mean_reward", "eval_std_reward", "eval_episodes", "best_eval_mean_reward", "status",
    "versions", "git_commit",
}  # fmt: skip


@pytest.mark.parametrize(
    ("algo", "env"),
    [
        # Each algo once in the quick loop; its second game only in the full suite.
        ("ppo", "breakout"),
        pytest.param("ppo", "pong", marks=pytest.mark.slow),
        ("a2c", "breakout"),
        ("a2c", "space_invaders"),
        pytest.param("dqn", "breakout", marks=pytest.mark.slow),
        ("dqn", "pong"),
        pytest.param("qrdqn", "breakout", marks=pytest.mark.slow),
        ("qrdqn", "space_invaders"),
        ("pqn", "pong"),
    ],
)
def test_every_algo_writes_a_complete_run_directory(
    algo: str, env: str, algo_run: Callable[[str, str], Path]
) -> None:
    run_dir = algo_run(algo, env)  # trained once per session (tests/conftest.py)
    assert run_dir.parent.name == f"{algo}_{env}"  # runs/<experiment>/<timestamp>/

    summary = read_summary(run_dir)
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["status"] == "completed"
    assert (summary["algo"], summary["seed"], summary["device"]) == (algo, 1, "cpu")
    assert summary["timesteps"] >= 256
    assert summary["steps_per_s"] > 0
    assert summary["eval_episodes"] == 1
    assert summary["best_eval_mean_reward"] >= summary["eval_mean_reward"]

    config = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    assert config.algo.name == algo
    assert f"env={env}" in OmegaConf.load(run_dir / ".hydra" / "overrides.yaml")
    evaluations = [json.loads(x) for x in (run_dir / "evaluations.jsonl").read_text().splitlines()]
    assert [e["timesteps"] for e in evaluations][-1] == summary["timesteps"]
    assert len(evaluations) >= 2  # periodic plus final
    assert "Done:" in (run_dir / "train.log").read_text()
    assert (run_dir / "progress.csv").exists()
    assert tensorboard_scalars(run_dir)  # real event files with real scalars
    assert list((run_dir / "checkpoints").glob(f"{algo}_*_steps.zip"))

    # The zips are plain SB3 files: the algo class opens them directly.
    model = get_class(config.algo._target_).load(run_dir / "final_model.zip", device="cpu")
    assert model.num_timesteps == summary["timesteps"]
    assert (run_dir / "best_model.zip").exists()


def test_console_shows_progress_lines_in_plain_words(
    algo_run: Callable[[str, str], Path],
) -> None:
    out = console_of(algo_run("ppo", "breakout"))
    assert "Training PPO on breakout" in out
    assert "steps/s" in out and "left" in out
    assert "eval at" in out and "over 1 full game " in out  # one game: no plural
    assert "Final eval:" in out


def test_a_time_limit_ends_training_and_the_console_counts_down_to_it(workdir: Path) -> None:
    # A recipe's shape in small: a step budget that takes hours, a limit that takes seconds.
    limit = [
        "train.total_timesteps=1000000",
        "train.max_minutes=0.1",
        "train.eval_freq=0",
        "train.checkpoint_freq=0",
    ]
    result = run_cli([*tiny("ppo"), *limit], workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    assert "left of the 0.1-minute limit" in out
    assert "train.max_minutes=0.1 reached" in out
    summary = read_summary(the_run_dir(workdir))
    assert summary["status"] == "completed"
    assert 0 < summary["timesteps"] < 1_000_000
    assert summary["wall_time_s"] < 60  # 6 s of training, and not the hours the steps would take


def test_run_returns_the_final_eval_mean(tmp_path: Path) -> None:
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=tiny("ppo"))
    value = run(cfg, tmp_path)
    assert value == read_summary(tmp_path)["eval_mean_reward"]


def test_a_crash_after_start_is_recorded_in_summary(workdir: Path) -> None:
    result = run_cli([*tiny("ppo"), "+algo.policy_kwargs.not_an_sb3_argument=1"], workdir)
    assert result.returncode != 0
    summary = read_summary(the_run_dir(workdir))
    assert summary["status"] == "failed"
    assert "not_an_sb3_argument" in summary["error"]


def test_an_error_after_the_run_finished_leaves_it_completed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen in real use: the end-of-run plot raised, and a run whose models and evaluations
    # were whole was recorded as failed. Here the plot is made to raise an unexpected error.
    def broken_plot(run_dir: Path) -> Path:
        raise RuntimeError("broken plot")

    monkeypatch.setattr("simple_game.records.plots.plot_learning_curve", broken_plot)
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=tiny("ppo"))
    with pytest.raises(RuntimeError, match="broken plot"):
        run(cfg, tmp_path)
    summary = read_summary(tmp_path)
    assert summary["status"] == "completed"
    assert summary["error"] is None
    assert (tmp_path / "final_model.zip").exists()


def test_cfg_does_not_import_gymnasium_or_ale(workdir: Path) -> None:
    # The seed notes ask for lazy gymnasium imports (an upstream segfault on macOS/MPS);
    # --help is checked the same way in tests/test_layout.py.
    timing = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simple_game", "--cfg", "job"],
        cwd=workdir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert timing.returncode == 0, timing.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in timing.stderr.splitlines()}
    assert "hydra" in imported  # the import log is really there
    assert "gymnasium" not in imported
    assert "ale_py" not in imported
    assert "optuna" not in imported  # the sweeper plugin loads it only for a sweep
    assert not (workdir / "runs").exists()


@pytest.mark.parametrize("module", ["simple_game", "simple_game.evaluate"])
def test_help_opens_with_the_command_not_with_hydras_banner(module: str, workdir: Path) -> None:
    result = run_cli(["--help"], workdir, module=module)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"python -m {module} ")
    assert "powered by Hydra" not in result.stdout
