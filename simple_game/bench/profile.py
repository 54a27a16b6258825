"""Where an agent step's time goes, for a recipe's shape: the games, acting, and learning's
forward pass, backward pass and optimizer, each by kind of layer, and the Python between.

``python -m simple_game.bench --only "" --profile pong_pqn`` builds the recipe's env and
model exactly as a run does (:mod:`.setups`), trains one rollout untimed, times
``--profile-steps`` agent steps of ``model.learn`` plainly, then the same number again under
torch's profiler. The profiler's tree of events says which op ran inside what:

* ``games``: the vectorised env's ``step`` (the emulator, preprocessing, frame stacking);
* ``acting``: collecting a rollout, minus the games (the network choosing actions, storage);
* ``learning``: ``model.train``. Its ops are sorted by the range they ran in: the autograd
  engine's (``autograd::engine::evaluate_function``) are the backward pass, the optimizer's
  (``Optimizer.step``) the update, the rest the forward pass and the loss.

Each op's *self* time counts once, under its kind (convolution, LayerNorm, linear, ...); the
time of a range that no op accounts for is Python and framework overhead. The profiler itself
adds time, so the shares are what to read; the plain timing gives the real speed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

# Kinds of ops, by a word in their name (first match wins; aten::convolution_backward is a
# convolution, aten::native_layer_norm_backward a LayerNorm, aten::addmm a linear layer,
# aten::threshold_backward ReLU's backward, aten::_to_copy a cast).
OP_KINDS = (
    ("convolution", "convolution"),
    ("layer_norm", "LayerNorm"),
    ("mm", "linear"),
    ("linear", "linear"),
    ("threshold", "ReLU"),
    ("relu", "ReLU"),
    ("copy", "casts and copies"),
    ("clone", "casts and copies"),
    ("contiguous", "casts and copies"),
)
# Ranges this module opens around the loop's parts, and the profiler's own for the learning.
GAMES, ACTING, LEARNING = "bench::games", "bench::acting", "bench::learning"
BACKWARD, OPTIMIZER = "autograd::engine::evaluate_function", "Optimizer.step"


def op_kind(name: str) -> str:
    plain = name.removeprefix("aten::")
    return next((kind for word, kind in OP_KINDS if word in plain), "other ops")


def wrap(obj: Any, method: str, label: str) -> None:
    """Run ``obj.method`` inside a profiler range named ``label`` (instance attribute)."""
    import torch as th

    inner: Callable[..., Any] = getattr(obj, method)

    def ranged(*args: Any, **kwargs: Any) -> Any:
        with th.profiler.record_function(label):
            return inner(*args, **kwargs)

    setattr(obj, method, ranged)


def part_of(event: Any) -> tuple[str, str] | None:
    """(part of the loop, phase) of an op from its enclosing ranges, or None outside them."""
    names = []
    parent = event.cpu_parent
    while parent is not None:
        names.append(parent.name)
        parent = parent.cpu_parent
    if any(n.startswith(BACKWARD) for n in names):
        return "learning", "backward"
    if any(n.startswith(OPTIMIZER) for n in names):
        return "learning", "optimizer"
    if LEARNING in names:
        return "learning", "forward and loss"
    if GAMES in names:
        return "games", ""
    if ACTING in names:
        return "acting", "network"
    return None


def breakdown(events: list[Any]) -> dict[str, float]:
    """Milliseconds by ``part/phase/kind`` (ops' self time) and by range (their whole time)."""
    ms: dict[str, float] = defaultdict(float)
    for event in events:
        if event.name in (GAMES, ACTING, LEARNING):
            ms[f"range {event.name}"] += event.cpu_time_total / 1000
        elif event.name.startswith("aten::") and (where := part_of(event)) is not None:
            part, phase = where
            ms["/".join(filter(None, (part, phase, op_kind(event.name))))] += (
                event.self_cpu_time_total / 1000
            )
    return dict(ms)


def rows(ms: dict[str, float], steps: int, wall_s: float) -> list[tuple[str, float]]:
    """(line, ms per 1,000 agent steps): the loop's parts, each op kind, and what is left."""
    per = 1000 / steps

    def total(prefix: str) -> float:
        return sum(v for k, v in ms.items() if k.startswith(prefix))

    games = ms.get(f"range {GAMES}", 0.0)
    acting = ms.get(f"range {ACTING}", 0.0) - games
    learning = ms.get(f"range {LEARNING}", 0.0)
    lines = [("games (emulator, preprocessing, frame stack)", games)]
    for key in sorted(k for k in ms if k.startswith("acting/")):
        lines.append((f"acting: {key.split('/')[-1]}", ms[key]))
    lines.append(("acting: Python, storage, exploration", acting - total("acting/")))
    for phase in ("forward and loss", "backward", "optimizer"):
        for key in sorted(k for k in ms if k.startswith(f"learning/{phase}/")):
            lines.append((f"learning, {phase}: {key.split('/')[-1]}", ms[key]))
    lines.append(("learning: Python between the ops", learning - total("learning/")))
    rest = wall_s * 1000 - acting - games - learning
    lines.append(("the rest (logging, callbacks, schedules)", rest))
    return [(line, value * per) for line, value in lines]


def profile_recipe(recipe: str, steps: int, overrides: list[str]) -> dict[str, Any]:
    """Plain steps/s and the profiled breakdown of ``steps`` agent steps of ``recipe``."""
    import torch as th
    from torch.profiler import ProfilerActivity, profile

    from simple_game.bench.setups import project_env, project_model
    from simple_game.config.compose import compose

    cfg = compose([f"recipe={recipe}", "hardware=cpu", *overrides])
    env = project_env(cfg, seed=0)
    model = project_model(cfg, env, th.device("cpu"))
    rollout = int(cfg.algo.get("n_steps", 1)) * int(cfg.env.n_envs)
    model.learn(total_timesteps=rollout)  # warm-up: first allocations, first rollout
    start, clock = model.num_timesteps, time.perf_counter()
    model.learn(total_timesteps=steps, reset_num_timesteps=False)
    plain = (model.num_timesteps - start) / (time.perf_counter() - clock)

    wrap(model.env, "step", GAMES)
    for method in ("collect_rollouts", "collect_rollout"):  # SB3's on-policy loop; PQN's
        if hasattr(model, method):
            wrap(model, method, ACTING)
    wrap(model, "train", LEARNING)
    start = model.num_timesteps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        clock = time.perf_counter()
        model.learn(total_timesteps=steps, reset_num_timesteps=False)
        wall = time.perf_counter() - clock
    done = model.num_timesteps - start
    env.close()
    table = rows(breakdown(list(prof.events())), done, wall)
    return {
        "recipe": recipe,
        "steps": done,
        "steps_per_s": plain,
        "profiled_steps_per_s": done / wall,
        "ms_per_1000_steps": dict(table),
    }


def print_profile(result: dict[str, Any]) -> None:
    table = result["ms_per_1000_steps"]
    whole = sum(table.values())
    print(
        f"\n{result['recipe']}: {result['steps_per_s']:,.0f} steps/s "
        f"({result['profiled_steps_per_s']:,.0f} under the profiler, {result['steps']:,} steps); "
        "ms per 1,000 agent steps, profiled:",
        flush=True,
    )
    for line, value in table.items():
        if abs(value) >= 0.5:
            print(f"  {line:52s} {value:8.0f} ms  {100 * value / whole:5.1f}%", flush=True)
