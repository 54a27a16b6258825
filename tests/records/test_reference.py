"""Reference curves: the band a recipe's measured runs make, drawn on a run of that recipe."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from simple_game.records import reference
from simple_game.records.machine import machine_name
from simple_game.records.paths import RunPaths
from simple_game.records.plots import learning_curve_figure
from simple_game.records.reference import MINUTES, band, load_reference, reference_from_runs
from simple_game.records.run_summary import read_summary

TWO_SEEDS = {
    "recipe": "demo",
    "seeds": [
        # seed 0 stopped at its target after 200k steps; seed 1 trained on to 300k
        {"seed": 0, "curve": [[100_000, 2.0, -20.0], [200_000, 4.0, 18.0]]},
        {"seed": 1, "curve": [[100_000, 2.5, -21.0], [200_000, 5.0, 0.0], [300_000, 7.5, 19.0]]},
    ],
}


def test_band_spans_the_seeds_that_were_still_training() -> None:
    x, low, high = band(TWO_SEEDS)
    assert list(x) == [100_000, 200_000, 300_000]
    assert list(low) == [-21.0, 0.0, 19.0]  # at 300k only seed 1 is left
    assert list(high) == [-20.0, 18.0, 19.0]


def test_band_against_minutes_interpolates_between_evaluations() -> None:
    x, low, high = band(TWO_SEEDS, MINUTES)
    at_4 = list(x).index(4.0)
    # seed 1 at 4 minutes: between -21 (2.5 min) and 0 (5 min)
    assert low[at_4] == pytest.approx(-21 + 21 * (4.0 - 2.5) / 2.5)
    assert high[at_4] == 18.0
    assert np.all(low <= high)


def use_reference_dir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setattr(reference, "REFERENCE_DIR", folder)


def legend_texts(run_dir: Path) -> list[str]:
    figure = learning_curve_figure(run_dir)
    return [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def run_of_recipe(tiny_run: Path, tmp_path: Path, recipe: str | None) -> Path:
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("*.zip", "videos"))
    summary = json.loads(RunPaths(run).summary.read_text())
    RunPaths(run).summary.write_text(json.dumps({**summary, "recipe": recipe}))
    return run


def test_a_recipe_run_draws_its_reference_band(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_reference_dir(monkeypatch, tmp_path)
    (tmp_path / "demo.json").write_text(json.dumps(TWO_SEEDS))
    texts = legend_texts(run_of_recipe(tiny_run, tmp_path, "demo"))
    assert any(t.startswith("recipe demo: 2 measured runs") for t in texts), texts


def test_without_reference_curves_the_plot_is_drawn_without_a_band(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_reference_dir(monkeypatch, tmp_path)  # holds no reference file
    for recipe in ("demo", None):
        texts = legend_texts(run_of_recipe(tiny_run, tmp_path / str(recipe), recipe))
        assert not any(t.startswith("recipe") for t in texts), texts
        assert any(t.startswith("evaluation") for t in texts)
    assert load_reference("demo") is None and load_reference(None) is None


def test_reference_file_from_run_directories(tiny_run: Path) -> None:
    data = reference_from_runs("demo", [tiny_run])
    (seed,) = data["seeds"]
    steps, minutes, mean = seed["curve"][-1]
    assert steps >= 256 and minutes >= 0 and data["algo"] == "ppo" and data["env"] == "breakout"
    assert json.loads(json.dumps(data)) == data  # plain JSON


def test_each_seed_keeps_the_machine_it_trained_on(tiny_run: Path, tmp_path: Path) -> None:
    # Seeds are added one session at a time: the file must not claim the saving machine
    # trained them all.
    assert read_summary(tiny_run).machine == machine_name()
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(tiny_run, elsewhere)
    summary = RunPaths(elsewhere).summary
    summary.write_text(
        json.dumps({**json.loads(summary.read_text()), "machine": "Other CPU, 16 cores"})
    )
    data = reference_from_runs("demo", [tiny_run, elsewhere])
    assert [s["machine"] for s in data["seeds"]] == [machine_name(), "Other CPU, 16 cores"]
    assert data["machine"] == "; ".join(sorted([machine_name(), "Other CPU, 16 cores"]))


def test_a_reference_of_one_run_is_drawn_as_a_visible_line(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A band from the lowest to the highest of one run has no width: nothing would show.
    use_reference_dir(monkeypatch, tmp_path)
    one_seed = {"recipe": "demo", "seeds": TWO_SEEDS["seeds"][1:]}
    (tmp_path / "demo.json").write_text(json.dumps(one_seed))
    figure = learning_curve_figure(run_of_recipe(tiny_run, tmp_path, "demo"))
    (line,) = [ln for ln in figure.axes[0].lines if ln.get_label() == "recipe demo: 1 measured run"]
    assert list(line.get_xdata()) == [100_000, 200_000, 300_000]
    assert list(line.get_ydata()) == [-21.0, 0.0, 19.0] and line.get_linewidth() > 2
