"""Watching the agent think: the panel's numbers are the model's outputs, saliency finds what a
network depends on, and the montage plays each saved model in step order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simple_game.envs.games import action_names
from simple_game.evaluate.explain import ExplainedGames
from simple_game.model.acting import EvaluationAgent
from simple_game.model.outputs import network_outputs
from simple_game.model.saliency import saliency
from simple_game.records.video import screen
from tests.conftest import run_cli
from tests.evaluate.test_evaluate import copy_run
from tests.model.test_outputs import pong_model


@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn", "qrdqn", "pqn"])
def test_the_panel_shows_exactly_the_models_outputs(algo: str, tmp_path: Path) -> None:
    from simple_game.envs.build import make_env
    from tests.conftest import env_config

    model, _ = pong_model(algo)
    venv = make_env(env_config("pong"), n_envs=1, seed=3, evaluation=True, render_mode="rgb_array")
    epsilon = 0.5 if algo in ("dqn", "qrdqn", "pqn") else None  # random actions show too
    agent = EvaluationAgent(model, epsilon, seed=0)
    names = list(action_names("PongNoFrameskip-v4"))
    games = ExplainedGames(agent, tmp_path, "best", f"{algo} test", names, 15.0, gif=True)
    observation, seen = venv.reset(), []
    for _ in range(40):
        shown = screen(venv)
        actions, _ = agent.predict(observation)
        seen.append(observation[0].copy())
        observation, rewards, _, _ = venv.step(actions)
        games.step(seen[-1], shown, int(actions[0]), float(rewards[0]))
    games.end_game()
    venv.close()
    rows = [
        json.loads(line)
        for line in (tmp_path / "best_explained_ep01.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 40 and (tmp_path / "best_explained_ep01.mp4").stat().st_size > 0
    assert (tmp_path / "best_explained_ep01.gif").exists()
    recomputed = network_outputs(model, np.stack(seen))  # the same observations, in one batch
    expected = recomputed.q_values if recomputed.q_values is not None else recomputed.probs
    np.testing.assert_allclose([r["values"] for r in rows], expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose([r["value"] for r in rows], recomputed.value, rtol=1e-4, atol=1e-6)
    assert all(r["action_name"] == names[r["action"]] for r in rows)
    assert rows[0]["kind"] == ("policy" if epsilon is None else "q")
    if epsilon:  # a Q-learner's random actions are marked; its greedy ones are the argmax
        assert any(r["explored"] for r in rows) and not all(r["explored"] for r in rows)
        greedy = [r for r in rows if not r["explored"]]
        assert all(r["action"] == int(np.argmax(r["values"])) for r in greedy)
    if algo == "qrdqn":
        assert len(rows[0]["spread"]) == len(names)


def test_saliency_peaks_where_the_network_looks_and_is_near_zero_elsewhere() -> None:
    # A "network" whose outputs depend only on a 10x10 patch of the 84x84 frames.
    def score(batch: np.ndarray) -> np.ndarray:
        patch = batch[:, :, 40:50, 60:70]
        return np.stack([patch.mean(axis=(1, 2, 3)), patch[:, -1].std(axis=(1, 2))], axis=1)

    rng = np.random.default_rng(0)
    observation = rng.integers(0, 256, size=(4, 84, 84), dtype=np.uint8)
    heat = saliency(observation, score)
    assert heat.shape == (84, 84)
    peak = np.unravel_index(np.argmax(heat), heat.shape)
    assert 35 <= peak[0] <= 55 and 55 <= peak[1] <= 75
    far = heat.copy()
    far[25:65, 45:84] = 0  # everything more than 15 pixels from the patch
    assert far.max() < 0.01 * heat.max()


def test_an_explained_evaluation_writes_its_video_rows_and_saliency_picture(
    tiny_run: Path, tmp_path: Path
) -> None:
    run = copy_run(tiny_run, tmp_path / "run")
    args = [f"run={run}", "episodes=1", "saliency=true", "saliency_every=8", "saliency_step=5"]
    result = run_cli(args, tmp_path, "simple_game.evaluate")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "saliency: 289 blurred copies" in out and out.index("saliency:") < out.index("game 1")
    rows = (run / "videos" / "best_explained_ep01.jsonl").read_text().splitlines()
    saved = json.loads(next(run.glob("evaluations/best_*.json")).read_text())
    assert len(rows) == saved["episode_steps"][0]  # one row per step of the game
    assert (run / "videos" / "best_explained_ep01.mp4").exists()
    assert (run / "evaluations" / "best_saliency_step5.png").exists()


def test_a_montage_plays_each_saved_model_in_step_order(tiny_run: Path, tmp_path: Path) -> None:
    run = montage_copy(tiny_run, tmp_path / "run")
    result = run_cli([f"run={run}", "montage=true", "montage_seconds=2"], tmp_path,
                     "simple_game.evaluate")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [
        line for line in result.stdout.splitlines() if line.startswith("  ") and " steps: " in line
    ]
    assert [int(line.split()[0].replace(",", "")) for line in lines] == [128, 256]
    width, height, frames = video_size(run / "videos" / "montage.mp4")
    assert (width, height) == (320, 464)  # the screen at twice its size under its caption
    assert frames == 2 * 30  # 2 seconds at 15 frames a second, per model


def test_compare_puts_the_other_runs_nearest_model_beside_each_clip(
    tiny_run: Path, tmp_path: Path
) -> None:
    run = montage_copy(tiny_run, tmp_path / "run")
    other = montage_copy(tiny_run, tmp_path / "other")
    args = [f"run={run}", f"compare={other}", "match=steps", "montage=true", "montage_seconds=1"]
    result = run_cli(args, tmp_path, "simple_game.evaluate")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if " steps of the other: " in line]
    # each of this run's models is matched with the other's at the same step count
    assert [line.split()[0] for line in lines] == ["128", "256"]
    assert all(line.split(";")[1].split()[0] == line.split()[0] for line in lines)
    width, height, frames = video_size(
        run / "videos" / f"versus_{other.parent.name}_{other.name}.mp4"
    )
    assert (width, height) == (320 + 8 + 320, 464)  # two clips and the gap between them
    assert frames == 2 * 15  # 1 second at 15 frames a second, per pair of models


@pytest.mark.parametrize(
    ("other", "expected"),
    [("nowhere", "compare={other}: no such directory"),
     ("bare", "montage=true: compare={other} has no saved model")],
)  # fmt: skip
def test_a_bad_compare_run_is_named_by_compare(
    tiny_run: Path, tmp_path: Path, other: str, expected: str
) -> None:
    run = montage_copy(tiny_run, tmp_path / "run")
    other_dir = tmp_path / other
    if other == "bare":
        copy_run(tiny_run, other_dir, models=False)
    result = run_cli([f"run={run}", f"compare={other_dir}", "montage=true"], tmp_path,
                     "simple_game.evaluate")  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {expected.format(other=other_dir)}"), line


def video_size(video: Path) -> tuple[int, int, int]:
    """A video's width, height and number of frames, as a player reads them."""
    from moviepy import VideoFileClip

    with VideoFileClip(str(video)) as clip:
        width, height = clip.size
        return width, height, round(clip.duration * clip.fps)


def montage_copy(run_dir: Path, dest: Path) -> Path:
    """A copy of a run with its checkpoints and final model: the models a montage plays."""
    copy = copy_run(run_dir, dest)
    (copy / "final_model.zip").write_bytes((run_dir / "final_model.zip").read_bytes())
    return copy
