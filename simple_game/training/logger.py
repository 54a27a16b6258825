"""Where SB3's training metrics go: TensorBoard event files and progress.csv in the run dir."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

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
