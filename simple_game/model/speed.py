"""Make the network of an SB3 model faster without changing what it learns or how it saves.

On a CPU, PPO and DQN spend most of their time in the Nature CNN's forward and backward passes,
the convolutions its largest single cost (about a third of a PPO step; docs/performance.md) (with
the default ``ale_vector`` env backend, the games take a quarter to a third of a PPO run). Three
levers help:

* **bfloat16 autocast**: convolutions and the big linear layer run in bfloat16 on CPUs with
  native bf16 instructions (AVX512-BF16 or AMX), about 1.5-2x faster there. Parameters,
  gradients, optimizer state, the small policy/value heads and every loss stay float32, so
  no loss scaling is needed (bf16 has float32's exponent range). The uint8 frames are
  scaled to [0, 1] in bf16 too, inside the autocast region (SB3 would build a float32 copy
  first): the same values reach the first convolution, 18% faster per PPO minibatch.
* **channels_last memory format**: oneDNN's float32 convolutions are faster when images are
  stored height x width x channels (converting the weights once makes every convolution use
  that layout). With bf16 it measured slower here, so ``auto`` uses it only for float32.
* **fused Adam**: PyTorch's default Adam on a CPU updates one parameter tensor at a time;
  the fused kernel does the whole step at once (11 ms -> 2 ms per step here). That matters
  most for DQN, which takes an optimizer step every 4 agent steps on a batch of only 32.
  PQN's RAdam has no fused kernel of its own; it runs on Adam's (:mod:`fused_radam`).

Stable-Baselines3 offers none of these: it has no precision or memory-format option, runs
every forward pass in plain float32, and builds Adam with PyTorch's per-tensor default.
Rather than subclassing each policy (which would store this project's classes inside the
saved zips), :func:`apply_speed_settings` changes the built model in place: weights are
converted to channels_last (a storage detail, invisible in ``state_dict``), each policy's
``extract_features`` is replaced by a bf16 version on that *instance*, and the
optimizer's param groups get ``fused=True``. SB3 saves only state dicts, so a saved model is
a plain SB3 zip that loads and runs in float32 anywhere (the optimizer state remembers
``fused``, which PyTorch >= 2.8 supports on CPU, CUDA and MPS; a fused RAdam's state is
RAdam's own).
"""

from __future__ import annotations

import functools
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch as th

from simple_game.model.fused_radam import fuse_radam_step

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.policies import BaseModel
    from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

log = logging.getLogger(__name__)

# Optimizers whose step has a fused kernel; others (A2C's RMSpropTFLike) are left alone.
FUSABLE_OPTIMIZERS = (th.optim.Adam, th.optim.AdamW)
# Smallest batch that runs in bf16; PPO's rollouts (8 games) and every training batch do.
AUTOCAST_MIN_BATCH = 8
# /proc/cpuinfo flags of x86 CPUs that compute in bfloat16 natively. Without them oneDNN
# emulates bf16, which is slower than float32, so `auto` keeps float32.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class SpeedSettings:
    """What :func:`resolve_speed_settings` chose for one device."""

    autocast_dtype: th.dtype | None  # None = plain float32
    channels_last: bool
    fused_optimizer: bool

    def describe(self) -> str:
        precision = "bf16 autocast" if self.autocast_dtype == th.bfloat16 else "fp32"
        layout = "channels_last" if self.channels_last else "contiguous"
        return f"{precision}, {layout}"


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True if this (Linux, x86) CPU has bf16 instructions; False where it cannot tell."""
    if platform.system() != "Linux" or not cpuinfo.exists():
        return False
    flags: set[str] = set()
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
            break
    return any(flag in flags for flag in BF16_CPU_FLAGS)


def resolve_speed_settings(
    precision: str,
    memory_format: str,
    fused_optimizer: str | bool,
    device: th.device,
    native_bf16: Callable[[], bool] = cpu_has_native_bf16,
) -> SpeedSettings:
    """Turn ``hardware.precision``, ``.memory_format`` and ``.fused_optimizer`` into choices.

    ``auto`` means what measured fastest (docs/performance.md): on a CPU, bf16 when the CPU
    has native bf16, channels_last only for float32, and fused Adam. On CUDA and MPS it means
    fp32 and contiguous: the Nature CNN is so small there that the games are the
    bottleneck, and these are the safe choices (MPS has mishandled non-contiguous inputs).

    :param native_bf16: the CPU check; tests pass a stand-in for CPUs without bf16.
    """
    on_cpu = device.type == "cpu"
    if precision == "auto":
        precision = "bf16" if on_cpu and native_bf16() else "fp32"
    if memory_format == "auto":
        memory_format = "channels_last" if on_cpu and precision == "fp32" else "contiguous"
    return SpeedSettings(
        autocast_dtype=th.bfloat16 if precision == "bf16" else None,
        channels_last=memory_format == "channels_last",
        fused_optimizer=fused_optimizer is True or (fused_optimizer == "auto" and on_cpu),
    )


def scale_frames(obs: th.Tensor, dtype: th.dtype) -> th.Tensor:
    """uint8 frames as ``dtype`` in [0, 1]: SB3's ``obs.float() / 255`` rounded to ``dtype``.

    Exact: every integer up to 256 is a bf16 number, and multiplying by the float ``1 / 255``
    (PyTorch keeps a scalar in float32 for bf16 tensors) rounds to the same bf16 value as
    dividing by 255, for each of the 256 pixel values (a test checks them all); bf16 division
    took 1.4x as long here.
    """
    return obs.to(dtype).mul_(1 / 255)


def _fast_extract_features(policy: BaseModel, dtype: th.dtype) -> Callable[..., th.Tensor]:
    """``policy.extract_features`` with the frames converted inside the autocast region.

    SB3's ``preprocess_obs`` turns a uint8 batch into float32 and divides it by 255 (two passes
    over 4 bytes a pixel), and autocast then casts it to bf16 again before the first
    convolution: 11 ms of a 65 ms PPO minibatch here. Converting the uint8 frames straight to
    bf16 (exact: bf16 holds every integer up to 256) and scaling there (multiplying by 1/255,
    :func:`scale_frames`) costs 1 ms and gives the same bf16 values the convolution saw
    before. SB3 has no hook between ``preprocess_obs`` and the extractor, hence this
    replacement of the whole method.

    Batches smaller than :data:`AUTOCAST_MIN_BATCH` take SB3's float32 path: autocast re-casts
    every weight to bf16 on each call, which costs more than it saves on a single observation
    (DQN picks its action from one frame stack: 1.6 ms in bf16 against 1.2 ms in fp32 here).
    """
    from stable_baselines3.common.preprocessing import is_image_space

    sb3_extract_features = policy.extract_features
    # uint8 frames that SB3 would scale, and one extractor for them: an actor-critic with
    # separate actor and critic extractors keeps SB3's path (which returns a pair).
    scales_frames_here = (
        policy.normalize_images
        and is_image_space(policy.observation_space)
        and getattr(policy, "share_features_extractor", True)
    )

    @functools.wraps(sb3_extract_features)
    def extract_features(
        obs: th.Tensor, features_extractor: BaseFeaturesExtractor | None = None
    ) -> th.Tensor | tuple[th.Tensor, th.Tensor]:
        if obs.shape[0] < AUTOCAST_MIN_BATCH:
            return sb3_extract_features(obs, features_extractor)
        with th.autocast(device_type=obs.device.type, dtype=dtype):
            if scales_frames_here and obs.dtype == th.uint8:
                extractor = (
                    policy.features_extractor if features_extractor is None else features_extractor
                )
                features = extractor(scale_frames(obs, dtype))
            else:
                features = sb3_extract_features(obs, features_extractor)
        # The heads and every loss stay float32.
        if isinstance(features, tuple):
            return tuple(f.float() for f in features)  # type: ignore[return-value]
        return features.float()

    return extract_features


def apply_speed_settings(model: BaseAlgorithm, settings: SpeedSettings) -> None:
    """Apply ``settings`` to ``model``'s networks, in place (see the module docstring).

    Every features extractor is covered: PPO/A2C's shared one, and DQN's online and target
    Q-networks (``modules()`` visits a shared extractor once).
    """
    # Imported here: config checks read this module's constants without loading SB3 and gym.
    from stable_baselines3.common.policies import BaseModel

    policy = model.policy
    if settings.channels_last:
        # Only 4-D tensors (the conv weights) change layout; the values stay the same.
        policy.to(memory_format=th.channels_last)
    if settings.autocast_dtype is not None:
        for module in policy.modules():
            # PPO/A2C's policy, DQN's online and target Q-networks, QR-DQN's quantile nets.
            extractor = getattr(module, "features_extractor", None)
            if isinstance(module, BaseModel) and extractor is not None:
                module.extract_features = _fast_extract_features(  # type: ignore[method-assign]
                    module, settings.autocast_dtype
                )
    optimizer = policy.optimizer
    step = "default"
    if settings.fused_optimizer and isinstance(optimizer, FUSABLE_OPTIMIZERS):
        # Adam reads these flags at every step; its state (moments, step) is the same either way.
        for group in optimizer.param_groups:
            group.update(fused=True, foreach=False)
        step = "fused"
    elif settings.fused_optimizer and "foreach" in optimizer.defaults:
        # No fused kernel: the multi-tensor step is the next best, same maths. PQN's RAdam
        # takes it for its warm-up only, then runs on Adam's fused kernel (fused_radam.py).
        for group in optimizer.param_groups:
            group.update(foreach=True)
        step = "multi-tensor"
        if isinstance(optimizer, th.optim.RAdam) and model.device.type == "cpu":
            # Off the CPU, RAdam keeps its step count on the CPU, apart from the weights, and
            # Adam's fused kernel wants it beside them: every step would stay multi-tensor.
            fuse_radam_step(optimizer)
            step = "fused"
    name = type(optimizer).__name__
    log.info("Network speed settings: %s, %s %s step.", settings.describe(), step, name)
