"""Saving checkpoints that survive a kill at any moment (finding them: records.checkpoints).

SB3's ``CheckpointCallback`` writes straight into the final file name, so a kill during a
save leaves a truncated zip that looks like the newest checkpoint; it also keeps every
checkpoint and one replay buffer per checkpoint (about 5.6 GB each for DQN's 100k buffer).
This module writes through a temporary file and an atomic rename (records.files.write_atomically),
keeps the last N checkpoints, keeps only the newest replay buffer, and saves only the part of
the buffer that holds transitions.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.save_util import save_to_pkl

from simple_game.records.checkpoints import list_checkpoints, steps_of
from simple_game.records.files import write_atomically
from simple_game.records.paths import REPLAY_BUFFER_PATTERN, RunPaths

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.buffers import ReplayBuffer

# The arrays of SB3's ReplayBuffer that hold one row per stored transition.
_ROW_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def save_replay_buffer(model: OffPolicyAlgorithm, file: BinaryIO) -> None:
    """SB3's ``save_replay_buffer``, leaving out the rows no transition has reached yet.

    SB3 pickles the whole preallocated buffer: 5.6 GB for DQN's 100k Atari frames even when
    only 256 steps were played. Until the buffer wraps, rows ``[0, pos)`` are all it holds.
    """
    buffer = model.replay_buffer
    assert buffer is not None, "only off-policy models have a replay buffer"
    if not buffer.full:
        buffer = copy.copy(buffer)  # shallow: the model keeps its full-size arrays
        for name in _ROW_ARRAYS:
            rows = getattr(buffer, name, None)
            if isinstance(rows, np.ndarray):
                setattr(buffer, name, rows[: buffer.pos])
    save_to_pkl(file, buffer)  # type: ignore[arg-type]


def load_replay_buffer(model: OffPolicyAlgorithm, path: Path) -> None:
    """SB3's ``load_replay_buffer``, then grow the rows :func:`save_replay_buffer` left out."""
    model.load_replay_buffer(path)
    buffer: ReplayBuffer = model.replay_buffer  # type: ignore[assignment]
    for name in _ROW_ARRAYS:
        rows = getattr(buffer, name, None)
        if isinstance(rows, np.ndarray) and len(rows) < buffer.buffer_size:
            full = np.zeros((buffer.buffer_size, *rows.shape[1:]), dtype=rows.dtype)
            full[: len(rows)] = rows
            setattr(buffer, name, full)


def save_checkpoint(
    model: BaseAlgorithm, run_dir: Path, algo: str, with_replay_buffer: bool
) -> Path:
    """Save ``model`` (and its replay buffer) as ``checkpoints/<algo>_<steps>_steps.zip``."""
    paths = RunPaths(run_dir)
    paths.checkpoints.mkdir(parents=True, exist_ok=True)
    steps = model.num_timesteps
    path = paths.checkpoint(algo, steps)
    write_atomically(path, model.save)
    has_buffer = isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None
    if with_replay_buffer and has_buffer:
        buffer_path = paths.replay_buffer(steps)
        write_atomically(buffer_path, lambda file: save_replay_buffer(model, file))
        for old in paths.checkpoints.glob("replay_buffer_*_steps.pkl"):
            if (steps_of(REPLAY_BUFFER_PATTERN, old) or steps) < steps:
                old.unlink()  # only the newest buffer is worth its gigabytes
    return path


# train.checkpoint_freq=auto: a tenth of the budget, rounded up to a thousand steps, at most this.
AUTO_CHECKPOINT_MAX = 500_000


def checkpoint_every(setting: int | str, total_timesteps: int) -> int:
    """Steps between checkpoints: the setting, or for ``auto`` a tenth of the budget (at most
    :data:`AUTO_CHECKPOINT_MAX`), so a run of any length leaves checkpoints along the way."""
    if setting != "auto":
        return int(setting)
    step = -(-total_timesteps // 10)
    if step > 1000:
        step = -(-step // 1000) * 1000
    return min(step, AUTO_CHECKPOINT_MAX)


def thin_checkpoints(run_dir: Path, keep_last: int) -> None:
    """Delete periodic checkpoints but the newest ``keep_last`` and the first (0 keeps all).

    The newest are what a resume needs; the first shows the agent early in training, to
    compare with later ones (lesson 4).
    """
    if keep_last > 0:
        for _, path in list_checkpoints(run_dir)[1:-keep_last]:
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
