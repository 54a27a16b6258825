"""One training run, top to bottom: config -> envs -> model -> learn -> evaluate -> files.

``python -m simple_game`` composes the config with Hydra and calls :func:`run` inside the
run directory Hydra created. Read this file first: every other module is one step of it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from simple_game.config import validate
from simple_game.rundir import RunRecord, utc_now

log = logging.getLogger(__name__)

GUIDE = "docs/README.md"


def run(cfg: DictConfig, run_dir: Path) -> float:
    """Train the agent ``cfg`` describes; write everything into ``run_dir``.

    Returns the final evaluation's mean score, the number a sweeper optimises.
    """
    validate(cfg)
    # Heavy imports happen here, not at module import (see docs/decisions.md).
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback, EvalCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.logger import CSVOutputFormat, Logger, TensorBoardOutputFormat
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.callbacks import (
        EvalHistoryCallback,
        ProgressReportCallback,
        format_duration,
        record_evaluation,
    )
    from simple_game.envs import EVAL_SEED_OFFSET, make_env
    from simple_game.hardware import configure_threads, resolve_device
    from simple_game.models import build_model

    # 1. Hardware and seeding.
    device = resolve_device(cfg.hardware.device)
    configure_threads(int(cfg.hardware.torch_threads))
    seed = int(cfg.seed)
    set_random_seed(seed)

    algo, n_envs = cfg.algo.name, int(cfg.env.n_envs)
    total = int(cfg.train.total_timesteps)
    log.info(
        "Training %s on %s (%s) for %s steps with %d parallel game(s) on %s, seed %d.",
        algo.upper(), cfg.env.name, cfg.env.id, f"{total:,}", n_envs, device, seed,
    )
    log.info("Run directory: %s", run_dir)
    log.info("New to this? %s explains every line below.", GUIDE)

    # 2. Environments: training games (life loss ends episodes, clipped rewards) and
    #    evaluation games (full games, real scores), built by the same pipeline.
    train_env = make_env(cfg.env, n_envs=n_envs, seed=seed, evaluation=False)
    eval_env = make_env(cfg.env, n_envs=1, seed=seed + EVAL_SEED_OFFSET, evaluation=True)

    # 3. The model, logging to TensorBoard and progress.csv in the run directory.
    model = build_model(cfg, train_env, device)
    model.set_logger(
        Logger(
            folder=str(run_dir),
            output_formats=[
                CSVOutputFormat(str(run_dir / "progress.csv")),
                TensorBoardOutputFormat(str(run_dir / "tensorboard")),
            ],
        )
    )

    # 4. Callbacks: periodic evaluation (+ best model), checkpoints, console lines.
    record = RunRecord(
        run_dir,
        experiment=cfg.experiment,
        algo=algo,
        env=cfg.env.name,
        env_id=cfg.env.id,
        policy=cfg.policy.name,
        device=str(device),
        seed=seed,
        note=cfg.note,
        overrides=_overrides(run_dir),
        total_timesteps=total,
    )
    started = time.monotonic()

    def clock() -> float:
        return time.monotonic() - started

    n_eval = int(cfg.train.n_eval_episodes)
    deterministic = bool(cfg.train.eval_deterministic)
    callbacks = []
    if cfg.train.eval_freq > 0:
        callbacks.append(
            EvalCallback(
                eval_env,
                n_eval_episodes=n_eval,
                eval_freq=max(int(cfg.train.eval_freq) // n_envs, 1),  # counted in env.step calls
                deterministic=deterministic,
                best_model_save_path=str(run_dir),
                log_path=str(run_dir),
                callback_after_eval=EvalHistoryCallback(run_dir, record, clock),
                verbose=0,
            )
        )
    if cfg.train.checkpoint_freq > 0:
        callbacks.append(
            CheckpointCallback(
                save_freq=max(int(cfg.train.checkpoint_freq) // n_envs, 1),
                save_path=str(run_dir / "checkpoints"),
                name_prefix=algo,
            )
        )
    progress = ProgressReportCallback(
        record, total, float(cfg.train.log_interval_s), clock, f"{algo} {cfg.env.name}"
    )
    callbacks.append(progress)

    # 5. Learn. Whatever happens, summary.json says how it ended.
    try:
        model.learn(
            total_timesteps=total,
            callback=CallbackList(callbacks),
            progress_bar=bool(cfg.train.progress_bar),
            tb_log_name=algo,
        )
    except KeyboardInterrupt:
        model.save(run_dir / "checkpoints" / f"{algo}_{model.num_timesteps}_steps")
        _finish(record, model.num_timesteps, clock(), status="interrupted")
        log.warning("Interrupted at %s steps; a checkpoint was saved.", f"{model.num_timesteps:,}")
        raise
    except Exception as err:
        _finish(record, model.num_timesteps, clock(), status="failed", error=f"{type(err).__name__}: {err}")
        raise
    train_time = clock()
    model.save(run_dir / "final_model")

    # 6. Final evaluation of the final model: full games, unclipped scores.
    rewards, lengths = evaluate_policy(
        model, eval_env, n_eval_episodes=n_eval, deterministic=deterministic, return_episode_rewards=True
    )
    best_before = record.data["best_eval_mean_reward"]
    record_evaluation(run_dir, record, model.num_timesteps, rewards, lengths, clock())
    if best_before is None or record.data["eval_mean_reward"] > best_before:
        model.save(run_dir / "best_model")
    _finish(record, model.num_timesteps, train_time, status="completed")
    train_env.close()
    eval_env.close()

    data = record.data
    log.info(
        "Done: %s steps in %s (%.0f steps/s). Final eval: %.1f ± %.1f over %d full games; best %.1f.",
        f"{data['timesteps']:,}",
        format_duration(train_time),
        data["steps_per_s"],
        data["eval_mean_reward"],
        data["eval_std_reward"],
        data["eval_episodes"],
        data["best_eval_mean_reward"],
    )
    log.info("Everything about this run is in %s", run_dir)
    return float(data["eval_mean_reward"])


def _finish(record: RunRecord, timesteps: int, wall_time_s: float, status: str, error: str | None = None) -> None:
    record.update(
        status=status,
        error=error,
        timesteps=int(timesteps),
        wall_time_s=round(wall_time_s, 2),
        steps_per_s=round(timesteps / wall_time_s, 1) if wall_time_s > 0 else 0.0,
        finished_at=utc_now(),
    )


def _overrides(run_dir: Path) -> list[str]:
    """The command-line overrides Hydra saved for this run."""
    path = run_dir / ".hydra" / "overrides.yaml"
    return list(OmegaConf.load(path)) if path.exists() else []
