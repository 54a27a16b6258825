"""How far a run is, in plain words: the stopwatch, the console line and the heartbeat.

SB3 shows a progress bar; what it lacks is a plain-language line for newcomers (how far, how
fast, how long to go, how well the agent plays) and a heartbeat in summary.json that tells a
live run from a dead one. :class:`ProgressReportCallback` adds both.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, ProgressBarCallback

from simple_game.records.summary import RunRecord
from simple_game.text import format_duration

log = logging.getLogger(__name__)


@dataclass
class Stopwatch:
    """Training time of a run, across the sessions of a resumed run.

    ``session()`` times this process (for steps/s); ``total()`` adds the wall time of earlier
    sessions (for summary.json's ``wall_time_s``).
    """

    previous_s: float = 0.0
    start_steps: int = 0
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None

    def stop(self) -> None:
        """End of training: the final evaluation does not count as training time."""
        self.stopped = time.monotonic()

    def session(self) -> float:
        return (self.stopped or time.monotonic()) - self.started

    def total(self) -> float:
        return self.previous_s + self.session()

    def steps_per_s(self, timesteps: int) -> float:
        elapsed = self.session()
        return (timesteps - self.start_steps) / elapsed if elapsed > 0 else 0.0


def time_left(
    steps_left: int, speed: float, trained_s: float, max_minutes: float | None
) -> tuple[float, bool]:
    """Seconds until training ends, and whether the time limit is what ends it.

    A run ends at ``train.total_timesteps`` or at ``train.max_minutes``, whichever comes
    first. The recipes fit their schedules to a budget they do not reach within their time
    limit (pong_pqn: 8M steps, about 3.6M in its hour), so counting steps alone would promise
    hours to a run that stops within the hour.
    """
    by_steps = steps_left / speed if speed > 0 else 0.0
    if max_minutes is None:
        return by_steps, False
    by_clock = max(60 * max_minutes - trained_s, 0.0)
    return min(by_steps, by_clock), by_clock < by_steps


class ProgressReportCallback(BaseCallback):
    """Every ``interval_s`` seconds: a plain-language console line and a summary.json heartbeat.

    The line answers a newcomer's questions: how far along, how fast, how long to go (to the
    step budget or the time limit, whichever comes first), how well the agent plays in
    training games (full-game scores, last 100 games) and at the last evaluation.
    """

    def __init__(
        self,
        record: RunRecord,
        total_timesteps: int,
        interval_s: float,
        stopwatch: Stopwatch,
        label: str,
        max_minutes: float | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self.total_timesteps = total_timesteps
        self.max_minutes = max_minutes
        self.interval_s = interval_s
        self.stopwatch = stopwatch
        self.label = label
        self.last_report = time.monotonic()

    def _on_step(self) -> bool:
        now = time.monotonic()
        if now - self.last_report >= self.interval_s:
            self.last_report = now
            self.report()
        return True

    def report(self) -> None:
        speed = self.stopwatch.steps_per_s(self.num_timesteps)
        trained_s = self.stopwatch.total()  # one reading for the heartbeat and the time left
        self.record.progress(self.num_timesteps, trained_s, speed)
        left, by_clock = time_left(
            self.total_timesteps - self.num_timesteps, speed, trained_s, self.max_minutes
        )
        limit = f" of the {self.max_minutes:g}-minute limit" if by_clock else ""
        parts = [
            f"[{self.label}] {self.num_timesteps:,}/{self.total_timesteps:,} steps "
            f"({100 * self.num_timesteps / self.total_timesteps:.0f}%)",
            f"{speed:,.0f} steps/s",
            f"about {format_duration(left)} left{limit}",
        ]
        episodes = [info["r"] for info in self.model.ep_info_buffer or []]
        if episodes:
            parts.append(
                f"training games: avg score {np.mean(episodes):.1f} over the last {len(episodes)}"
            )
        else:
            parts.append("no training game finished yet")
        if self.record.last_eval is not None:
            parts.append("last eval {:.1f} ± {:.1f}".format(*self.record.last_eval))
        log.info(" | ".join(parts))


class TimeLimitProgressBar(ProgressBarCallback):
    """SB3's progress bar, counting training minutes to ``train.max_minutes`` instead of steps.

    SB3's bar counts steps to ``train.total_timesteps`` and shows the time that would take: 2
    hours for a recipe that stops within the hour (pong_pqn's 8M steps), beside a console line
    that says "about 26s left of the 4-minute limit". With a time limit this bar counts
    training seconds to the limit (evaluations included, as the limit counts them), so the two
    clocks agree; the steps stay in the console line. A run that reaches its step budget or its
    target first simply ends earlier.
    """

    def __init__(self, stopwatch: Stopwatch, max_minutes: float) -> None:
        super().__init__()
        self.stopwatch = stopwatch
        self.limit_s = round(60 * max_minutes)

    def _on_training_start(self) -> None:
        from tqdm.rich import tqdm

        self.pbar = tqdm(total=self.limit_s, initial=self._shown(), unit="s", desc="time limit")

    def _on_step(self) -> bool:
        shown = self._shown()
        if shown > self.pbar.n:
            self.pbar.update(shown - self.pbar.n)
        return True

    def _shown(self) -> int:
        return min(round(self.stopwatch.total()), self.limit_s)
