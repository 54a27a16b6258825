"""The types and allowed values of every config key, stated once.

The values and their explanations live in ``conf/`` (YAML, one comment per key); the types
and ranges live here, as structured-config dataclasses that Hydra merges under the YAML
(``defaults: [_schema, ...]`` in ``conf/env/_common.yaml``, ``conf/hardware/_common.yaml``
and ``conf/config.yaml``). Hydra then refuses a wrong type at composition time, whatever
launched the run, and :func:`simple_game.config.validate.validate` checks the ranges written
in each field's :class:`Rule`.

Each algorithm has its own dataclass (:class:`PPOConf`, :class:`DQNConf`, ...), named by
its YAML's defaults list: its keys are the SB3 class's constructor arguments, and
:data:`ALGO_RULES` states the ranges of those that several algorithms share.

A run turns its composed config into these objects once (:func:`to_run_conf`) and passes
them down, so the code below the entry point reads typed fields, never casts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

# Allowed values of the keys that pick an implementation.
ENV_BACKENDS = ("sb3", "ale_vector")  # SB3's Python wrappers, or ale-py's C++ vector env
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
MEMORY_FORMATS = ("auto", "contiguous", "channels_last")
FUSED_OPTIMIZER = ("auto", True, False)


@dataclass(frozen=True)
class Rule:
    """What a key allows: a check and the words that finish "must be ..." in an error."""

    check: Callable[[Any], bool]
    allowed: str


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def whole(minimum: int, note: str = "", maximum: int | None = None) -> Rule:
    """A whole number >= minimum (1e6 counts: it is 1000000), and <= maximum if given."""
    return Rule(
        lambda v: (
            _is_number(v)
            and float(v).is_integer()
            and v >= minimum
            and (maximum is None or v <= maximum)
        ),
        (
            f"a whole number from {minimum} to {maximum:,}"
            if maximum is not None
            else f"a whole number >= {minimum}"
        )
        + (f" ({note})" if note else ""),
    )


# Seeds: each game gets seed + its index, evaluation games seed + 10,000 + index, and ALE
# takes a signed 32-bit seed; a billion leaves room for all of them.
SEED = whole(0, maximum=1_000_000_000)
NON_NEGATIVE = Rule(lambda v: _is_number(v) and v >= 0, "a number >= 0")


def one_of(*choices: Any) -> Rule:
    words = [str(c).lower() if isinstance(c, bool) else str(c) for c in choices]
    return Rule(
        lambda v: any(v == c and type(v) is type(c) for c in choices), "one of " + ", ".join(words)
    )


def optional(rule: Rule) -> Rule:
    """``rule``, or null."""
    return Rule(lambda v: v is None or rule.check(v), f"{rule.allowed} (or null)")


POSITIVE = Rule(lambda v: _is_number(v) and v > 0, "a number > 0")
FRACTION = Rule(lambda v: _is_number(v) and 0 <= v <= 1, "between 0 and 1")
DISCOUNT = Rule(lambda v: _is_number(v) and 0 < v <= 1, "in (0, 1]")
AUTO_OR_WHOLE = Rule(
    lambda v: v == "auto" or whole(0).check(v), "auto or a whole number >= 0 (0 turns it off)"
)
SECONDS = Rule(lambda v: _is_number(v) and v > 0, "a number of seconds > 0")


def ruled(rule: Rule, default: Any = MISSING) -> Any:
    """A dataclass field that ``rule`` checks (its value comes from YAML unless ``default``)."""
    return field(default=default, metadata={"rule": rule})


@dataclass
class TrainConf:
    """``train.*``: how long to train, how often to evaluate, checkpoint and report."""

    total_timesteps: int = ruled(whole(1))
    eval_freq: int = ruled(whole(0, "0 turns it off"))
    n_eval_episodes: int = ruled(whole(1))
    eval_envs: int = ruled(whole(1))
    eval_deterministic: bool = MISSING
    eval_epsilon: float = ruled(FRACTION)
    target_score: Optional[float] = None  # noqa: UP045
    max_minutes: Optional[float] = ruled(optional(POSITIVE))  # noqa: UP045
    checkpoint_freq: Any = ruled(AUTO_OR_WHOLE)
    keep_checkpoints: int = ruled(whole(0, "0 turns it off"))
    save_replay_buffer: bool = MISSING
    log_interval_s: float = ruled(SECONDS)
    progress_bar: bool = MISSING
    video: bool = MISSING


@dataclass
class TuningConf:
    """``tuning.*``: set by the Optuna sweeper for each trial, null otherwise."""

    study: Optional[str] = None  # noqa: UP045 - OmegaConf reads typing.Optional, not "X | None"
    storage: Optional[str] = None  # noqa: UP045
    trial: Optional[int] = None  # noqa: UP045


@dataclass
class RunConf:
    """The top level of ``conf/config.yaml``: one run."""

    seed: int = ruled(SEED)
    experiment: str = MISSING
    note: str = ""
    resume: Optional[str] = None  # noqa: UP045
    recipe: Optional[str] = None  # noqa: UP045
    report: bool = MISSING
    train: TrainConf = field(default_factory=TrainConf)
    tuning: TuningConf = field(default_factory=TuningConf)
    algo: AlgoConf = MISSING
    env: EnvConf = MISSING
    policy: PolicyConf = MISSING
    hardware: HardwareConf = MISSING


@dataclass
class WrapperConf:
    """``env.wrapper.*``: SB3's AtariWrapper settings."""

    noop_max: int = ruled(whole(0))
    frame_skip: int = ruled(whole(1))
    screen_size: int = ruled(whole(36, "the CNN's minimum"))
    terminal_on_life_loss: bool = MISSING
    clip_reward: bool = MISSING


@dataclass
class EnvConf:
    """``env.*``: the game and how its frames reach the network."""

    name: str = MISSING
    id: str = MISSING
    n_envs: int = ruled(whole(1))
    backend: str = ruled(one_of(*ENV_BACKENDS))
    frame_stack: int = ruled(whole(1))
    sticky_actions: float = ruled(FRACTION)
    max_frames_per_episode: int = ruled(whole(1))
    wrapper: WrapperConf = field(default_factory=WrapperConf)


@dataclass
class PolicyConf:
    """``policy.*``: the network. ``policy`` is SB3's policy name (each algorithm maps it to
    its own class); ``policy_kwargs`` its keyword arguments, the feature extractor among them
    as a ``_target_`` entry that Hydra's ``instantiate`` turns into the class."""

    name: str = MISSING
    policy: str = MISSING
    policy_kwargs: Any = None


@dataclass
class HardwareConf:
    """``hardware.*``: where and how fast the network computes."""

    name: str = MISSING
    device: str = ruled(one_of(*DEVICES))
    torch_threads: int = ruled(whole(0, "0 = share the cores with other trainings"))
    precision: str = ruled(one_of(*PRECISIONS))
    memory_format: str = ruled(one_of(*MEMORY_FORMATS))
    fused_optimizer: Any = ruled(one_of(*FUSED_OPTIMIZER))


@dataclass
class AlgoConf:
    """``algo.*``: what every algorithm's config holds. Each ``conf/algo/<name>.yaml`` is one
    schema below (its defaults list names it), so a misspelt key in a new algorithm YAML is
    refused when the config composes, not when the model is built. The keys are the SB3
    class's keyword arguments, plus ``_target_`` (the class), ``name`` and ``n_envs``; the
    ranges of the keys several algorithms share are in :data:`ALGO_RULES`.
    """

    _target_: str = MISSING
    name: str = MISSING
    n_envs: int = MISSING
    learning_rate: Any = MISSING  # a number, or a schedule (_target_: ...LinearSchedule)
    gamma: float = MISSING
    policy_kwargs: Any = None  # merged into the policy config's (an optimizer, n_quantiles)


@dataclass
class ActorCriticConf(AlgoConf):
    """PPO and A2C: a rollout of ``n_steps`` per game, GAE advantages, an entropy bonus."""

    n_steps: int = MISSING
    gae_lambda: float = MISSING
    ent_coef: float = MISSING
    vf_coef: float = MISSING
    max_grad_norm: float = MISSING


@dataclass
class PPOConf(ActorCriticConf):
    batch_size: int = MISSING
    n_epochs: int = MISSING
    clip_range: Any = MISSING  # a number, or a schedule


@dataclass
class A2CConf(ActorCriticConf):
    pass


@dataclass
class ReplayConf(AlgoConf):
    """DQN and QR-DQN: a replay buffer, a target network, epsilon-greedy exploration."""

    buffer_size: int = MISSING
    learning_starts: int = MISSING
    batch_size: int = MISSING
    train_freq: int = MISSING
    gradient_steps: int = MISSING
    target_update_interval: int = MISSING
    exploration_fraction: float = MISSING
    exploration_final_eps: float = MISSING
    optimize_memory_usage: bool = MISSING


@dataclass
class DQNConf(ReplayConf):
    pass


@dataclass
class QRDQNConf(ReplayConf):
    pass


@dataclass
class PQNConf(AlgoConf):
    n_steps: int = MISSING
    batch_size: int = MISSING
    n_epochs: int = MISSING
    q_lambda: float = MISSING
    exploration_fraction: float = MISSING
    exploration_final_eps: float = MISSING
    max_grad_norm: float = MISSING


# The schema of each conf/algo/<name>.yaml (its defaults list names ``_schema_<name>``).
ALGO_SCHEMAS: dict[str, type] = {
    "ppo": PPOConf,
    "a2c": A2CConf,
    "dqn": DQNConf,
    "qrdqn": QRDQNConf,
    "pqn": PQNConf,
}


@dataclass
class EvaluateConf:
    """``python -m simple_game.evaluate``'s options (conf/evaluate.yaml)."""

    run: Optional[str] = None  # noqa: UP045
    checkpoint: str = MISSING
    agent: str = ruled(one_of("model", "random"))
    episodes: int = ruled(whole(1))
    deterministic: bool = MISSING
    epsilon: Optional[float] = ruled(optional(FRACTION))  # noqa: UP045
    sticky_actions: Optional[float] = ruled(optional(FRACTION))  # noqa: UP045
    seed: Optional[int] = ruled(optional(SEED))  # noqa: UP045
    device: str = ruled(one_of(*DEVICES))
    video: bool = MISSING
    gif: bool = MISSING
    watch: bool = MISSING
    observation: bool = MISSING
    plot_only: bool = MISSING
    explain: bool = MISSING
    saliency: bool = MISSING
    saliency_every: int = ruled(whole(1))
    saliency_step: Optional[int] = ruled(optional(whole(0)))  # noqa: UP045
    montage: bool = MISSING
    montage_seconds: float = ruled(POSITIVE)
    compare: Optional[str] = None  # noqa: UP045
    match: str = ruled(one_of("steps", "minutes"))
    env: Any = None


# Ranges of algo keys (SB3 constructor arguments) that several algorithms share. A schedule
# (a dict with _target_ LinearSchedule) is checked at its ``start``.
ALGO_RULES: dict[str, Rule] = {
    "learning_rate": POSITIVE,
    "clip_range": POSITIVE,
    "gamma": DISCOUNT,
    "gae_lambda": FRACTION,
    "q_lambda": FRACTION,
    "exploration_fraction": FRACTION,
    "exploration_initial_eps": FRACTION,
    "exploration_final_eps": FRACTION,
    "n_steps": whole(1),
    "batch_size": whole(1),
    "n_epochs": whole(1),
    "buffer_size": whole(1),
    "train_freq": whole(1),
    "gradient_steps": whole(1),
    "n_envs": whole(1),
    "learning_starts": whole(0),
    "target_update_interval": whole(1),
    "ent_coef": NON_NEGATIVE,
    "vf_coef": NON_NEGATIVE,
    "max_grad_norm": POSITIVE,
}

# Schemas of the config, by the key they sit under ("" = the top level).
SCHEMAS: dict[str, type] = {"": RunConf, "env": EnvConf, "hardware": HardwareConf}


def rules(schema: type, prefix: str = "") -> dict[str, Rule]:
    """``{"train.total_timesteps": Rule(...), ...}``: every ruled key of ``schema``, dotted."""
    found: dict[str, Rule] = {}
    for item in dataclasses.fields(schema):
        key = f"{prefix}{item.name}"
        if "rule" in item.metadata:
            found[key] = item.metadata["rule"]
        elif dataclasses.is_dataclass(item.default_factory):  # type: ignore[misc]
            found.update(rules(item.default_factory, key + "."))  # type: ignore[arg-type]
    return found


def all_rules() -> dict[str, Rule]:
    """Every ruled key of the whole config, dotted from the top (``env.wrapper.noop_max``)."""
    found: dict[str, Rule] = {}
    for where, schema in SCHEMAS.items():
        found.update(rules(schema, f"{where}." if where else ""))
    return found


def to_run_conf(cfg: DictConfig) -> RunConf:
    """The composed config as typed objects: a :class:`RunConf` whose ``algo`` is the
    algorithm's own dataclass. Schedules and ``policy_kwargs`` stay plain dicts, for Hydra's
    ``instantiate`` to build when the model is made."""
    run = OmegaConf.to_object(cfg)
    if not isinstance(run, RunConf):  # composed without conf/config.yaml's _run_schema
        raise TypeError(f"expected a config composed from conf/config.yaml, got {type(run)}")
    return run


def register() -> None:
    """Make the schemas known to Hydra under the names conf/ refers to."""
    store = ConfigStore.instance()
    store.store(name="_run_schema", node=RunConf)
    store.store(group="env", name="_schema", node=EnvConf)
    store.store(group="hardware", name="_schema", node=HardwareConf)
    for name, schema in ALGO_SCHEMAS.items():
        store.store(group="algo", name=f"_schema_{name}", node=schema)
    store.store(name="_evaluate_schema", node=EvaluateConf)


register()
