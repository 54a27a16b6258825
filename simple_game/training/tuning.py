"""Make a training run an Optuna trial: report each evaluation, stop early when pruned.

The Optuna sweeper (hydra_plugins/simple_game_sweeper) launches each trial as an ordinary
run with three extra overrides, ``tuning.study``, ``tuning.storage`` and ``tuning.trial``.
The run opens that trial in the shared database itself, because pruning has to happen
*during* training, in whatever process or machine the launcher picked: after each periodic
evaluation the score is reported, and the pruner compares it with other trials at the same
evaluation. A hopeless trial then raises :class:`optuna.TrialPruned`; run() records the run
as ``pruned`` and the sweeper records the trial as PRUNED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stable_baselines3.common.callbacks import BaseCallback

if TYPE_CHECKING:
    import optuna

    from simple_game.config.schema import TuningConf
    from simple_game.training.evaluation import PeriodicEvaluation


class ReportToTrial(BaseCallback):
    """After each evaluation: report its mean score to the trial, raise TrialPruned if told to.

    Pass it as an ``after_eval`` callback of :class:`PeriodicEvaluation` (its ``parent``).
    The step reported is the evaluation's number (1, 2, ...), not the agent steps: trials with
    different ``n_envs`` evaluate at slightly different step counts, and the pruner only
    compares trials at equal steps.
    """

    parent: PeriodicEvaluation

    def __init__(self, trial: optuna.Trial) -> None:
        super().__init__()
        self.trial = trial

    def _on_step(self) -> bool:
        import optuna

        score = float(self.parent.last_mean_reward)
        evaluation = self.parent.n_evaluations
        self.trial.report(score, step=evaluation)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                f"trial {self.trial.number} pruned after evaluation {evaluation} "
                f"({self.num_timesteps:,} steps, score {score:.2f})"
            )
        return True


def trial_callback(tuning: TuningConf) -> ReportToTrial:
    """The callback of the Optuna trial this run is (``tuning.trial`` is set)."""
    import optuna
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import instantiate

    # The pruner is configured on the sweeper (hydra.sweeper.pruner); each job builds its own
    # copy, since the decision is made here. Pruners keep no state of their own: they read
    # the other trials from the storage, so every copy decides alike.
    pruner_cfg = HydraConfig.get().sweeper.get("pruner") if HydraConfig.initialized() else None
    pruner = instantiate(pruner_cfg) if pruner_cfg else optuna.pruners.NopPruner()
    assert tuning.storage and tuning.study and tuning.trial is not None  # set by the sweeper
    storage = optuna.storages.RDBStorage(tuning.storage)
    study = optuna.load_study(study_name=tuning.study, storage=storage, pruner=pruner)
    trial_id = storage.get_trial_id_from_study_id_trial_number(
        storage.get_study_id_from_name(study.study_name), tuning.trial
    )
    return ReportToTrial(optuna.Trial(study, trial_id))
