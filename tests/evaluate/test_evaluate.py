"""`python -m simple_game.evaluate`: real checkpoints of a real tiny run, real full games.

The shared ``tiny_run`` fixture (tests/conftest.py) trains one PPO Breakout run per session.
Evaluations write new files into it (evaluations/, videos/); tests that need to see exactly
what a command wrote work on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch as th
from omegaconf import OmegaConf
from stable_baselines3 import PPO
from stable_baselines3.common.utils import set_random_seed

from simple_game.envs.build import make_env
from simple_game.evaluate import evaluate
from simple_game.evaluate.result import format_header, format_report
from simple_game.records import scores
from tests.conftest import REPO, eval_cfg, run_cli


def copy_run(run_dir: Path, dest: Path, models: bool = True) -> Path:
    """A copy of a run's config and record (and its model files) to break or watch."""
    dest.mkdir(parents=True)
    shutil.copytree(run_dir / ".hydra", dest / ".hydra")
    for name in ("summary.json", "evaluations.jsonl", "progress.csv"):
        shutil.copy(run_dir / name, dest / name)
    if models:
        shutil.copy(run_dir / "best_model.zip", dest / "best_model.zip")
        shutil.copytree(run_dir / "checkpoints", dest / "checkpoints")
    return dest


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")}


def test_best_model_plays_full_games_and_writes_json(tiny_run: Path) -> None:
    result = evaluate(eval_cfg(f"run={tiny_run}", "episodes=2"))

    path = Path(result["file"])
    assert path.parent == tiny_run / "evaluations" and path.name.startswith("best_")
    saved = json.loads(path.read_text())
    assert saved == {k: v for k, v in result.items() if k not in ("file", "actions_chart")}
    assert Path(result["actions_chart"]) == path.with_name(f"{path.stem}_actions.png")
    assert (saved["checkpoint"], saved["algo"], saved["env_id"]) == (
        "best", "ppo", "BreakoutNoFrameskip-v4"
    )  # fmt: skip
    rewards = result["episode_rewards"]
    assert len(rewards) == len(result["episode_steps"]) == len(result["episode_frames"]) == 2
    assert result["mean_reward"] == pytest.approx(sum(rewards) / 2)
    assert result["min_reward"] == min(rewards) and result["max_reward"] == max(rewards)
    assert result["human_normalized_mean"] == pytest.approx(
        scores.human_normalized("breakout", result["mean_reward"])
    )
    # Full games: Breakout has 5 lives, and each agent step is 4 emulator frames plus the
    # no-op start, so a game is far longer than one life's worth of frames.
    for steps, frames in zip(result["episode_steps"], result["episode_frames"], strict=True):
        assert 4 * steps - 4 <= frames <= 4 * steps + 30 + 8

    report = format_report(result)
    assert "human-normalised" in report and "± " in report and str(path) in report


@pytest.mark.parametrize(
    ("checkpoint", "label", "steps"),
    [("final", "final", 256), ("latest", "ppo_256_steps", 256), ("128", "ppo_128_steps", 128)],
)
def test_any_checkpoint_of_a_run(tiny_run: Path, checkpoint: str, label: str, steps: int) -> None:
    result = evaluate(eval_cfg(f"run={tiny_run}", f"checkpoint={checkpoint}", "episodes=1"))
    assert (result["checkpoint"], result["model_timesteps"]) == (label, steps)
    assert Path(result["file"]).name.startswith(f"{label}_")


def test_matches_an_independent_loop_over_the_same_model(tiny_run: Path) -> None:
    seed = 123
    result = evaluate(eval_cfg(f"run={tiny_run}", "checkpoint=final", "episodes=2", f"seed={seed}"))

    # The same games by hand: the run's env, full games, actions sampled from the policy's
    # probabilities with the evaluation's seed (the first action whose cumulative probability
    # passes a uniform draw), same game seeds.
    run_cfg = OmegaConf.load(tiny_run / ".hydra" / "config.yaml")
    set_random_seed(seed)
    venv = make_env(run_cfg.env, n_envs=1, seed=seed, evaluation=True)
    model = PPO.load(tiny_run / "final_model.zip", device="cpu")
    rng = np.random.default_rng(seed)
    obs, games = venv.reset(), []
    while len(games) < 2:
        with th.no_grad():
            tensor, _ = model.policy.obs_to_tensor(obs)
            probs = model.policy.get_distribution(tensor).distribution.probs.numpy()
        action = np.minimum((probs.cumsum(axis=1) < rng.random((1, 1))).sum(axis=1), 3)
        obs, _, dones, infos = venv.step(action)
        if dones[0]:
            games.append(float(infos[0]["episode"]["r"]))
    venv.close()
    assert result["episode_rewards"] == pytest.approx(games)


def test_every_committed_reference_run_still_reads_as_a_typed_game() -> None:
    # Saved configs outlive the code: each committed run's env must still fit EnvConf.
    from simple_game.config.schema import EnvConf
    from simple_game.evaluate.target import load_run_config, run_env

    runs = sorted((REPO / "runs" / "reference").glob("*/seed*"))
    assert len(runs) >= 7  # one or more per recipe
    for run_dir in runs:
        env = run_env(load_run_config(run_dir))
        assert isinstance(env, EnvConf) and env.id.endswith("NoFrameskip-v4"), run_dir


def test_sticky_actions_and_seed_options_are_used_and_recorded(tiny_run: Path) -> None:
    result = evaluate(eval_cfg(f"run={tiny_run}", "episodes=1", "sticky_actions=0.25", "seed=7"))
    assert (result["sticky_actions"], result["seed"]) == (0.25, 7)
    # The saved run config still says what the run trained with.
    assert OmegaConf.load(tiny_run / ".hydra" / "config.yaml").env.sticky_actions == 0.0


def test_random_agent_on_a_runs_game(tiny_run: Path) -> None:
    result = evaluate(eval_cfg(f"run={tiny_run}", "agent=random", "episodes=2"))
    assert (result["agent"], result["checkpoint"], result["algo"]) == ("random", "random", None)
    assert Path(result["file"]).parent == tiny_run / "evaluations"
    assert "random agent on breakout" in format_header(result)
    assert sum(result["action_counts"]) == sum(result["episode_steps"])
    assert result["predicted_value"] is None and result["policy_entropy"] is None


def test_the_console_names_the_evaluation_first_and_the_actions_chosen_last(
    tiny_run: Path, tmp_path: Path
) -> None:
    result = run_cli([f"run={tiny_run}", "episodes=2"], tmp_path, "simple_game.evaluate")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.index("Evaluating ppo on breakout") < out.index("game 1 of 2") < out.index("score ")
    assert "A.L.E" not in out + result.stderr  # the emulator's banner is silenced
    assert "actions chosen over" in out and "policy entropy" in out
    saved = next(line.split("saved ", 1)[1] for line in out.splitlines() if "  saved " in line)
    data = json.loads(Path(saved).read_text())
    assert data["action_names"] == ["NOOP", "FIRE", "RIGHT", "LEFT"]  # ALE's, in Breakout
    assert sum(data["action_counts"]) == sum(data["episode_steps"])
    for name, count in zip(data["action_names"], data["action_counts"], strict=True):
        assert f"    {name:<5}  {count / sum(data['episode_steps']):6.1%}" in out
    assert 0 < data["policy_entropy"] <= np.log(4) + 1e-6
    assert data["value_steps"] > 0 and data["predicted_value"] is not None


def test_random_baseline_without_a_run(workdir: Path) -> None:
    result = run_cli(
        ["agent=random", "env=breakout", "episodes=2"], workdir, "simple_game.evaluate"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "random agent on breakout" in result.stdout and "human-normalised" in result.stdout
    (saved,) = (workdir / "runs" / "random_breakout" / "evaluations").glob("random_*.json")
    data = json.loads(saved.read_text())
    assert data["run"] is None and len(data["episode_rewards"]) == 2
    # Nothing else in the launch directory: no outputs/, .hydra/ or log files.
    assert {p.name for p in workdir.iterdir()} == {"runs"}


def _cli(args: list[str], cwd: Path, drop_display: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if drop_display:  # the one thing faked here: a machine without a desktop
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "simple_game.evaluate", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def _break_config(run_dir: Path, key: str, value: object) -> None:
    path = run_dir / ".hydra" / "config.yaml"
    cfg = OmegaConf.load(path)
    OmegaConf.update(cfg, key, value, force_add=True)
    if value is None:
        parent, _, leaf = key.rpartition(".")
        del OmegaConf.select(cfg, parent)[leaf]
    OmegaConf.save(cfg, path)


@pytest.mark.parametrize(
    ("case", "args", "expected"),
    [
        ("missing dir", ["run={root}/nope"], "error: run="),
        ("no checkpoint", ["run={bare}"], "error: checkpoint=best"),
        ("step not saved", ["run={run}", "checkpoint=999"], "error: checkpoint=999"),
        ("algo gone", ["run={no_algo}"], "no longer composes"),
        ("env key gone", ["run={no_wrapper}"], "no longer composes"),
        ("typo", ["run={run}", "episode=3"], "did you mean episodes"),
        ("no display", ["run={run}", "watch=true"], "use video=true"),
        ("window and video", ["run={run}", "watch=true", "video=true"], "exclude each other"),
        ("bad checkpoint name", ["run={run}", "checkpoint=newest"], "use best, final, latest"),
        ("no run, no game", ["agent=random"], "error: run="),
        (
            "negative seed",
            ["run={run}", "seed=-1"],
            "seed=-1: must be a whole number from 0 to 1,000,000,000",
        ),
        ("boolean typo", ["run={run}", "deterministic=maybe"], "deterministic=maybe: must be"),
        ("video typo", ["run={run}", "video=sure"], "video=sure: must be true or false"),
        ("epsilon too big", ["run={run}", "epsilon=2"], "epsilon=2.0: must be between 0 and 1"),
        ("comma in a value", ["run={run}", "checkpoint=best,final"], "needs -m"),
        ("montage, no models", ["run={bare}", "montage=true"], "has no saved model, and a montage"),
        (
            "explain random play",
            ["run={run}", "agent=random", "explain=true"],
            "no network to explain",
        ),
        (
            "montage and explain",
            ["run={run}", "montage=true", "explain=true"],
            "drop agent=random, explain",
        ),
        (
            "saliency every 0",
            ["run={run}", "saliency_every=0"],
            "saliency_every=0: must be a whole number >= 1",
        ),
        (
            "match typo",
            ["run={run}", "compare={run}", "match=time"],
            "match=time: must be one of steps, minutes",
        ),
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(
    tiny_run: Path, tmp_path: Path, case: str, args: list[str], expected: str
) -> None:
    run = copy_run(tiny_run, tmp_path / "run")
    bare = copy_run(tiny_run, tmp_path / "bare", models=False)
    no_algo = copy_run(tiny_run, tmp_path / "no_algo")
    _break_config(no_algo, "algo._target_", "stable_baselines3.NoSuchAlgo")
    no_wrapper = copy_run(tiny_run, tmp_path / "no_wrapper")
    _break_config(no_wrapper, "env.wrapper", None)
    before = files_under(tmp_path)

    paths = {"root": tmp_path, "run": run, "bare": bare, "no_algo": no_algo,
             "no_wrapper": no_wrapper}  # fmt: skip
    result = _cli([a.format(**paths) for a in args], tmp_path, drop_display=case == "no display")

    assert result.returncode == 2, (case, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    assert files_under(tmp_path) == before, case


def test_observation_picture_shows_the_stacked_frames_beside_the_screen(
    tiny_run: Path, tmp_path: Path
) -> None:
    run = copy_run(tiny_run, tmp_path / "run")
    result = _cli([f"run={run}", "observation=true"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (picture,) = (run / "evaluations").glob("*_observation.png")
    assert str(picture) in result.stdout
    from PIL import Image

    with Image.open(picture) as image:
        width, height = image.size
    assert width > 2.5 * height  # the screen and four frames side by side
