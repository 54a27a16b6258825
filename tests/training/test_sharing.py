"""Trainings that run at once divide the cores between them (training/sharing.py).

How much this matters is measured by ``python -m simple_game.bench --only share``; these tests
check the mechanism: the count of live trainings, and forgetting those that died.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

import pytest
import torch as th

from simple_game.training import sharing
from simple_game.training.sharing import CpuShare


def test_two_trainings_get_half_the_cores_each_and_one_alone_gets_all(tmp_path: Path) -> None:
    threads_before = th.get_num_threads()
    try:
        with CpuShare(tmp_path, cores=4) as first:
            assert first.adjust() == 4
            with CpuShare(tmp_path, cores=4) as second:
                assert first.live_trainings() == second.live_trainings() == 2
                assert first.adjust() == 2 and th.get_num_threads() == 2
            assert first.adjust() == 4  # the other training ended: all cores again
        assert list(tmp_path.iterdir()) == []  # nothing left behind
    finally:
        th.set_num_threads(threads_before)


def test_a_training_that_died_is_not_counted(tmp_path: Path) -> None:
    # A file nobody holds a lock on is what a killed training leaves (the OS drops its lock).
    (tmp_path / "12345-0").write_bytes(b"")
    with CpuShare(tmp_path, cores=2) as share:
        assert share.live_trainings() == 1
    assert not (tmp_path / "12345-0").exists()


def test_more_trainings_than_cores_still_get_one_thread(tmp_path: Path) -> None:
    holders = []
    for i in range(3):  # three other live trainings, each holding its lock
        handle = open(tmp_path / f"{os.getpid()}-{i}", "wb")  # noqa: SIM115
        fcntl.flock(handle, fcntl.LOCK_EX)
        holders.append(handle)
    threads_before = th.get_num_threads()
    try:
        with CpuShare(tmp_path, cores=2) as share:
            assert share.live_trainings() == 4
            assert share.adjust() == 1
    finally:
        th.set_num_threads(threads_before)
        for handle in holders:
            handle.close()


def test_trainings_coming_and_going_are_told_at_most_once_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(sharing.time, "monotonic", lambda: clock[0])
    threads_before = th.get_num_threads()
    caplog.set_level(logging.INFO, logger=sharing.__name__)
    try:
        with CpuShare(tmp_path, cores=2) as share:
            share.adjust()  # the start-up choice: not a console line
            for _ in range(12):  # another training starts and ends every 10 s for 2 minutes
                with CpuShare(tmp_path, cores=2):
                    clock[0] += 5
                    assert share.adjust() == 1  # the share itself follows at once
                clock[0] += 5
                assert share.adjust() == 2
    finally:
        th.set_num_threads(threads_before)
    # 24 changes in 2 minutes, told at most once a minute, each time as the count then stood:
    # at 5 s another training had started; at 70 s it had just ended.
    assert [r.getMessage() for r in caplog.records] == [
        "2 trainings now share this machine's 2 cores: torch uses 1 thread.",
        "This training now has the machine's 2 cores to itself: torch uses 2 threads.",
    ]
