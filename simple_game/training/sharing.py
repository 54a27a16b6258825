"""Trainings that run at the same time share the CPU cores instead of fighting over them.

torch computes each layer with a team of OpenMP threads, one per core by default, and every
team waits at a barrier until all its threads are done. Two trainings on a 2-core machine
make four such threads for two cores: at each of the thousands of small operations per
second, one thread waits for a partner the OS has paused, and both runs crawl. Measured here
(PPO Pong, docs/performance.md, a 2-core EPYC): one run alone 1,136 steps/s; two at once with
two threads each 29.6 steps/s each; two at once sharing the cores 582 and 621.

So a training with ``hardware.torch_threads=0`` (the default) registers itself in a folder
shared by the user's trainings, counts the live ones every few seconds, and gives torch
``cores // trainings`` threads (at least one). A second run in another terminal, a joblib
sweep or the test suite then share the machine without anyone setting threads. A training
that dies leaves a file whose lock the OS has released; the next count removes it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import IO

import torch as th
from stable_baselines3.common.callbacks import BaseCallback

from simple_game.records.machine import usable_cores
from simple_game.text import plural

log = logging.getLogger(__name__)

# How often a training recounts the others: often enough to react within a few seconds.
RECOUNT_S = 2.0
SAY_EVERY_S = 60.0  # and how often, at most, it tells the console of a new share


def registry_dir() -> Path:
    """The folder where this user's running trainings register (one locked file each)."""
    return Path(tempfile.gettempdir()) / f"simple_game-{os.getuid()}" / "trainings"


class CpuShare:
    """This training's entry in the registry, and the thread count it implies.

    Use as a context manager around training: the entry exists while the training runs.
    """

    def __init__(self, folder: Path | None = None, cores: int | None = None) -> None:
        self.folder = folder or registry_dir()
        self.cores = cores or usable_cores()
        self._file: IO[bytes] | None = None
        self.threads = 0
        self.most_seen = 0  # the most trainings counted at once (this one included)
        self.said, self.said_at = 0, float("-inf")  # the thread count last told, and when

    def __enter__(self) -> CpuShare:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Lock a temporary name first, then rename: another training never sees an unlocked
        # entry of a live run (which it would take for a dead one and delete).
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".new-")
        self._file = os.fdopen(fd, "wb")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        self.path = self.folder / f"{os.getpid()}-{time.monotonic_ns()}"
        os.replace(tmp, self.path)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self._file.close()  # releases the lock
            self._file = None

    def live_trainings(self) -> int:
        """Registered trainings whose process still holds its lock (this one included)."""
        live = 0
        for entry in self.folder.iterdir():
            if entry.name.startswith(".new-"):
                continue
            if entry == getattr(self, "path", None):
                live += 1
                continue
            try:
                with open(entry, "rb") as f:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    entry.unlink(missing_ok=True)  # we got the lock: its training is gone
            except BlockingIOError:
                live += 1
            except FileNotFoundError:
                continue  # that training ended while we looked
        return live

    def adjust(self) -> int:
        """Give torch this training's share of the cores; returns the thread count.

        The share follows other trainings within seconds, but the console hears of it at most
        once a minute (:data:`SAY_EVERY_S`), with the count as it then stands: a test suite or a
        sweep starting and ending trainings would otherwise print a line every few seconds.
        """
        trainings = self.live_trainings()
        self.most_seen = max(self.most_seen, trainings)
        threads = max(1, self.cores // max(trainings, 1))
        if threads != self.threads:
            th.set_num_threads(threads)
            if not self.threads:  # the first choice is part of the start-up lines
                self.said = threads
            self.threads = threads
        now = time.monotonic()
        if self.threads != self.said and now - self.said_at >= SAY_EVERY_S:
            self.said, self.said_at = self.threads, now
            log.info(sharing_line(trainings, self.cores, self.threads))
        return threads


def sharing_line(trainings: int, cores: int, threads: int) -> str:
    """``"2 trainings now share this machine's 2 cores: torch uses 1 thread."``"""
    who = (
        f"This training now has the machine's {cores} cores to itself"
        if trainings <= 1
        else f"{trainings} trainings now share this machine's {cores} cores"
    )
    return f"{who}: torch uses {plural(threads, 'thread')}."


class ShareCpuCallback(BaseCallback):
    """Every :data:`RECOUNT_S` seconds of training, divide the cores again (``share.adjust``)."""

    def __init__(self, share: CpuShare) -> None:
        super().__init__()
        self.share = share
        self.next_count = time.monotonic() + RECOUNT_S

    def _on_step(self) -> bool:
        now = time.monotonic()
        if now >= self.next_count:
            self.next_count = now + RECOUNT_S
            self.share.adjust()
        return True
