"""Pick the torch device a run trains on, and fail clearly when it is not there."""

from __future__ import annotations

import torch as th

from simple_game.config.schema import DEVICES
from simple_game.errors import UserError


def mps_available() -> bool:
    backend = getattr(th.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str, key: str = "hardware.device") -> th.device:
    """Turn ``hardware.device`` (or another ``key`` naming a device) into a torch device.

    ``auto`` prefers a CUDA GPU, then an Apple GPU, then the CPU. SB3's own ``device="auto"``
    never picks MPS, which is why the choice is made here.
    """
    if name == "auto":
        if th.cuda.is_available():
            return th.device("cuda")
        return th.device("mps") if mps_available() else th.device("cpu")
    if name == "cuda" and not th.cuda.is_available():
        raise UserError(
            f"{key}=cuda: this machine has no CUDA GPU visible to torch; use {_alternatives(key)}",
            key=key,
        )
    if name == "mps" and not mps_available():
        raise UserError(
            f"{key}=mps: this machine has no Apple GPU (MPS) available to torch; "
            f"use {_alternatives(key)}",
            key=key,
        )
    if name not in DEVICES:
        raise UserError(f"{key}={name}: not a device; choose one of {', '.join(DEVICES)}", key=key)
    return th.device(name)


def _alternatives(key: str) -> str:
    """What to type instead: the hardware group's options, or the key's own values."""
    return "hardware=auto or hardware=cpu" if key == "hardware.device" else f"{key}=cpu"


def configure_threads(torch_threads: int) -> None:
    """Limit torch's CPU threads (0 keeps torch's default of one per core)."""
    if torch_threads > 0:
        th.set_num_threads(torch_threads)
