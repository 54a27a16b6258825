"""learning_curve.png: drawn at the end of training and on demand, a valid readable image."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from simple_game.records.paths import RunPaths
from simple_game.records.plots import plot_learning_curve, training_scores
from tests.conftest import run_cli


def test_training_run_ends_with_a_learning_curve(tiny_run: Path) -> None:
    path = RunPaths(tiny_run).learning_curve
    with Image.open(path) as image:
        image.verify()  # a complete, valid PNG
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1210, 550)


def test_training_scores_come_from_progress_csv(tiny_run: Path) -> None:
    steps, values = training_scores(tiny_run)
    # n_envs=1 and 256 steps: at least one full Breakout game finished during training.
    assert steps and len(steps) == len(values) and steps == sorted(steps)
    assert all(0 < s <= 256 for s in steps)


def test_plot_only_redraws_from_the_logs(tiny_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    shutil.copytree(tiny_run / ".hydra", run / ".hydra")
    for name in ("summary.json", "evaluations.jsonl", "progress.csv"):
        shutil.copy(tiny_run / name, run / name)

    result = run_cli([f"run={run}", "plot_only=true"], tmp_path, "simple_game.evaluate")
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(RunPaths(run).learning_curve) in result.stdout
    with Image.open(RunPaths(run).learning_curve) as image:
        assert image.format == "PNG"


def test_a_run_without_logs_still_gets_a_plot(tiny_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run / ".hydra", run / ".hydra")  # e.g. killed before the first eval
    with Image.open(plot_learning_curve(run)) as image:
        assert image.format == "PNG"


def test_two_evaluations_of_the_same_weights_are_one_point_of_their_pooled_games(
    tmp_path: Path,
) -> None:
    # The last periodic evaluation and the final one both at 256 steps: the same model.
    import matplotlib.pyplot as plt

    from simple_game.records.plots import _draw_evaluations
    from simple_game.records.summary import RunRecord

    record = RunRecord(tmp_path)
    record.add_evaluation(128, [-21.0, -20.0], [800, 800], 1.0)
    record.add_evaluation(256, [4.0, 5.0], [900, 900], 2.0)
    record.add_evaluation(256, [1.0, 2.0], [900, 900], 3.0)
    figure, ax = plt.subplots()
    assert _draw_evaluations(ax, tmp_path)
    line = ax.get_lines()[0]  # the means; the bars and their caps follow
    plt.close(figure)
    assert list(line.get_xdata()) == [128, 256]
    assert list(line.get_ydata()) == [-20.5, 3.0]  # not a drop from 4.5 to 1.5


def test_an_evaluations_bar_spans_its_lowest_to_its_highest_game(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from simple_game.records.plots import _draw_evaluations
    from simple_game.records.summary import RunRecord

    RunRecord(tmp_path).add_evaluation(256, [-21.0, -21.0, -21.0, -15.0], [800] * 4, 1.0)
    figure, ax = plt.subplots()
    assert _draw_evaluations(ax, tmp_path)
    (container,) = ax.containers  # the evaluations' error bars
    _, _, (bars,) = container.lines
    (segment,) = bars.get_segments()
    plt.close(figure)
    # the games' range, inside Pong's scores; mean - std (-22.6 here) would fall below -21
    assert list(segment[:, 1]) == [-21.0, -15.0]
