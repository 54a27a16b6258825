"""One training run, top to bottom: config -> envs -> model -> learn -> evaluate -> files.

``python -m simple_game`` composes the config with Hydra and calls :func:`run` inside the
run directory Hydra created. Read this file first: every other module is one step of it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from simple_game.config import validate
from simple_game.rundir import RunRecord, read_overrides, utc_now

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.callbacks import Stopwatch

log = logging.getLogger(__name__)

# The lesson that explains the console lines below, and the page of each algorithm.
GUIDE = "docs/lessons/02-first-run.md"
ALGO_GUIDE = "docs/algorithms/{algo}.md"


def run(cfg: DictConfig, run_dir: Path) -> float:
    """Train the agent ``cfg`` describes; write everything into ``run_dir``.

    Returns the final evaluation's mean score, the number a sweeper optimises. Whatever
    happens, summary.json says how the run ended: a sweep job with a bad combination of
    values (which the command-line checks could not see) is recorded as ``failed``.
    """
    record = RunRecord(
        run_dir,
        resume=bool(cfg.resume),
        experiment=cfg.experiment,
        algo=cfg.algo.name,
        env=cfg.env.name,
        env_id=cfg.env.id,
        policy=cfg.policy.name,
        seed=cfg.seed,
        note=cfg.note,
        overrides=read_overrides(run_dir),
        total_timesteps=cfg.train.total_timesteps,
    )
    try:
        validate(cfg)
        return _train(cfg, run_dir, record)
    except Exception as err:
        from optuna import TrialPruned  # simple_game/tuning.py raises it when a sweep prunes

        status = "pruned" if isinstance(err, TrialPruned) else "failed"
        record.update(status=status, error=f"{type(err).__name__}: {err}", finished_at=utc_now())
        raise


def _train(cfg: DictConfig, run_dir: Path, record: RunRecord) -> float:
    # Heavy imports happen here, not at module import (see docs/decisions.md).
    from stable_baselines3.common.callbacks import CallbackList, EvalCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.callbacks import (
        EvalHistoryCallback,
        ProgressReportCallback,
        Stopwatch,
        format_duration,
        record_evaluation,
    )
    from simple_game.checkpoints import AtomicCheckpointCallback, save_checkpoint
    from simple_game.envs import EVAL_SEED_OFFSET, make_env
    from simple_game.hardware import configure_threads, resolve_device
    from simple_game.logger import attach_run_logger
    from simple_game.models import OFF_POLICY_ALGOS
    from simple_game.plots import plot_learning_curve
    from simple_game.stopping import EXIT_INTERRUPTED, StopOnRequestCallback, StopRequest
    from simple_game.tuning import trial_callbacks
    from simple_game.video import TrainVideoCallback

    # 1. Hardware and seeding.
    device = resolve_device(cfg.hardware.device)
    configure_threads(int(cfg.hardware.torch_threads))
    seed = int(cfg.seed)
    set_random_seed(seed)
    record.update(device=str(device))

    algo, n_envs = cfg.algo.name, int(cfg.env.n_envs)
    total = int(cfg.train.total_timesteps)
    log.info(
        "Training %s on %s (%s) for %s steps with %d parallel game(s) on %s, seed %d.",
        algo.upper(),
        cfg.env.name,
        cfg.env.id,
        f"{total:,}",
        n_envs,
        device,
        seed,
    )
    log.info("Run directory: %s", run_dir)
    log.info(
        "New to this? %s explains every line below; %s explains %s.",
        GUIDE,
        ALGO_GUIDE.format(algo=algo),
        algo.upper(),
    )

    # 2. Environments: training games (life loss ends episodes, clipped rewards) and
    #    evaluation games (full games, real scores), built by the same pipeline.
    train_env = make_env(cfg.env, n_envs=n_envs, seed=seed, evaluation=False)
    eval_env = make_env(cfg.env, n_envs=1, seed=seed + EVAL_SEED_OFFSET, evaluation=True)

    # 3. The model: fresh, or the latest checkpoint of this run when resuming.
    model = _model(cfg, run_dir, train_env, device)
    stopwatch = Stopwatch(
        previous_s=float(record.data["wall_time_s"]) if cfg.resume else 0.0,
        start_steps=model.num_timesteps,
    )
    attach_run_logger(model, run_dir)

    # 4. Callbacks: periodic evaluation (+ best model), checkpoints, console lines, Ctrl-C.
    n_eval = int(cfg.train.n_eval_episodes)
    deterministic = bool(cfg.train.eval_deterministic)
    keeps_buffer = algo in OFF_POLICY_ALGOS and bool(cfg.train.save_replay_buffer)
    stop = StopRequest()
    callbacks = [StopOnRequestCallback(stop)]
    after_eval = [EvalHistoryCallback(run_dir, record, stopwatch)]
    if cfg.train.video:  # a short clip of the current policy at each evaluation
        after_eval.append(
            TrainVideoCallback(cfg.env, run_dir, seed + EVAL_SEED_OFFSET, deterministic)
        )
    after_eval += trial_callbacks(cfg)  # an Optuna trial: report each eval, stop if pruned
    if cfg.train.eval_freq > 0:
        callbacks.append(
            EvalCallback(
                eval_env,
                n_eval_episodes=n_eval,
                eval_freq=max(int(cfg.train.eval_freq) // n_envs, 1),  # counted in env.step calls
                deterministic=deterministic,
                best_model_save_path=str(run_dir),
                log_path=str(run_dir),
                callback_after_eval=CallbackList(after_eval),
                verbose=0,
            )
        )
    if cfg.train.checkpoint_freq > 0:
        callbacks.append(
            AtomicCheckpointCallback(
                run_dir,
                algo,
                save_freq=int(cfg.train.checkpoint_freq),
                keep_last=int(cfg.train.keep_checkpoints),
                with_replay_buffer=keeps_buffer,
            )
        )
    callbacks.append(
        ProgressReportCallback(
            record, total, float(cfg.train.log_interval_s), stopwatch, f"{algo} {cfg.env.name}"
        )
    )

    # 5. Learn. SB3 counts steps from the checkpoint when resuming, so the learning-rate
    #    schedule and TensorBoard's step axis carry on where they stopped.
    stop.install()
    try:
        model.learn(
            total_timesteps=max(total - model.num_timesteps, 0),
            callback=CallbackList(callbacks),
            progress_bar=bool(cfg.train.progress_bar),
            tb_log_name=algo,
            reset_num_timesteps=not cfg.resume,
        )
        stopwatch.stop()
        if stop.signal_name is not None:
            # Still under our handlers: a second Ctrl-C during this save quits at once, and
            # the atomic write leaves the previous checkpoint intact.
            path = save_checkpoint(model, run_dir, algo, keeps_buffer)
            _finish(record, model.num_timesteps, stopwatch, status="interrupted")
            log.warning(
                "Stopped by %s at %s steps; checkpoint saved to %s.\n"
                "Resume with: python -m simple_game resume=%s",
                stop.signal_name,
                f"{model.num_timesteps:,}",
                path,
                run_dir,
            )
            sys.exit(EXIT_INTERRUPTED)
    finally:
        stop.restore()
    model.save(run_dir / "final_model")

    # 6. Final evaluation of the final model: full games, unclipped scores.
    rewards, lengths = evaluate_policy(
        model,
        eval_env,
        n_eval_episodes=n_eval,
        deterministic=deterministic,
        return_episode_rewards=True,
    )
    best_before = record.data["best_eval_mean_reward"]
    record_evaluation(run_dir, record, model.num_timesteps, rewards, lengths, stopwatch.total())
    if best_before is None or record.data["eval_mean_reward"] > best_before:
        model.save(run_dir / "best_model")
    _finish(record, model.num_timesteps, stopwatch, status="completed")
    train_env.close()
    eval_env.close()
    try:  # a picture of the run; a plotting problem must not fail a finished run
        log.info("Learning curve: %s", plot_learning_curve(run_dir))
    except (OSError, ValueError) as err:
        log.warning("Could not draw the learning curve: %s", err)

    data = record.data
    log.info(
        "Done: %s steps in %s (%.0f steps/s). "
        "Final eval: %.1f ± %.1f over %d full games; best %.1f.",
        f"{data['timesteps']:,}",
        format_duration(data["wall_time_s"]),
        data["steps_per_s"],
        data["eval_mean_reward"],
        data["eval_std_reward"],
        data["eval_episodes"],
        data["best_eval_mean_reward"],
    )
    log.info("Everything about this run is in %s", run_dir)
    return float(data["eval_mean_reward"])


def _model(cfg: DictConfig, run_dir: Path, env: VecEnv, device: object) -> BaseAlgorithm:
    """A fresh model, or, when resuming, the latest checkpoint with its replay buffer."""
    from hydra.utils import get_class
    from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

    from simple_game.checkpoints import latest_replay_buffer, list_checkpoints, load_replay_buffer
    from simple_game.models import build_model, speed_up

    if not cfg.resume:
        return build_model(cfg, env, device)
    steps, path = list_checkpoints(run_dir)[-1]
    model = get_class(cfg.algo._target_).load(path, env=env, device=device)
    speed_up(model, cfg)  # precision and memory format are not stored in the zip
    buffer = latest_replay_buffer(run_dir, steps)
    if buffer is not None and isinstance(model, OffPolicyAlgorithm):
        load_replay_buffer(model, buffer)
    log.info(
        "Resuming from %s (%s steps%s).",
        path.name,
        f"{steps:,}",
        ", with its replay buffer" if buffer else "",
    )
    return model


def _finish(record: RunRecord, timesteps: int, stopwatch: Stopwatch, status: str) -> None:
    record.update(
        status=status,
        timesteps=int(timesteps),
        wall_time_s=round(stopwatch.total(), 2),
        steps_per_s=round(stopwatch.steps_per_s(timesteps), 1),
        finished_at=utc_now(),
    )
