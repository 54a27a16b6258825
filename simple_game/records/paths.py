"""The name of every file a run directory and a sweep directory hold, in one place.

Every module that reads or writes a run's files (training, evaluation, the report, the Optuna
sweeper) gets the path from here, so a name is said once. docs/run-directory.md describes
each file. This module imports nothing heavy: the sweeper plugin and the report use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Columns of progress.csv (SB3's CSV logger) that the project reads back.
STEP_COLUMN = "time/total_timesteps"
TRAIN_SCORE_COLUMN = "rollout/ep_rew_mean"  # mean full-game score of the last 100 training games

# Files an Optuna sweep (hydra_plugins/simple_game_sweeper) and Hydra's grid sweep leave in
# the sweep directory.
SWEEP_CONFIG_FILE = "multirun.yaml"
OPTUNA_RESULTS_FILE = "optimization_results.yaml"
BEST_OVERRIDES_FILE = "best_overrides.txt"

CHECKPOINT_PATTERN = re.compile(r"^(?P<algo>[a-z0-9]+)_(?P<steps>\d+)_steps\.zip$")
REPLAY_BUFFER_PATTERN = re.compile(r"^replay_buffer_(?P<steps>\d+)_steps\.pkl$")


@dataclass(frozen=True)
class RunPaths:
    """Every file of one run directory (``runs/<experiment>/<timestamp>/`` or a sweep job)."""

    root: Path

    @property
    def hydra_dir(self) -> Path:
        """Hydra's record of the run: config.yaml, overrides.yaml, hydra.yaml."""
        return self.root / ".hydra"

    @property
    def hydra_config(self) -> Path:
        """The composed config Hydra saved before the run started."""
        return self.hydra_dir / "config.yaml"

    @property
    def hydra_overrides(self) -> Path:
        """The command-line overrides the run was started with."""
        return self.hydra_dir / "overrides.yaml"

    @property
    def hydra_settings(self) -> Path:
        """Hydra's own settings of the run (hydra.yaml)."""
        return self.hydra_dir / "hydra.yaml"

    @property
    def train_log(self) -> Path:
        """The console lines with timestamps (named by ``hydra.job.name: train``)."""
        return self.root / "train.log"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def evaluations(self) -> Path:
        """One JSON line per evaluation during training."""
        return self.root / "evaluations.jsonl"

    @property
    def evaluation_results(self) -> Path:
        """Folder of ``python -m simple_game.evaluate`` results, one JSON file each."""
        return self.root / "evaluations"

    @property
    def progress_csv(self) -> Path:
        return self.root / "progress.csv"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best_model(self) -> Path:
        return self.root / "best_model.zip"

    @property
    def final_model(self) -> Path:
        return self.root / "final_model.zip"

    @property
    def learning_curve(self) -> Path:
        return self.root / "learning_curve.png"

    @property
    def action_mix(self) -> Path:
        """The share of each action at each evaluation of the run (records/action_plots.py)."""
        return self.root / "action_mix.png"

    @property
    def videos(self) -> Path:
        return self.root / "videos"

    def checkpoint(self, algo: str, steps: int) -> Path:
        """A periodic checkpoint, named as :data:`CHECKPOINT_PATTERN` reads it back."""
        return self.checkpoints / f"{algo}_{steps}_steps.zip"

    def replay_buffer(self, steps: int) -> Path:
        return self.checkpoints / f"replay_buffer_{steps}_steps.pkl"

    def observation(self, label: str) -> Path:
        """Picture of what the network sees (``evaluate ... observation=true``)."""
        return self.evaluation_results / f"{label}_observation.png"

    def saliency(self, label: str, step: int) -> Path:
        """Still saliency picture of one step (``evaluate ... saliency_step=<step>``)."""
        return self.evaluation_results / f"{label}_saliency_step{step}.png"

    def train_video(self, steps: int) -> Path:
        """Stem (no suffix) of the clip recorded at an evaluation during training."""
        return self.videos / f"train_{steps}_steps"


@dataclass(frozen=True)
class SweepPaths:
    """The files a ``-m`` sweep directory holds besides its job directories."""

    root: Path

    @property
    def sweep_config(self) -> Path:
        return self.root / SWEEP_CONFIG_FILE

    @property
    def optuna_results(self) -> Path:
        return self.root / OPTUNA_RESULTS_FILE

    @property
    def best_overrides(self) -> Path:
        return self.root / BEST_OVERRIDES_FILE


def runs_inside(folder: Path, depth: int = 3) -> list[Path]:
    """Run directories (those with ``.hydra/config.yaml``) inside ``folder``, at most ``depth``
    levels down, in name order: for an experiment folder, oldest first."""
    levels = ("*/" * n + ".hydra/config.yaml" for n in range(1, depth + 1))
    return sorted({config.parent.parent for pattern in levels for config in folder.glob(pattern)})


def not_a_run(key: str, value: str, folder: Path) -> str:
    """The one line for ``key=value`` naming a folder that is not a run: the runs inside it,
    newest last, when it holds any (``runs/ppo_pong`` is an experiment: its runs are inside)."""
    if not folder.is_dir():
        return f"{key}={value}: " + (
            "a file, not a run directory" if folder.exists() else "no such directory"
        )
    inside = runs_inside(folder)
    if not inside:
        return f"{key}={value}: not a run directory (no .hydra/config.yaml in it)"
    shown = ", ".join(str(Path(value) / p.relative_to(folder)) for p in inside[-3:])
    more = f" (and {len(inside) - 3} more)" if len(inside) > 3 else ""
    return f"{key}={value}: a folder of {len(inside)} runs, not a run; pick one: {shown}{more}"
