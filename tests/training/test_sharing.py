"""Trainings that run at once divide the cores between them (training/sharing.py).

How much this matters is measured by ``python -m simple_game.bench --only share``; these tests
check the mechanism: the count of live trainings, and forgetting those that died.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import torch as th

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
