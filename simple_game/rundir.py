"""The files that describe a run: ``summary.json`` and ``evaluations.jsonl``.

Other tools (the report, evaluation, sweeps) read these small files rather than the heavy
ones (checkpoints, TensorBoard events), so deleting heavy files never loses a run's record.
docs/run-directory.md lists every key.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from omegaconf import OmegaConf

SUMMARY_FILE = "summary.json"
EVALUATIONS_FILE = "evaluations.jsonl"

# Packages whose versions decide what a run does; recorded so results can be reproduced.
RECORDED_PACKAGES = (
    "torch",
    "stable-baselines3",
    "sb3-contrib",
    "gymnasium",
    "ale-py",
    "hydra-core",
    "numpy",
)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_atomically(path: Path, save: Callable[[BinaryIO], object]) -> None:
    """Call ``save(file)`` on a temporary file next to ``path``, then rename it into place.

    Readers (and a process killed mid-write) never see half a file: the rename is atomic.
    ``save`` streams, so a multi-GB replay buffer never has to sit in memory as bytes.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        save(f)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)  # mkstemp makes files private (0600); these are ordinary files
    os.replace(tmp, path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomically(path, lambda f: f.write(data))


def write_json_atomic(path: Path, data: Any) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def package_versions() -> dict[str, str]:
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str | None:
    """The project's git commit, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    """A run's summary.json, or None if it is missing or unreadable."""
    try:
        data = json.loads((run_dir / SUMMARY_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


class RunRecord:
    """``summary.json`` of one run, rewritten atomically on every update.

    A resumed run continues the record it finds (start time, best score, wall time so far).
    """

    def __init__(self, run_dir: Path, resume: bool = False, **fields: Any) -> None:
        self.path = run_dir / SUMMARY_FILE
        now = utc_now()
        previous = read_summary(run_dir) if resume else None
        if previous is not None:
            self.data = {
                **previous,
                **fields,
                "status": "running",
                "error": None,
                "finished_at": None,
            }
            self.data["resumes"] = int(previous.get("resumes", 0)) + 1
            self.write()
            return
        self.data: dict[str, Any] = {
            "status": "running",
            "error": None,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "timesteps": 0,
            "wall_time_s": 0.0,
            "steps_per_s": 0.0,
            "eval_mean_reward": None,
            "eval_std_reward": None,
            "eval_episodes": 0,
            "best_eval_mean_reward": None,
            "versions": package_versions(),
            "git_commit": git_commit(),
            **fields,
        }
        self.write()

    def update(self, **fields: Any) -> None:
        self.data.update(fields, updated_at=utc_now())
        self.write()

    def write(self) -> None:
        write_json_atomic(self.path, self.data)


def append_evaluation(run_dir: Path, entry: dict[str, Any]) -> None:
    """Append one evaluation as a JSON line; a kill mid-write loses at most that line."""
    with open(run_dir / EVALUATIONS_FILE, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def read_evaluations(run_dir: Path) -> list[dict[str, Any]]:
    """All complete evaluation lines of a run (a torn last line is skipped)."""
    path = run_dir / EVALUATIONS_FILE
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    try:  # fast path: one parse of the whole file (the report reads thousands of these)
        return json.loads("[" + ",".join(line for line in lines if line.strip()) + "]")
    except json.JSONDecodeError:
        pass
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def read_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides Hydra saved for a run (.hydra/overrides.yaml)."""
    path = run_dir / ".hydra" / "overrides.yaml"
    try:
        return [str(o) for o in OmegaConf.load(path)] if path.exists() else []
    except Exception:  # noqa: BLE001 - a damaged file means "overrides unknown", not a crash
        return []
