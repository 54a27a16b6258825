"""Set-ups: runs that differ only by their seed are repeats of one experiment.

A set-up is what a run was launched with, seed left out: the algorithm, the recipe, the
network, the hyperparameters typed at launch (less those its recipe sets to the same value
today: report.recipe_defaults) and the step budget. The plot draws a set-up's
seeds in one colour (and, with 3 or more, their interquartile mean), and the notebook
compares set-ups, not single runs: one seed says little about the next (lesson 10).
"""

from __future__ import annotations

from collections.abc import Iterable

from simple_game.report.runs import Run, override_key

SetupKey = tuple[str, str | None, str, tuple[str, ...], int | None]

ALGO_COLORS = {"ppo": "C0", "a2c": "C1", "dqn": "C2", "qrdqn": "C3", "pqn": "C4"}
# For an algorithm's second set-up and later, and for algorithms without a colour of their
# own. No grey: the random-play and human lines are grey.
SPARE_COLORS = ("C5", "C6", "C8", "C9", "black", "darkgoldenrod", "lime", "navy")


def setup_key(run: Run) -> SetupKey:
    """What ``run`` was set up with, seed left out; runs with the same key are repeats."""
    return (run.algo, run.recipe, run.policy, tuple(sorted(run.hyperparameters)),
            run.total_timesteps)  # fmt: skip


def by_setup(runs: Iterable[Run]) -> dict[SetupKey, list[Run]]:
    """The runs of each set-up, set-ups in the order their first run appears."""
    groups: dict[SetupKey, list[Run]] = {}
    for run in runs:
        groups.setdefault(setup_key(run), []).append(run)
    return groups


def setup_names(runs: list[Run]) -> list[str]:
    """Per run, its set-up in words, naming only what sets it apart from the other runs.

    The algorithm always; a recipe; the policy when runs of one algorithm differ in it; the
    hyperparameters it changed that not every run shares (``algo.`` dropped:
    ``ent_coef=0.02``); the budget when budgets differ. Runs with the same name are repeats.
    """
    common = set.intersection(*(set(r.hyperparameters) for r in runs)) if runs else set()
    several_budgets = len({r.total_timesteps for r in runs}) > 1
    policies: dict[str, set[str]] = {}
    for run in runs:
        policies.setdefault(run.algo, set()).add(run.policy)
    texts = []
    for run in runs:
        parts = [run.algo] + ([f"recipe {run.recipe}"] if run.recipe else [])
        if len(policies[run.algo]) > 1 and run.policy:
            parts.append(run.policy)
        parts += [  # the recipe is named above already
            o.removeprefix("algo.")
            for o in run.hyperparameters
            if o not in common and override_key(o) != "recipe"
        ]
        if several_budgets and run.total_timesteps:
            parts.append(f"{run.total_timesteps:,} steps")
        texts.append(", ".join(parts))
    return texts


def setup_colors(runs: Iterable[Run]) -> dict[SetupKey, str]:
    """One colour per set-up that stays when runs are added.

    Set-ups take colours in the order their first run started, so a newer run never takes
    the colour of an older set-up: an algorithm's first set-up gets the algorithm's colour
    (PPO blue, A2C orange, DQN green, QR-DQN red, PQN purple), later ones the first spare
    colour no earlier set-up holds. Past the spare colours they repeat.
    """
    first_start: dict[SetupKey, tuple[str, str]] = {}
    for run in runs:  # a run without a known start time sorts after every dated one
        when = (run.started or "\uffff", run.path)
        key = setup_key(run)
        first_start[key] = min(first_start.get(key, when), when)
    colors: dict[SetupKey, str] = {}
    for i, key in enumerate(sorted(first_start, key=lambda k: (first_start[k], repr(k)))):
        taken = set(colors.values())
        own = ALGO_COLORS.get(key[0])
        free = [c for c in SPARE_COLORS if c not in taken]
        if own and own not in taken:
            colors[key] = own
        else:
            colors[key] = free[0] if free else SPARE_COLORS[i % len(SPARE_COLORS)]
    return colors
