"""evaluations.jsonl read back as a curve: one point per step count."""

from __future__ import annotations

from pathlib import Path

from simple_game.records.evaluations import EvaluationPoint, evaluation_points, read_evaluations
from simple_game.records.reference import reference_from_runs
from simple_game.records.summary import RunRecord


def run_whose_final_evaluation_repeats_the_last_step(run_dir: Path) -> Path:
    # The last periodic evaluation and the final one both at 256 steps: the same model.
    record = RunRecord(run_dir)
    record.add_evaluation(128, [-21.0, -20.0], [800, 800], 60.0)
    record.add_evaluation(256, [4.0, 5.0], [900, 900], 120.0)
    record.add_evaluation(256, [1.0, 2.0], [900, 900], 150.0)
    return run_dir


def test_a_repeated_step_count_is_one_point_of_the_pooled_games(tmp_path: Path) -> None:
    points = evaluation_points(run_whose_final_evaluation_repeats_the_last_step(tmp_path))
    assert [p.timesteps for p in points] == [128, 256]
    assert points[1].games == [4.0, 5.0, 1.0, 2.0]
    assert points[1].wall_time_s == 120.0  # when the step count was first reached


def test_lines_without_a_step_count_or_a_finite_score_are_left_out(tmp_path: Path) -> None:
    # A hand-edited file: the usable line still counts, its time unknown rather than zero,
    # and a field of the wrong type reads as unknown rather than breaking the line.
    lines = [
        '{"timesteps": 100, "mean_reward": NaN}',
        '{"mean_reward": 1.0}',
        '{"timesteps": "soon", "mean_reward": 2.0}',
        '{"timesteps": 200, "mean_reward": 3.0, "seed": "none", "episode_rewards": "?"}',
        '{"timesteps": 300, "mean',  # torn by a kill
    ]
    (tmp_path / "evaluations.jsonl").write_text("\n".join(lines) + "\n")
    assert evaluation_points(tmp_path) == [EvaluationPoint(200, None, [3.0])]
    (evaluation,) = read_evaluations(tmp_path)
    assert evaluation.seed is None and evaluation.episode_rewards == []


def test_reference_curves_have_one_row_per_step_count(tmp_path: Path) -> None:
    (seed,) = reference_from_runs(
        "demo", [run_whose_final_evaluation_repeats_the_last_step(tmp_path)]
    )["seeds"]
    assert seed["curve"] == [[128, 1.0, -20.5], [256, 2.0, 3.0]]
