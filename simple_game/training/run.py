"""One training run, top to bottom: config -> envs -> model -> learn -> evaluate -> files.

``python -m simple_game`` composes the config with Hydra and calls :func:`run` inside the
run directory Hydra created. Read :func:`train` first: each numbered step is one function
below it, and each of those calls into one module of the package.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from simple_game.config.schema import RunConf, to_run_conf
from simple_game.config.validate import validate
from simple_game.records.paths import RunPaths
from simple_game.records.summary import RunRecord, read_overrides

if TYPE_CHECKING:
    import torch as th
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.training.evaluation import Evaluator, Score
    from simple_game.training.progress import Stopwatch
    from simple_game.training.sharing import CpuShare
    from simple_game.training.stopping import StopRequest

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
        resume=cfg.resume is not None,
        experiment=cfg.experiment,
        algo=cfg.algo.name,
        env=cfg.env.name,
        env_id=cfg.env.id,
        policy=cfg.policy.name,
        seed=cfg.seed,
        note=cfg.note,
        overrides=read_overrides(run_dir),
        total_timesteps=cfg.train.total_timesteps,
        recipe=cfg.recipe,
    )
    try:
        validate(cfg)
        return train(to_run_conf(cfg), RunPaths(run_dir), record)
    except Exception as err:
        # An error in step 6 (drawing, reporting: after the record says "completed") still
        # raises, but the run stays completed: its models and evaluations are whole.
        if record.summary.status != "completed":
            status = "pruned" if _pruned(cfg.tuning.trial, err) else "failed"
            record.finish(status, error=f"{type(err).__name__}: {err}")
        raise


def train(cfg: RunConf, paths: RunPaths, record: RunRecord) -> float:
    """The steps of a run, from the typed config. Returns the final evaluation's mean score."""
    from simple_game.envs.build import EVAL_SEED_OFFSET
    from simple_game.training.evaluation import Evaluator
    from simple_game.training.logger import attach_run_logger
    from simple_game.training.progress import Stopwatch
    from simple_game.training.sharing import CpuShare

    with CpuShare() as share:
        device = set_up_machine(cfg, record, share)  # 1. device, threads, seeds
        train_env, eval_env = make_envs(cfg)  # 2. training games and evaluation games
        model = make_model(cfg, paths, train_env, device)  # 3. fresh, or resumed
        attach_run_logger(model, paths.root)
        stopwatch = Stopwatch(
            previous_s=record.wall_time_s if cfg.resume else 0.0, start_steps=model.num_timesteps
        )
        evaluator = Evaluator(
            env=eval_env,
            env_cfg=cfg.env,
            n_games=cfg.train.n_eval_episodes,
            deterministic=cfg.train.eval_deterministic,
            epsilon=cfg.train.eval_epsilon,
            seed=cfg.seed + EVAL_SEED_OFFSET,
            record=record,
            paths=paths,
            stopwatch=stopwatch,
        )
        try:
            learn(cfg, paths, record, model, evaluator, share)  # 4. learn, with the callbacks
            score = final_evaluation(cfg, model, evaluator)  # 5. the final model on full games
        finally:  # the games' threads and processes end however training ends
            train_env.close()
            eval_env.close()
    finish(record, model.num_timesteps, stopwatch, status="completed")
    report_end(paths, record)  # 6. learning curve and the closing lines
    return score.mean


def final_evaluation(cfg: RunConf, model: BaseAlgorithm, evaluator: Evaluator) -> Score:
    """Step 5: evaluate the final model on games no periodic evaluation played (best_model.zip
    if it is the best); record a clip if ``train.video`` asked for one and no evaluation
    during training made it."""
    score = evaluator(model, other_games=True)
    # The last periodic evaluation may have saved these very weights as best_model.zip: the
    # final model is then the best model, whatever the second set of games scored.
    same = evaluator.record.summary.best_eval_timesteps == model.num_timesteps
    evaluator.record.final_model_is_best(score.is_best or same)
    if cfg.train.video and not periodic_evaluations(cfg):
        from simple_game.training.evaluation import record_train_clip

        record_train_clip(model, evaluator)
    return score


def periodic_evaluations(cfg: RunConf) -> bool:
    """Whether any evaluation falls within the budget before the final one."""
    return 0 < cfg.train.eval_freq < cfg.train.total_timesteps


def set_up_machine(cfg: RunConf, record: RunRecord, share: CpuShare) -> th.device:
    """Step 1: the torch device, torch's CPU threads and every random seed."""
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.model.device import configure_threads, resolve_device
    from simple_game.text import plural

    device = resolve_device(cfg.hardware.device)
    if cfg.hardware.torch_threads > 0:
        configure_threads(cfg.hardware.torch_threads)
    else:  # 0: this run's share of the cores, recounted while it trains (training/sharing.py)
        share.adjust()
    set_random_seed(cfg.seed)
    record.trains_on(str(device))
    algo = cfg.algo.name
    log.info(
        "Training %s on %s (%s) for %s with %s on %s, seed %d.",
        algo.upper(),
        cfg.env.name,
        cfg.env.id,
        plural(cfg.train.total_timesteps, "step"),
        plural(cfg.env.n_envs, "parallel game"),
        device,
        cfg.seed,
    )
    log.info("Run directory: %s", record.run_dir)
    if cfg.train.video and not periodic_evaluations(cfg):
        log.info(
            "train.video=true: no evaluation falls within the budget (train.eval_freq=%s), "
            "so one clip is recorded after the final evaluation.",
            cfg.train.eval_freq,
        )
    log.info(
        "New to this? %s explains every line below; %s explains %s.",
        GUIDE,
        ALGO_GUIDE.format(algo=algo),
        algo.upper(),
    )
    return device


def make_envs(cfg: RunConf) -> tuple[VecEnv, VecEnv]:
    """Step 2: training games (a lost life ends an episode, rewards clipped) and evaluation
    games (full games, real scores), built by the same pipeline."""
    from simple_game.envs.build import EVAL_SEED_OFFSET, make_env

    seed = cfg.seed
    train_env = make_env(cfg.env, n_envs=cfg.env.n_envs, seed=seed, evaluation=False)
    eval_env = make_env(
        cfg.env, n_envs=cfg.train.eval_envs, seed=seed + EVAL_SEED_OFFSET, evaluation=True
    )
    return train_env, eval_env


def make_model(cfg: RunConf, paths: RunPaths, env: VecEnv, device: object) -> BaseAlgorithm:
    """Step 3: a fresh model, or, when resuming, the latest checkpoint with its replay buffer."""
    from hydra.utils import get_class
    from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

    from simple_game.model.build import build_model, speed_up
    from simple_game.records.checkpoints import latest_replay_buffer, list_checkpoints
    from simple_game.training.checkpoints import load_replay_buffer

    if not cfg.resume:
        return build_model(cfg, env, device)
    steps, path = list_checkpoints(paths.root)[-1]
    model = get_class(cfg.algo._target_).load(path, env=env, device=device)
    speed_up(model, cfg.hardware)  # precision and memory format are not stored in the zip
    buffer = latest_replay_buffer(paths.root, steps)
    if buffer is not None and isinstance(model, OffPolicyAlgorithm):
        load_replay_buffer(model, buffer)
    log.info(
        "Resuming from %s (%s steps%s).",
        path.name,
        f"{steps:,}",
        ", with its replay buffer" if buffer else "",
    )
    return model


def learn(
    cfg: RunConf,
    paths: RunPaths,
    record: RunRecord,
    model: BaseAlgorithm,
    evaluator: Evaluator,
    share: CpuShare,
) -> None:
    """Step 4: ``model.learn`` with the callbacks. SB3 counts steps from the checkpoint when
    resuming, so the learning-rate schedule and TensorBoard's step axis carry on.

    On Ctrl-C or SIGTERM: save a checkpoint, mark the run ``interrupted`` and raise
    :class:`~simple_game.errors.Interrupted` for the entry point.
    """
    from stable_baselines3.common.callbacks import CallbackList

    from simple_game.errors import Interrupted
    from simple_game.model.build import keeps_replay_buffer
    from simple_game.training.checkpoints import save_checkpoint
    from simple_game.training.stopping import StopRequest

    stop = StopRequest()
    callbacks = make_callbacks(cfg, paths, record, evaluator, stop, share)
    total = cfg.train.total_timesteps
    stop.install()
    try:
        model.learn(
            total_timesteps=max(total - model.num_timesteps, 0),
            callback=CallbackList(callbacks),
            # SB3's bar counts steps; with a time limit, make_callbacks adds one of minutes
            progress_bar=cfg.train.progress_bar and cfg.train.max_minutes is None,
            tb_log_name=cfg.algo.name,
            reset_num_timesteps=not cfg.resume,
        )
        evaluator.stopwatch.stop()
        if share.most_seen:  # trainings that shared the machine: their speeds are not solo
            record.shared_with(share.most_seen)
        if stop.signal_name is None and model.num_timesteps < total:
            ending, reason = stop_reason(cfg, record, evaluator.stopwatch)
            record.stopped(ending, reason)
            log.info("Stopped early: %s.", reason)
        elif stop.signal_name is None:
            record.stopped("budget", None)
        if stop.signal_name is not None:
            # Still under our handlers: a second Ctrl-C during this save quits at once, and
            # the atomic write leaves the previous checkpoint intact.
            path = save_checkpoint(model, paths.root, cfg.algo.name, keeps_replay_buffer(cfg))
            finish(record, model.num_timesteps, evaluator.stopwatch, status="interrupted")
            log.warning(
                "Stopped by %s at %s steps; checkpoint saved to %s.\n"
                "Resume with: python -m simple_game resume=%s",
                stop.signal_name,
                f"{model.num_timesteps:,}",
                path,
                paths.root,
            )
            raise Interrupted(stop.signal_name)
    finally:
        stop.restore()
    model.save(paths.final_model)


def make_callbacks(
    cfg: RunConf,
    paths: RunPaths,
    record: RunRecord,
    evaluator: Evaluator,
    stop: StopRequest,
    share: CpuShare,
) -> list[BaseCallback]:
    """What runs beside learning: Ctrl-C, periodic evaluations (and what follows each),
    a time limit, checkpoints, the console line, the CPU share, DQN's Q-values."""
    from stable_baselines3.common.callbacks import CallbackList

    from simple_game.model.build import OFF_POLICY_ALGOS, keeps_replay_buffer
    from simple_game.training.checkpoints import AtomicCheckpointCallback, checkpoint_every
    from simple_game.training.evaluation import PeriodicEvaluation
    from simple_game.training.logger import QValueLogger
    from simple_game.training.progress import ProgressReportCallback, TimeLimitProgressBar
    from simple_game.training.sharing import ShareCpuCallback
    from simple_game.training.stopping import StopAfterMinutes, StopOnRequestCallback

    callbacks: list[BaseCallback] = [StopOnRequestCallback(stop)]
    if cfg.train.eval_freq > 0:
        after_eval = CallbackList(after_evaluation(cfg, evaluator))
        callbacks.append(PeriodicEvaluation(evaluator, cfg.train.eval_freq, after_eval))
    if cfg.train.max_minutes is not None:
        callbacks.append(StopAfterMinutes(evaluator.stopwatch, cfg.train.max_minutes))
        if cfg.train.progress_bar:
            callbacks.append(TimeLimitProgressBar(evaluator.stopwatch, cfg.train.max_minutes))
    every = checkpoint_every(cfg.train.checkpoint_freq, cfg.train.total_timesteps)
    if every > 0:
        callbacks.append(
            AtomicCheckpointCallback(
                paths.root,
                cfg.algo.name,
                save_freq=every,
                keep_last=cfg.train.keep_checkpoints,
                with_replay_buffer=keeps_replay_buffer(cfg),
            )
        )
    label = f"{cfg.algo.name} {cfg.env.name}"
    callbacks.append(
        ProgressReportCallback(
            record,
            cfg.train.total_timesteps,
            cfg.train.log_interval_s,
            evaluator.stopwatch,
            label,
            cfg.train.max_minutes,
        )
    )
    if cfg.hardware.torch_threads == 0:
        callbacks.append(ShareCpuCallback(share))
    if cfg.algo.name in OFF_POLICY_ALGOS:  # DQN, QR-DQN: their Q-values (PQN logs its own)
        callbacks.append(QValueLogger())
    return callbacks


def after_evaluation(cfg: RunConf, evaluator: Evaluator) -> list[BaseCallback]:
    """What follows each periodic evaluation: a clip, an Optuna report, a stop at the target."""
    from stable_baselines3.common.callbacks import StopTrainingOnRewardThreshold

    from simple_game.training.evaluation import TrainVideoCallback

    callbacks: list[BaseCallback] = []
    if cfg.train.video:  # a short clip of the current policy
        callbacks.append(TrainVideoCallback(evaluator))
    if cfg.tuning.trial is not None:  # an Optuna trial: report the score, stop if pruned
        from simple_game.training.tuning import trial_callback

        callbacks.append(trial_callback(cfg.tuning))
    if cfg.train.target_score is not None:  # good enough: stop
        callbacks.append(StopTrainingOnRewardThreshold(cfg.train.target_score))
    return callbacks


def stop_reason(cfg: RunConf, record: RunRecord, stopwatch: Stopwatch) -> tuple[str, str]:
    """Why training ended before ``train.total_timesteps`` (a target score or the time limit):
    the key of :data:`~simple_game.records.run_summary.ENDINGS` and the sentence saying it."""
    target, best = cfg.train.target_score, record.best_eval
    if target is not None and best is not None and best >= target:
        return "target", f"an evaluation reached train.target_score={target:g} (best {best:.1f})"
    return "time_limit", (
        f"train.max_minutes={cfg.train.max_minutes:g} reached "
        f"after {stopwatch.total() / 60:.1f} minutes of training"
    )


def finish(record: RunRecord, timesteps: int, stopwatch: Stopwatch, status: str) -> None:
    record.progress(timesteps, stopwatch.total(), stopwatch.steps_per_s(timesteps))
    record.finish(status)


def report_end(paths: RunPaths, record: RunRecord) -> None:
    """Step 6: draw the learning curve and say how the run ended."""
    from simple_game.doctor.watch import HealthWatch
    from simple_game.records.action_plots import plot_action_mix
    from simple_game.records.plots import plot_learning_curve
    from simple_game.text import format_duration

    try:  # pictures of the run; a plotting problem must not fail a finished run
        log.info("Learning curve: %s", plot_learning_curve(paths.root))
        log.info("Actions chosen at each evaluation: %s", plot_action_mix(paths.root))
    except (OSError, ValueError) as err:
        log.warning("Could not draw the learning curve or the action mix: %s", err)
    summary = record.summary
    speed = f"{summary.steps_per_s:,.0f} steps/s"
    if summary.resumes:  # the last session's own speed differs from the whole run's
        speed += f" over all sessions; this session {summary.session_steps_per_s or 0:,.0f} steps/s"
    log.info(
        "Done: %s steps in %s of training (%s). %s",
        f"{summary.timesteps:,}",
        format_duration(summary.wall_time_s),
        speed,
        final_vs_best(record),
    )
    log.info("Everything about this run is in %s", paths.root)
    HealthWatch(paths.root).report_end()


def final_vs_best(record: RunRecord) -> str:
    """The final evaluation beside the best, with the evaluation noise named.

    Two evaluations of a few games differ by chance alone; a final score below the best is
    a decline only if the gap is larger than about two standard errors of the difference.
    """
    from simple_game.text import plural

    summary = record.summary
    final, n = summary.eval_mean_reward or 0.0, summary.eval_episodes
    std, best = summary.eval_std_reward or 0.0, summary.best_eval_mean_reward or final
    games = plural(n, "full game")
    text = f"Final eval: {final:.1f} ± {std:.1f} over {games}; best {best:.1f}"
    if summary.final_is_best:
        return text + " (the final model is the best model: best_model.zip holds it)."
    gap, noise = best - final, 2 * (2 * std**2 / max(n, 1)) ** 0.5  # 2 std errors of a gap
    if gap <= 0:
        return text + "."
    if gap <= noise:
        return text + f" (a gap within evaluation noise: about ±{noise:.1f} with {games})."
    return text + " (best_model.zip holds the best model)."


def _pruned(trial: int | None, err: Exception) -> bool:
    """Whether an Optuna trial's run was stopped by the pruner (optuna is loaded only then)."""
    if trial is None:
        return False
    from optuna import TrialPruned

    return isinstance(err, TrialPruned)
