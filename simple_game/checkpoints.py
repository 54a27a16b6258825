"""Checkpoints that survive a kill at any moment, and finding the latest one to resume from.

SB3's ``CheckpointCallback`` writes straight into the final file name, so a kill during a
save leaves a truncated zip that looks like the newest checkpoint; it also keeps every
checkpoint and one replay buffer per checkpoint (about 5.6 GB each for DQN's 100k buffer).
This module writes through a temporary file and an atomic rename (rundir.write_atomically),
keeps the last N checkpoints, and keeps only the newest replay buffer.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from stable_baselines3.common.callbacks import BaseCallback

from simple_game.rundir import write_atomically

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm

CHECKPOINT_DIR = "checkpoints"
_MODEL = re.compile(r"^(?P<algo>[a-z0-9]+)_(?P<steps>\d+)_steps\.zip$")
_BUFFER = re.compile(r"^replay_buffer_(?P<steps>\d+)_steps\.pkl$")


class CorruptCheckpointError(ValueError):
    """A checkpoint zip that cannot be opened."""


def _steps_of(pattern: re.Pattern[str], path: Path) -> int | None:
    match = pattern.match(path.name)
    return int(match["steps"]) if match else None


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(steps, path) of every periodic checkpoint of a run, oldest first."""
    folder = run_dir / CHECKPOINT_DIR
    found = (
        [(_steps_of(_MODEL, p), p) for p in folder.glob("*_steps.zip")] if folder.is_dir() else []
    )
    return sorted((steps, p) for steps, p in found if steps is not None)


def latest_replay_buffer(run_dir: Path, max_steps: int) -> Path | None:
    """The newest replay buffer saved at or before ``max_steps``."""
    folder = run_dir / CHECKPOINT_DIR
    buffers = [(_steps_of(_BUFFER, p), p) for p in folder.glob("replay_buffer_*_steps.pkl")]
    usable = sorted((s, p) for s, p in buffers if s is not None and s <= max_steps)
    return usable[-1][1] if usable else None


def check_checkpoint(path: Path) -> None:
    """Raise :class:`CorruptCheckpointError` if ``path`` is not a readable SB3 zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None or "data" not in archive.namelist():
                raise zipfile.BadZipFile("damaged member")
    except (zipfile.BadZipFile, OSError) as err:
        raise CorruptCheckpointError(
            f"checkpoint {path} is damaged ({err}); delete it to resume from the one before"
        ) from err


def save_checkpoint(
    model: BaseAlgorithm, run_dir: Path, algo: str, with_replay_buffer: bool
) -> Path:
    """Save ``model`` (and its replay buffer) as ``checkpoints/<algo>_<steps>_steps.zip``."""
    folder = run_dir / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    steps = model.num_timesteps
    path = folder / f"{algo}_{steps}_steps.zip"
    write_atomically(path, model.save)
    if with_replay_buffer and getattr(model, "replay_buffer", None) is not None:
        write_atomically(folder / f"replay_buffer_{steps}_steps.pkl", model.save_replay_buffer)
        for old in folder.glob("replay_buffer_*_steps.pkl"):
            if (_steps_of(_BUFFER, old) or steps) < steps:
                old.unlink()  # only the newest buffer is worth its gigabytes
    return path


def thin_checkpoints(run_dir: Path, keep_last: int) -> None:
    """Delete all but the newest ``keep_last`` periodic checkpoints (0 keeps all)."""
    if keep_last > 0:
        for _, path in list_checkpoints(run_dir)[:-keep_last]:
            path.unlink()


class AtomicCheckpointCallback(BaseCallback):
    """Every ``save_freq`` agent steps: an atomic checkpoint, then thin the old ones."""

    def __init__(
        self, run_dir: Path, algo: str, save_freq: int, keep_last: int, with_replay_buffer: bool
    ) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.algo = algo
        self.save_freq = save_freq
        self.keep_last = keep_last
        self.with_replay_buffer = with_replay_buffer
        self.next_save = 0

    def _on_training_start(self) -> None:
        # Counted in agent steps, so the schedule survives a resume and any n_envs.
        self.next_save = (self.num_timesteps // self.save_freq + 1) * self.save_freq

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next_save:
            self.next_save += self.save_freq
            save_checkpoint(self.model, self.run_dir, self.algo, self.with_replay_buffer)
            thin_checkpoints(self.run_dir, self.keep_last)
        return True
