"""Where SB3's training metrics go (TensorBoard event files and progress.csv in the run dir),
and the one metric the project adds to SB3's: the Q-values of DQN and QR-DQN."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch as th
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import CSVOutputFormat, Logger, TensorBoardOutputFormat

from simple_game.records.paths import STEP_COLUMN, RunPaths

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm


class AppendingCSVOutputFormat(CSVOutputFormat):
    """SB3's CSV writer, but continuing an existing progress.csv instead of erasing it.

    SB3 opens the file with mode "w+", so a resumed run would lose its history. Here rows
    logged after the checkpoint we resume from (``keep_until`` steps) are dropped, since
    that training is being redone, and new rows are appended under the existing header.
    """

    def __init__(self, filename: Path, keep_until: int) -> None:  # noqa: D107
        rows: list[list[str]] = []
        if filename.exists() and keep_until > 0:
            with open(filename, newline="") as f:
                rows = list(csv.reader(f))
        header = rows[0] if rows else []
        if STEP_COLUMN in header:
            column = header.index(STEP_COLUMN)
            rows = [header] + [r for r in rows[1:] if r[column] and float(r[column]) <= keep_until]
        self.file = open(filename, "w+", newline="")  # noqa: SIM115 - SB3 keeps it open
        csv.writer(self.file, lineterminator="\n").writerows(rows)
        self.file.flush()
        self.keys = list(header)
        self.separator = ","
        self.quotechar = '"'
        self.file.seek(0, os.SEEK_END)


def attach_run_logger(model: BaseAlgorithm, run_dir: Path) -> None:
    """Log the model's metrics to TensorBoard and progress.csv in ``run_dir``.

    On a resume, TensorBoard gets a new event file in the same folder; steps carry on from
    the checkpoint, so the curves continue instead of restarting at zero.
    """
    paths = RunPaths(run_dir)
    model.set_logger(
        Logger(
            folder=str(run_dir),
            output_formats=[
                AppendingCSVOutputFormat(paths.progress_csv, keep_until=model.num_timesteps),
                TensorBoardOutputFormat(str(paths.tensorboard)),
            ],
        )
    )


class QValueLogger(BaseCallback):
    """DQN and QR-DQN: log ``train/q_values``, the mean predicted Q-value of actions taken.

    SB3 logs only their loss, which cannot show overestimation or divergence: a TD loss stays
    small while every Q-value climbs together. Every ``every`` steps this takes a batch of
    stored transitions from the replay buffer and logs the mean of Q(s, a) for their actions
    (for QR-DQN the mean of the quantiles). PQN logs the same tag from its own update.
    """

    def __init__(self, every: int = 1000, batch_size: int = 256) -> None:
        super().__init__()
        self.every = every
        self.batch_size = batch_size
        self.next_log = 0

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer = getattr(self.model, "replay_buffer", None)
        if self.num_timesteps < self.next_log or buffer is None or buffer.size() == 0:
            return
        self.next_log = self.num_timesteps + self.every
        batch = buffer.sample(self.batch_size)
        policy = self.model.policy
        with th.no_grad():
            if hasattr(policy, "quantile_net"):  # QR-DQN: (batch, quantiles, actions)
                q_values = policy.quantile_net(batch.observations).mean(dim=1)
            else:
                q_values = policy.q_net(batch.observations)
        taken = q_values.gather(1, batch.actions.long().reshape(-1, 1))
        self.logger.record("train/q_values", float(taken.mean()))
