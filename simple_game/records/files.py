"""Writing a run's files so that a reader, or a process killed mid-write, never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


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
