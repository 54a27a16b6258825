"""What watching the agent think costs: an explained game against a plain recorded one.

``python -m simple_game.bench --only "" --watch-run <run>`` plays the same game (same
checkpoint, same seed) with ``video=true`` and with ``explain=true``, interleaved repeat by
repeat, then one saliency map, then ``montage=true``; each as the learner's command, timed
from outside (start-up included, as a learner waits for it). The goal of issue 32: the
explained game at most twice the plain one; the montage of 10 models in minutes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SETUPS = {
    "plain video": ["video=true"],
    "explained video": ["explain=true"],
}


def timed(args: list[str], cwd: Path) -> float:
    """Seconds one ``python -m simple_game.evaluate`` command takes, start-up included."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "simple_game.evaluate", *args], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip
    return time.monotonic() - started


def watching_costs(run: Path, repeats: int) -> dict[str, Any]:
    """Median seconds of each way of watching one game of ``run``'s best model."""
    import shutil

    from simple_game.evaluate.montage import snapshots
    from simple_game.model.saliency import patches

    seconds: dict[str, list[float]] = {name: [] for name in SETUPS}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "run"  # the recordings go into a copy, not the learner's run
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("videos", "evaluations"))
        for _ in range(repeats):
            for name, extra in SETUPS.items():
                seconds[name].append(timed([f"run={copy}", "episodes=1", *extra], Path(tmp)))
                print(f"{name}: {seconds[name][-1]:.1f} s", flush=True)
        # One game with one map, the first step's (and the blank one that times it first).
        saliency = (timed([f"run={copy}", "episodes=1", "saliency=true",
                           "saliency_every=1000000"], Path(tmp))
                    - statistics.median(seconds["explained video"])) / 2  # fmt: skip
        montage = timed([f"run={copy}", "montage=true"], Path(tmp))
        models = len(snapshots(copy))
    plain, explained = (statistics.median(seconds[n]) for n in SETUPS)
    result = {
        "run": str(run),
        "repeats": repeats,
        "seconds": seconds,
        "plain_video_s": plain,
        "explained_video_s": explained,
        "explained_over_plain": explained / plain,
        "one_saliency_map_s": saliency,  # half the extra time of a game with two maps
        "saliency_forward_passes": patches(),
        "montage_s": montage,
        "montage_models": models,
    }
    print(
        f"one game: plain video {plain:.1f} s, explained {explained:.1f} s "
        f"({explained / plain:.2f}x); one saliency map about {saliency:.2f} s "
        f"({patches()} forward passes); montage of {models} models {montage / 60:.1f} min",
        flush=True,
    )
    return result
