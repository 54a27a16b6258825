"""The network speed levers (simple_game.model.speed) train correctly and fall back cleanly.

Real models on real games, a few hundred steps each. CUDA and MPS cannot exist on this
test machine, so their ``auto`` choices are checked with plain ``torch.device`` objects.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch as th
from stable_baselines3 import DQN, PPO

from simple_game.config.preflight import check_overrides
from simple_game.config.schema import to_run_conf
from simple_game.envs.build import make_env
from simple_game.model import speed
from simple_game.model.build import build_model
from simple_game.model.speed import cpu_has_native_bf16, resolve_speed_settings, scale_frames

SPEED_PATHS = [
    ("fp32", "contiguous"),
    ("fp32", "channels_last"),
    ("bf16", "contiguous"),
    ("bf16", "channels_last"),
]


def tiny_model(algo: str, precision: str, memory_format: str, *extra: str):
    """The project's own model and env for ``algo``, shrunk to train in seconds."""
    small = {
        "ppo": ["algo.n_envs=2", "algo.n_steps=32", "algo.batch_size=32", "algo.n_epochs=1"],
        "dqn": ["algo.learning_starts=100", "algo.buffer_size=500"],
    }[algo]
    cfg = check_overrides(
        [
            f"algo={algo}",
            *small,
            "hardware=cpu",
            f"hardware.precision={precision}",
            f"hardware.memory_format={memory_format}",
            # fused Adam on the contiguous paths, PyTorch's default on the others: both run
            f"hardware.fused_optimizer={str(memory_format == 'contiguous').lower()}",
            *extra,
        ],
    )
    env = make_env(cfg.env, n_envs=int(cfg.env.n_envs), seed=0)
    return build_model(to_run_conf(cfg), env, th.device("cpu")), env


@pytest.mark.parametrize(("precision", "memory_format"), SPEED_PATHS)
def test_ppo_trains_with_finite_float32_outputs(precision: str, memory_format: str) -> None:
    model, env = tiny_model("ppo", precision, memory_format)
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=128)  # two rollouts, two updates
    after = list(model.policy.parameters())
    assert all(p.dtype == th.float32 and th.isfinite(p).all() for p in after)  # fp32 master weights
    assert any(not th.equal(a, b) for a, b in zip(after, before, strict=True))  # it learned
    obs = th.as_tensor(env.reset()).repeat(4, 1, 1, 1)  # 8 >= AUTOCAST_MIN_BATCH: bf16 runs
    values, log_prob, entropy = model.policy.evaluate_actions(obs, th.zeros(8, dtype=th.long))
    assert values.shape == (8, 1) and log_prob.shape == (8,) and entropy.shape == (8,)
    for out in (values, log_prob, entropy):
        assert out.dtype == th.float32 and th.isfinite(out).all()  # losses are computed in fp32
    env.close()


@pytest.mark.parametrize(("precision", "memory_format"), SPEED_PATHS[::3])
def test_dqn_trains_with_finite_q_values(precision: str, memory_format: str) -> None:
    model, env = tiny_model("dqn", precision, memory_format)
    before = [p.detach().clone() for p in model.q_net.parameters()]
    model.learn(total_timesteps=150)  # 100 random steps, then 12 updates
    after = list(model.q_net.parameters())
    assert any(not th.equal(a, b) for a, b in zip(after, before, strict=True))  # it learned
    obs = th.as_tensor(env.reset()).repeat(8, 1, 1, 1)  # 8 >= AUTOCAST_MIN_BATCH: bf16 runs
    q_values = model.q_net(obs)
    assert q_values.shape == (8, env.action_space.n) and q_values.dtype == th.float32
    assert th.isfinite(q_values).all()
    env.close()


def test_bf16_fast_path_sees_the_same_frames_as_sb3() -> None:
    """Scaling uint8 frames in bf16 gives the values SB3's float32 /255 gave the convolution."""
    from stable_baselines3.common.preprocessing import preprocess_obs

    model, env = tiny_model("ppo", "bf16", "contiguous")
    policy = model.policy
    frames = th.as_tensor(env.reset()).repeat(4, 1, 1, 1)  # uint8, batch of 8
    with th.no_grad():
        fast = policy.extract_features(frames)
        with th.autocast("cpu", th.bfloat16):  # SB3's own path, then autocast's cast
            sb3 = policy.features_extractor(preprocess_obs(frames, policy.observation_space))
    assert fast.dtype == th.float32
    assert th.equal(fast, sb3.float())
    env.close()


def test_frames_are_scaled_as_sb3_scales_them_for_every_pixel_value() -> None:
    pixels = th.arange(256, dtype=th.uint8)
    sb3 = (pixels.float() / 255.0).to(th.bfloat16)  # SB3's float32 /255, then autocast's cast
    assert th.equal(scale_frames(pixels, th.bfloat16), sb3)


def test_separate_actor_and_critic_extractors_train_in_bf16() -> None:
    """share_features_extractor=false keeps SB3's path under autocast, returning a pair."""
    model, env = tiny_model(
        "ppo", "bf16", "contiguous", "+algo.policy_kwargs.share_features_extractor=false"
    )
    model.learn(total_timesteps=64)
    frames = th.as_tensor(env.reset()).repeat(4, 1, 1, 1)
    actor, critic = model.policy.extract_features(frames)
    assert actor.dtype == critic.dtype == th.float32
    assert th.isfinite(actor).all() and th.isfinite(critic).all()
    env.close()


def wrapped_modules(model) -> list[str]:
    """Modules whose extract_features was replaced on the instance (the bf16 fast path)."""
    return [name for name, m in model.policy.named_modules() if "extract_features" in vars(m)]


@pytest.mark.parametrize(("algo", "algo_class"), [("ppo", PPO), ("dqn", DQN)])
def test_saved_model_is_a_plain_sb3_zip(tmp_path: Path, algo: str, algo_class: type) -> None:
    """The levers live on the model object; the zip loads as plain float32 SB3."""
    model, env = tiny_model(algo, "bf16", "channels_last")
    assert wrapped_modules(model)  # the bf16 fast path is in place while training
    model.save(tmp_path / "model")
    archive = zipfile.ZipFile(tmp_path / "model.zip")
    levers = speed.__name__.encode()  # b"simple_game.model.speed": nothing of it is saved
    assert all(levers not in archive.read(name) for name in archive.namelist())
    loaded = algo_class.load(tmp_path / "model", device="cpu")
    for name, tensor in model.policy.state_dict().items():
        assert th.equal(tensor, loaded.policy.state_dict()[name]), name
    assert not wrapped_modules(loaded)
    action, _ = loaded.predict(env.reset())
    assert action.shape == (env.num_envs,)
    env.close()


def test_auto_picks_bf16_only_on_cpus_with_native_bf16() -> None:
    cpu = th.device("cpu")
    with_bf16 = resolve_speed_settings("auto", "auto", "auto", cpu, native_bf16=lambda: True)
    without = resolve_speed_settings("auto", "auto", "auto", cpu, native_bf16=lambda: False)
    # channels_last paid off only in float32 (docs/performance.md); fused Adam on either.
    assert with_bf16.autocast_dtype == th.bfloat16 and not with_bf16.channels_last
    assert without.autocast_dtype is None and without.channels_last
    assert with_bf16.fused_optimizer and without.fused_optimizer


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_auto_keeps_gpus_on_the_safe_path(device: str) -> None:
    settings = resolve_speed_settings("auto", "auto", "auto", th.device(device), lambda: True)
    assert settings.autocast_dtype is None and not settings.channels_last
    assert not settings.fused_optimizer


def test_explicit_choices_override_auto() -> None:
    settings = resolve_speed_settings(
        "bf16", "channels_last", False, th.device("cpu"), lambda: False
    )
    assert settings.autocast_dtype == th.bfloat16 and settings.channels_last
    assert not settings.fused_optimizer


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    bf16 = tmp_path / "bf16"
    bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n")
    assert not cpu_has_native_bf16(plain)
    assert cpu_has_native_bf16(bf16) == (platform.system() == "Linux")
    assert not cpu_has_native_bf16(tmp_path / "missing")


@pytest.mark.parametrize(
    ("own", "expected"),
    [
        ({}, "10000"),  # nothing set: the project's shorter spin
        ({"GOMP_SPINCOUNT": "300000"}, "300000"),  # the user's own value wins
        ({"OMP_WAIT_POLICY": "passive"}, None),  # so does the user's own policy
    ],
)
def test_importing_simple_game_shortens_openmp_spinning_unless_set(
    own: dict[str, str], expected: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, simple_game; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**env, **own}, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == str(expected)


def test_with_every_lever_off_the_project_trains_stock_sb3s_model() -> None:
    """The project's pipeline is SB3's plus the levers: with them all off, the same seed
    trains the same weights as the bench's stock SB3 pipeline, up to float32 rounding (the
    frames reach the first convolution in another memory layout)."""
    from simple_game.bench.setups import project_env, project_model, stock_env, stock_model
    from simple_game.config.compose import compose

    levers_off = [
        "env.backend=sb3",
        "hardware.precision=fp32",
        "hardware.fused_optimizer=false",
        "hardware.memory_format=contiguous",
    ]
    small = ["env.n_envs=2", "algo.n_steps=64", "algo.batch_size=64", "seed=3"]
    cfg = compose(["env=breakout", "algo=ppo", *small, *levers_off])
    weights = []
    for make_env_, make_model in ((project_env, project_model), (stock_env, stock_model)):
        env = make_env_(cfg, seed=3)
        model = make_model(cfg, env, th.device("cpu"))
        untrained = model.policy.action_net.weight.detach().clone()
        model.learn(total_timesteps=256)  # two rollouts, two rounds of updates
        weights.append(model.policy.state_dict())
        env.close()
    ours, stock = weights
    assert ours.keys() == stock.keys()
    for name in ours:
        assert th.allclose(ours[name], stock[name], rtol=0, atol=1e-6), name
    # ...and the weights did move: the check is not two untrained networks.
    assert not th.allclose(stock["action_net.weight"], untrained)
