"""Finding a run's checkpoints and checking that one can be opened (no SB3 needed).

``training.checkpoints`` writes them; resuming and evaluation find them here.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from simple_game.errors import UserError
from simple_game.records.paths import CHECKPOINT_PATTERN, REPLAY_BUFFER_PATTERN, RunPaths


def steps_of(pattern: re.Pattern[str], path: Path) -> int | None:
    match = pattern.match(path.name)
    return int(match["steps"]) if match else None


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(steps, path) of every periodic checkpoint of a run, oldest first."""
    folder = RunPaths(run_dir).checkpoints
    found = (
        [(steps_of(CHECKPOINT_PATTERN, p), p) for p in folder.glob("*_steps.zip")]
        if folder.is_dir()
        else []
    )
    return sorted((steps, p) for steps, p in found if steps is not None)


def latest_replay_buffer(run_dir: Path, max_steps: int) -> Path | None:
    """The newest replay buffer saved at or before ``max_steps``."""
    folder = RunPaths(run_dir).checkpoints
    buffers = [
        (steps_of(REPLAY_BUFFER_PATTERN, p), p) for p in folder.glob("replay_buffer_*_steps.pkl")
    ]
    usable = sorted((s, p) for s, p in buffers if s is not None and s <= max_steps)
    return usable[-1][1] if usable else None


def check_checkpoint(path: Path, key: str, advice: str) -> None:
    """Raise :class:`UserError` (about ``key``, with ``advice``) if ``path`` is not a readable
    SB3 zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None or "data" not in archive.namelist():
                raise zipfile.BadZipFile("damaged member")
    except (zipfile.BadZipFile, OSError) as err:
        raise UserError(
            f"{key}: checkpoint {path} is damaged ({err}); {advice}", key=key.split("=", 1)[0]
        ) from err
