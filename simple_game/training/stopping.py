"""Stop training cleanly: on Ctrl-C (SIGINT) or SIGTERM, and when a time limit is reached.

Python's default turns Ctrl-C into a KeyboardInterrupt wherever the code happens to be,
possibly in the middle of writing a file. Here the first signal only sets a flag; a callback
ends ``model.learn`` at the next step, and the run then saves a checkpoint and its summary.
A second Ctrl-C quits at once. ``train.max_minutes`` ends training the same way, as a
finished run (``train.target_score`` uses SB3's own ``StopTrainingOnRewardThreshold``).
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

from stable_baselines3.common.callbacks import BaseCallback

from simple_game.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from simple_game.training.progress import Stopwatch


class StopRequest:
    """Catches SIGINT/SIGTERM while installed; ``signal_name`` says which arrived first."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signal_name is not None:
            print("\nSecond interrupt: quitting now. The last checkpoint is kept.", file=sys.stderr)
            os._exit(EXIT_INTERRUPTED)
        self.signal_name = signal.Signals(signum).name
        print(
            f"\n{self.signal_name} received: stopping after this step and saving a checkpoint "
            "(press Ctrl-C again to quit at once).",
            file=sys.stderr,
        )


class StopOnRequestCallback(BaseCallback):
    """Returns False (which ends ``model.learn``) once a stop was requested."""

    def __init__(self, request: StopRequest) -> None:
        super().__init__()
        self.request = request

    def _on_step(self) -> bool:
        return self.request.signal_name is None


class StopAfterMinutes(BaseCallback):
    """Returns False once the run has trained ``minutes`` (all sessions of a resumed run)."""

    def __init__(self, stopwatch: Stopwatch, minutes: float) -> None:
        super().__init__()
        self.stopwatch = stopwatch
        self.limit_s = 60 * minutes

    def _on_step(self) -> bool:
        return self.stopwatch.total() < self.limit_s
