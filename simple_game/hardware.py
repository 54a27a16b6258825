"""Pick the torch device a run trains on, and fail clearly when it is not there."""

from __future__ import annotations

import torch as th

DEVICES = ("auto", "cpu", "cuda", "mps")


class DeviceUnavailableError(RuntimeError):
    """The config asks for a device this machine does not have."""


def mps_available() -> bool:
    backend = getattr(th.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str) -> th.device:
    """Turn ``hardware.device`` into a torch device.

    ``auto`` prefers a CUDA GPU, then an Apple GPU, then the CPU. SB3's own ``device="auto"``
    never picks MPS, which is why the choice is made here.
    """
    if name == "auto":
        if th.cuda.is_available():
            return th.device("cuda")
        return th.device("mps") if mps_available() else th.device("cpu")
    if name == "cuda" and not th.cuda.is_available():
        raise DeviceUnavailableError(
            "hardware.device=cuda: this machine has no CUDA GPU visible to torch; "
            "use hardware=auto or hardware=cpu"
        )
    if name == "mps" and not mps_available():
        raise DeviceUnavailableError(
            "hardware.device=mps: this machine has no Apple GPU (MPS) available to torch; "
            "use hardware=auto or hardware=cpu"
        )
    if name not in DEVICES:
        raise DeviceUnavailableError(
            f"hardware.device={name}: not a device; choose one of {', '.join(DEVICES)}"
        )
    return th.device(name)


def configure_threads(torch_threads: int) -> None:
    """Limit torch's CPU threads (0 keeps torch's default of one per core)."""
    if torch_threads > 0:
        th.set_num_threads(torch_threads)
