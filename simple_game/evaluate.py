"""``python -m simple_game.evaluate run=<dir>``: score, record or watch an agent on full games.

Training-time evaluations are short (a few games) and use whatever settings the run had.
This command re-plays any checkpoint of a run on as many games as you like, on exactly the
game set-up the run trained with (rebuilt from its saved ``.hydra/config.yaml``), and
reports the score the way papers do:

* full games: an episode ends at game over, not at a lost life, and scores are not clipped
  (``envs.make_env(..., evaluation=True)``);
* actions sampled from the policy by default (``deterministic=false``), the convention of
  rl-zoo3 and CleanRL for Atari: an argmax policy can get stuck, e.g. never press FIRE;
* optionally sticky actions (``sticky_actions=0.25``), the protocol of Machado et al. 2018;
* the raw score next to the human-normalised score (:mod:`simple_game.scores`).

``agent=random`` plays the same games with uniform random actions: the baseline every
score should be compared with. docs/evaluation.md is the user guide.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
import numpy as np
from omegaconf import DictConfig, OmegaConf

from simple_game import scores
from simple_game.rundir import package_versions, utc_now, write_json_atomic

if TYPE_CHECKING:
    import gymnasium as gym
    from stable_baselines3.common.type_aliases import PolicyPredictor
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.video import GameRecorder

EVALUATIONS_DIR = "evaluations"
VIDEOS_DIR = "videos"
# Model files of a run that checkpoint=best / final name.
NAMED_CHECKPOINTS = {"best": "best_model.zip", "final": "final_model.zip"}


class EvaluateError(ValueError):
    """Bad input (run directory, checkpoint, option); the message is one console line."""


@dataclass
class Target:
    """What to evaluate: a game config, where results go, and the agent's checkpoint."""

    cfg: DictConfig  # the run's config, or for a random agent without a run just {env, seed}
    run_dir: Path | None
    out_dir: Path  # evaluations/ and videos/ go here
    label: str  # names the result files: best, final, ppo_500000_steps, random
    checkpoint: Path | None  # None for the random agent


class RandomAgent:
    """Uniform random actions, with the ``predict`` signature SB3's ``evaluate_policy`` uses."""

    def __init__(self, action_space: gym.spaces.Discrete, seed: int) -> None:
        self.action_space = action_space
        self.action_space.seed(seed)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        return np.array([self.action_space.sample() for _ in range(len(observation))]), None


# ---------------------------------------------------------------------------------------
# Finding what to evaluate
# ---------------------------------------------------------------------------------------


def load_run_config(run_dir: Path) -> DictConfig:
    """The run's saved config, checked to still name a known game and an importable algo.

    Only what evaluation needs is checked (training options are not): a run trained before
    a new training option was added must stay evaluable. :func:`build_env` checks the rest.
    """
    from hydra.errors import HydraException
    from hydra.utils import get_class
    from omegaconf.errors import OmegaConfBaseException

    key = f"run={run_dir}"
    if not run_dir.is_dir():
        raise EvaluateError(f"{key}: no such directory")
    path = run_dir / ".hydra" / "config.yaml"
    if not path.is_file():
        raise EvaluateError(f"{key}: no .hydra/config.yaml, so not a training run directory")
    from simple_game.envs import check_game_id  # imports torch: after the quick checks

    try:
        cfg = OmegaConf.load(path)
        assert isinstance(cfg, DictConfig)
        OmegaConf.resolve(cfg)
        get_class(cfg.algo._target_)
        check_game_id(cfg.env.id)
    except (
        AssertionError,
        HydraException,
        OmegaConfBaseException,
        ImportError,
        ValueError,
    ) as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise EvaluateError(
            f"{key}: its .hydra/config.yaml no longer composes: {first_line}"
        ) from err
    return cfg


def resolve_checkpoint(run_dir: Path, algo: str, checkpoint: str) -> tuple[str, Path]:
    """``best`` / ``final`` / ``latest`` / a step count -> (label, model file)."""
    from simple_game.checkpoints import list_checkpoints

    key = f"checkpoint={checkpoint}"
    saved = list_checkpoints(run_dir)
    if checkpoint in NAMED_CHECKPOINTS:
        path = run_dir / NAMED_CHECKPOINTS[checkpoint]
        label = checkpoint
    elif checkpoint == "latest":
        if not saved:
            raise EvaluateError(f"{key}: run={run_dir} has no checkpoints/*_steps.zip yet")
        path = saved[-1][1]
        label = path.stem
    elif checkpoint.isdigit():
        path = run_dir / "checkpoints" / f"{algo}_{int(checkpoint)}_steps.zip"
        label = path.stem
    else:
        raise EvaluateError(f"{key}: use best, final, latest or a step count such as 500000")
    if not path.is_file():
        steps = ", ".join(str(s) for s, _ in saved) or "none"
        raise EvaluateError(
            f"{key}: run={run_dir} has no {path.relative_to(run_dir)} (saved step counts: {steps})"
        )
    return label, path


def build_env(target: Target, env_cfg: DictConfig, seed: int, render_mode: str | None) -> VecEnv:
    """The one-game, full-game evaluation env; a config it cannot build is bad input."""
    from omegaconf.errors import OmegaConfBaseException

    from simple_game.envs import make_env

    try:
        return make_env(env_cfg, n_envs=1, seed=seed, evaluation=True, render_mode=render_mode)
    except (OmegaConfBaseException, ValueError, TypeError) as err:
        if target.run_dir is None:
            raise
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise EvaluateError(
            f"run={target.run_dir}: its .hydra/config.yaml no longer composes: {first_line}"
        ) from err


def find_target(cfg: DictConfig) -> Target:
    """Turn the command line into a :class:`Target`, or raise :class:`EvaluateError`."""
    if cfg.agent not in ("model", "random"):
        raise EvaluateError(f"agent={cfg.agent}: use model (a trained run) or random")
    if cfg.run is not None:
        run_dir = Path(str(cfg.run))
        run_cfg = load_run_config(run_dir)
        if cfg.agent == "random":
            return Target(run_cfg, run_dir, run_dir, "random", None)
        from simple_game.checkpoints import CorruptCheckpointError, check_checkpoint

        label, path = resolve_checkpoint(run_dir, run_cfg.algo.name, str(cfg.checkpoint))
        try:
            check_checkpoint(path)
        except CorruptCheckpointError as err:
            raise EvaluateError(f"checkpoint={cfg.checkpoint}: {err}") from err
        return Target(run_cfg, run_dir, run_dir, label, path)
    if cfg.agent == "random" and cfg.get("env") is not None:
        from simple_game.envs import UnknownGameError, check_game_id

        try:
            check_game_id(cfg.env.id)
        except UnknownGameError as err:
            raise EvaluateError(str(err)) from err
        # Without a run, results go to runs/random_<game>/ (not a training run: no summary.json).
        game_cfg = OmegaConf.create({"env": cfg.env, "seed": 0})
        return Target(game_cfg, None, Path("runs") / f"random_{cfg.env.name}", "random", None)
    raise EvaluateError(
        "run=: give a run directory (run=runs/<experiment>/<timestamp>), "
        "or a game for the random baseline (agent=random env=pong)"
    )


# ---------------------------------------------------------------------------------------
# Playing the games
# ---------------------------------------------------------------------------------------


class GameTracker:
    """``evaluate_policy`` callback: counts agent steps per game and feeds the video recorder.

    With ``videos`` set, it records each game to ``<videos>/<label>_ep<N>.mp4`` from the
    env's RGB screen. The screen is read after each step, so a video has one frame per agent
    step except the last (at game over the env has already reset to the next game).
    """

    def __init__(
        self, venv: VecEnv, videos: Path | None, label: str, fps: float, gif: bool
    ) -> None:
        self.venv = venv
        self.videos, self.label, self.fps, self.gif = videos, label, fps, gif
        self.steps: list[int] = []  # agent steps of each finished game
        self.files: list[dict[str, Any]] = []  # one entry per recorded game
        self._steps = 0
        self._recorder: GameRecorder | None = None

    def __call__(self, local_vars: dict[str, Any], _globals: dict[str, Any]) -> None:
        from simple_game.video import GameRecorder, screen

        self._steps += 1
        if not local_vars["dones"][0]:
            if self.videos is not None:
                if self._recorder is None:
                    stem = self.videos / f"{self.label}_ep{len(self.steps) + 1:02d}"
                    self._recorder = GameRecorder(stem, self.fps, self.gif)
                self._recorder.add(screen(self.venv))
            return
        self.steps.append(self._steps)
        self._steps = 0
        if self._recorder is not None:
            paths = self._recorder.close()
            self.files.append(
                {
                    "episode": len(self.steps),
                    "frames": self._recorder.frames,
                    "files": [str(p) for p in paths],
                }
            )
            self._recorder = None


def play(
    agent: PolicyPredictor,
    venv: VecEnv,
    episodes: int,
    deterministic: bool,
    tracker: GameTracker,
) -> tuple[list[float], list[int]]:
    """Full-game scores and emulator frame counts (Monitor's ``l``) of ``episodes`` games."""
    from stable_baselines3.common.evaluation import evaluate_policy

    rewards, frames = evaluate_policy(
        agent,
        venv,
        n_eval_episodes=episodes,
        deterministic=deterministic,
        return_episode_rewards=True,
        callback=tracker,
        warn=False,
    )
    return [float(r) for r in rewards], [int(n) for n in frames]


def display_available() -> bool:
    """False on a Linux/BSD machine with no X11 or Wayland display (a server, CI)."""
    if sys.platform.startswith(("linux", "freebsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # macOS and Windows always have a window system


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Play the games the evaluate config asks for; write and return the result."""
    # Check every input before anything is written (and before torch is imported: bad input
    # fails within a second).
    episodes = cfg.episodes
    if not isinstance(episodes, int) or isinstance(episodes, bool) or episodes < 1:
        raise EvaluateError(f"episodes={episodes}: must be a whole number >= 1")
    sticky = cfg.sticky_actions
    if sticky is not None and not (isinstance(sticky, (int, float)) and 0 <= sticky <= 1):
        raise EvaluateError(f"sticky_actions={sticky}: must be between 0 and 1 (or null)")
    record = bool(cfg.video or cfg.gif)
    if cfg.watch and record:
        raise EvaluateError(
            "watch=true: a live window and a recording exclude each other; drop one"
        )
    if cfg.watch and not display_available():
        raise EvaluateError(
            "watch=true: no display here (DISPLAY/WAYLAND_DISPLAY unset); "
            "use video=true to record mp4 files instead"
        )
    target = find_target(cfg)
    from hydra.utils import get_class
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.envs import EVAL_SEED_OFFSET
    from simple_game.hardware import DeviceUnavailableError, configure_threads, resolve_device
    from simple_game.video import video_fps

    try:
        device = resolve_device(str(cfg.device))
    except DeviceUnavailableError as err:
        raise EvaluateError(str(err).replace("hardware.device", "device")) from err

    env_cfg = target.cfg.env.copy()
    if sticky is not None:
        env_cfg.sticky_actions = float(sticky)
    # One game feeds the network one frame at a time: extra torch threads only add
    # synchronisation (on a busy 2-core machine: 7 ms per step with 1 thread, 100 ms with 2).
    configure_threads(1)
    seed = int(cfg.seed) if cfg.seed is not None else int(target.cfg.seed) + EVAL_SEED_OFFSET
    set_random_seed(seed)  # python, numpy, torch: sampled actions repeat with the seed
    render_mode = "human" if cfg.watch else "rgb_array" if record else None
    venv = build_env(target, env_cfg, seed, render_mode)

    if target.checkpoint is None:
        agent: PolicyPredictor = RandomAgent(venv.action_space, seed)
        model_steps = None
    else:
        model = get_class(target.cfg.algo._target_).load(target.checkpoint, device=device)
        agent, model_steps = model, int(model.num_timesteps)

    videos = target.out_dir / VIDEOS_DIR if record else None
    tracker = GameTracker(venv, videos, target.label, video_fps(env_cfg), bool(cfg.gif))
    started = time.monotonic()
    try:
        rewards, frames = play(agent, venv, episodes, bool(cfg.deterministic), tracker)
    finally:
        venv.close()

    game = env_cfg.name
    ref = scores.baseline(env_cfg.id)
    mean = float(np.mean(rewards))
    result: dict[str, Any] = {
        "run": str(target.run_dir) if target.run_dir else None,
        "agent": cfg.agent,
        "checkpoint": target.label,
        "checkpoint_file": str(target.checkpoint) if target.checkpoint else None,
        "model_timesteps": model_steps,
        "algo": target.cfg.algo.name if target.checkpoint else None,
        "env": game,
        "env_id": env_cfg.id,
        "episodes": episodes,
        "deterministic": bool(cfg.deterministic),
        "sticky_actions": float(env_cfg.sticky_actions),
        "seed": seed,
        "mean_reward": mean,
        "std_reward": float(np.std(rewards)),
        "min_reward": float(np.min(rewards)),
        "max_reward": float(np.max(rewards)),
        "human_normalized_mean": scores.human_normalized(env_cfg.id, mean),
        "random_score": ref.random if ref else None,
        "human_score": ref.human if ref else None,
        "episode_rewards": rewards,
        "episode_human_normalized": [scores.human_normalized(env_cfg.id, r) for r in rewards],
        "episode_steps": tracker.steps,  # agent decisions (one per frame_skip frames)
        "episode_frames": frames,  # emulator frames, including the no-op start
        "videos": tracker.files,
        "wall_time_s": round(time.monotonic() - started, 2),
        "evaluated_at": utc_now(),
        "versions": package_versions(),
    }
    result["file"] = str(save_result(target.out_dir, target.label, result))
    return result


def save_result(out_dir: Path, label: str, result: dict[str, Any]) -> Path:
    """``<out>/evaluations/<label>_<UTC time>.json``; never overwrites an earlier evaluation."""
    folder = out_dir / EVALUATIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    path, n = folder / f"{label}_{stamp}.json", 1
    while path.exists():
        n += 1
        path = folder / f"{label}_{stamp}_{n}.json"
    write_json_atomic(path, result)
    return path


# ---------------------------------------------------------------------------------------
# Console output
# ---------------------------------------------------------------------------------------


def _hn(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(result: dict[str, Any]) -> str:
    """The per-game table, the summary line and where the files went."""
    who = (
        f"random agent on {result['env']}"
        if result["agent"] == "random"
        else f"{result['algo']} on {result['env']}, checkpoint {result['checkpoint']} "
        f"({result['model_timesteps']:,} training steps)"
    )
    if result["agent"] == "random":
        actions = "uniform random actions"
    elif result["deterministic"]:
        actions = "argmax actions (deterministic=true)"
    else:
        actions = "actions sampled from the policy (deterministic=false, the Atari convention)"
    lines = [
        f"Evaluating {who}",
        f"  {result['env_id']}: {result['episodes']} full games (game over ends a game, "
        f"real scores), {actions}, sticky actions {result['sticky_actions']:g}, "
        f"seed {result['seed']}",
        "",
        f"  {'game':>4}  {'score':>9}  {'human-norm':>10}  {'agent steps':>11}",
    ]
    for i, (r, hn, n) in enumerate(
        zip(
            result["episode_rewards"],
            result["episode_human_normalized"],
            result["episode_steps"],
            strict=True,
        ),
        start=1,
    ):
        lines.append(f"  {i:>4}  {r:>9.1f}  {_hn(hn):>10}  {n:>11,}")
    lines += [
        "",
        f"  score {result['mean_reward']:.1f} ± {result['std_reward']:.1f} "
        f"(min {result['min_reward']:.1f}, max {result['max_reward']:.1f}) "
        f"over {result['episodes']} game{'s' if result['episodes'] != 1 else ''}",
    ]
    if result["human_normalized_mean"] is None:
        lines.append("  human-normalised: n/a (no published random/human scores for this game)")
    else:
        lines.append(
            f"  human-normalised {result['human_normalized_mean']:.3f} "
            f"(0 = random {result['random_score']:g}, 1 = human {result['human_score']:g}; "
            "Badia et al. 2020)"
        )
    for video in result["videos"]:
        lines.append(f"  video of game {video['episode']}: {', '.join(video['files'])}")
    lines.append(f"  saved {result['file']}")
    return "\n".join(lines)


def check_command_line(argv: list[str]) -> None:
    """Raise :class:`EvaluateError` for an unknown option or game, before Hydra starts.

    Hydra's own messages for these are several lines plus a hint about HYDRA_FULL_ERROR.
    """
    import difflib

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from simple_game.config import CONF_DIR, ConfigError, check_group_option

    options = [
        k for k in OmegaConf.load(CONF_DIR / "evaluate.yaml") if k not in ("defaults", "hydra")
    ]
    try:
        overrides = OverridesParser.create().parse_overrides([a for a in argv if "=" in a])
    except HydraException as err:
        raise EvaluateError(str(err).strip().splitlines()[0]) from err
    for override in overrides:
        key = override.key_or_group
        if key == "env":
            try:
                check_group_option("env", override.get_value_element_as_str())
            except ConfigError as err:
                raise EvaluateError(str(err)) from err
        elif key.split(".")[0] not in (*options, "hydra"):
            close = difflib.get_close_matches(key, options, n=1)
            hint = f"did you mean {close[0]}?" if close else f"options: {', '.join(options)}"
            raise EvaluateError(f"{key} is not an option of simple_game.evaluate; {hint}")


def main() -> None:
    """``python -m simple_game.evaluate``: check the command line, then run the Hydra app."""
    try:
        check_command_line(sys.argv[1:])
    except EvaluateError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    evaluate_app()


@hydra.main(config_path="../conf", config_name="evaluate", version_base="1.3")
def evaluate_app(cfg: DictConfig) -> None:
    try:
        if cfg.plot_only:
            from simple_game.plots import plot_learning_curve

            if cfg.run is None:
                raise EvaluateError("run=: plot_only=true needs a run directory")
            run_dir = Path(str(cfg.run))
            load_run_config(run_dir)
            print(f"learning curve: {plot_learning_curve(run_dir)}")
            return
        print(format_report(evaluate(cfg)))
    except EvaluateError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
