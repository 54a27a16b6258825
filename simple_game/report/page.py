"""The Markdown of experiments.md: tables per game, sweeps, studies, and the splice.

Everything here is a pure function of the runs it is given (no clock, no file reads), so
the same run directories always give the same bytes and a regeneration that found nothing
new leaves experiments.md untouched.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import quote

from simple_game.records.run_summary import STALE_AFTER
from simple_game.records.scores import human_normalized
from simple_game.report.comparison import compare
from simple_game.report.comparison_section import comparison_section
from simple_game.report.markdown import count, table
from simple_game.report.runs import Run, Score, override_key
from simple_game.report.studies import Study
from simple_game.report.sweeps import Sweep

BEGIN = "<!-- BEGIN GENERATED: python -m simple_game.report -->"
END = "<!-- END GENERATED -->"
BEGIN_PREFIX = "<!-- BEGIN GENERATED"  # a hand-edited tail of the BEGIN line still matches

NEW_PAGE_HEADER = """\
# Experiments

The lab notebook of this project. Write your own notes, plans and conclusions anywhere
outside the generated block below (between the `BEGIN GENERATED` and `END GENERATED`
markers): `python -m simple_game.report` rewrites only that block, and every training
run and sweep refreshes it when it ends. [docs/report.md](docs/report.md) explains
how it works.

"""

HOW_TO_READ = f"""\
## How to read this page

Each game has a plot, a comparison of its set-ups and a table of its runs. The plot shows
every run's **evaluation score** during training: the agent plays full games (all lives,
real unclipped scores) every `train.eval_freq` steps, and each point is the mean over those
games; the left panel against agent steps, the right one against minutes of training. A
run's last point pools its final evaluation's games with those of the evaluation at the same
step, so it can differ from both. A **set-up** is what runs were launched with, seed left out
(algorithm, recipe, network, changed hyperparameters, budget in agent steps; a value typed at
launch that the recipe now sets anyway is no change); it keeps its colour as runs are added. A
set-up with 3 or more runs is drawn as the **IQM** (interquartile mean: the mean of the middle
half of its runs) over a shaded band, its **95% bootstrap confidence interval**, with its runs
faint behind; IQM and band are drawn only where 3 of its runs have an evaluation, over the
runs still training there, so they change when a run stops (at its target score) and end where
the third-last run stopped. A set-up with fewer runs has one
line per run, its seeds told apart by line style. A pale band (or broad pale line) in a
set-up's colour spans its recipe's measured reference runs, lowest to highest, when the
recipe is not already drawn with its own IQM band. Dotted and dashed lines mark a random
player and a human tester where they fall inside the plotted range (the legend names them
otherwise).

The comparison takes each set-up's **finished** runs (they reached their target score, their
time limit or their budget) and compares the set-ups with 3 or more; fewer are listed as too
few for an interval. **Final** is each run's last evaluation: the final model on games no
periodic evaluation played, not the lucky evaluation that crossed the target (†: an older
run whose final evaluation replayed its last periodic one's games; the comparison counts
such a Final as it is, which flatters its set-up). **Minutes** and **steps to the target**
are when an evaluation first averaged the run's `train.target_score` (minutes on the machine
that trained it: compare minutes across set-ups only when their runs had similar machines;
steps do not depend on the machine). A run that finished without reaching it counts as never
(∞); a statistic its middle runs make ∞ reads "> x", x being the statistic with those runs
counted where they stopped. Each **IQM** and **median** has its **95% bootstrap confidence
interval** in brackets: the middle 95% of the values the statistic takes when the runs are
re-drawn at random, thousands of times. With 3 runs it is just their range, narrower than
the truth, and so is a median's with 5; more seeds make it honest. Set-ups are listed best
first, by the IQM of their Finals, then of their minutes. The **probability of improvement**
is the chance that a run of set-up A (the one listed higher) beats a run of set-up B (every
run against every run, a tie counting half); "sooner" means in fewer minutes. 50% means
neither is better (50% [50%, 50%] where neither set-up's runs reached the target), and 100%
[100%, 100%] means every run beat every run, which with 3 runs a side happens 1 time in 20
by chance alone. A single run, or a mean ± standard deviation over the games of one
evaluation, says nothing about the next seed ([lesson
10](docs/lessons/10-honest-evaluation.md)).

The table has one row per run, newest first: **Hyperparameters** are the overrides typed
at launch that change learning (anything else is the default in `conf/`, or the recipe's
value when a `recipe=` is listed); **Final** is the last evaluation (of
the final model once the run completed), **Best** the best evaluation seen, both as
mean ± standard deviation over games; **Human** is the human-normalised final score
(0% = random play, 100% = human level), comparable across games. **Status** is
`completed` (with how it stopped: `target reached`, `time limit` or `whole budget`),
`running`, `interrupted` (Ctrl-C; resume it), `failed` (the error is in the
Note column), `pruned` (stopped early by an Optuna sweep), `stale` (says running but has
not written a heartbeat for {STALE_AFTER.seconds // 60} minutes: it most likely died) or
`broken` (its summary.json is missing or damaged). The run's name links to its
directory; *curve* and *video* link to its own learning-curve plot and latest recording.
Sweeps (`-m`), when there are any, are summarised below, jobs ranked by final score.
"""


def splice(existing: str | None, generated: str) -> str:
    """Put ``generated`` between the markers of ``existing``, keeping all else as it is.

    A page without markers gets them appended at its end; no page gets a short header.
    Raises ValueError on a page whose markers are out of order or repeated: guessing
    there could delete hand-written text.
    """
    block = f"{BEGIN}\n{generated}{END}"
    if existing is None:
        return NEW_PAGE_HEADER + block + "\n"
    begins, ends = existing.count(BEGIN_PREFIX), existing.count(END)
    if begins == 0 and ends == 0:
        newlines = len(existing) - len(existing.rstrip("\n"))
        gap = "\n" * (2 - min(newlines, 2)) if existing else ""  # one blank line before
        return existing + gap + block + "\n"
    start, stop = existing.find(BEGIN_PREFIX), existing.find(END)
    if begins != 1 or ends != 1 or stop < start:
        raise ValueError(
            f"experiments.md must contain '{BEGIN}' once, followed by '{END}' once; "
            "fix the markers by hand (nothing was written)"
        )
    tail = existing[stop + len(END) :]  # kept as it is, line ending included
    return existing[:start] + block + (tail if tail.startswith(("\n", "\r\n")) else "\n" + tail)


def render(
    runs: list[Run], sweeps: list[Sweep], studies: list[Study], plots: dict[str, str]
) -> str:
    """The generated block. ``plots`` maps a game to its comparison plot's relative path."""
    parts = [HOW_TO_READ]
    if not runs and not sweeps:
        parts.append(
            "\n_No runs yet: train one with `python -m simple_game` and it appears here._\n"
        )
        return "".join(parts)
    games = sorted({r.game for r in runs})
    parts.append(_overview(games, runs))
    for game in games:
        parts.append(_game_section(game, [r for r in runs if r.game == game], plots.get(game)))
    if sweeps:
        parts.append(
            "\n## Sweeps\n\nNewest first. Each job is also a row in its game's table above.\n"
        )
        parts.extend(_sweep_section(s) for s in sorted(sweeps, key=lambda s: s.path, reverse=True))
    if studies:
        parts.append("\n## Optuna studies\n")
        parts.extend(
            _study_section(s)
            for s in sorted(studies, key=lambda s: (s.sweep, s.name), reverse=True)
        )
    return "".join(parts)


def _overview(games: list[str], runs: list[Run]) -> str:
    rows, bests = [], []
    for game in games:
        mine = [r for r in runs if r.game == game]
        best = _best_run(mine)
        bests += [best] if best else []
        rows.append(
            [
                _title(game),
                str(len(mine)),
                _final(best) if best else "",
                _steps(best) if best else "",
                _duration(best.wall_time_s) if best else "",
                _human(best) if best else "",
                _run_link(best) if best else "",
            ]
        )
    header = ["Game", "Runs", "Best final", "Its steps", "Its time", "Human", "Run"]
    return (
        "\n## At a glance\n\nThe best final score of each game, the faster run first among "
        "equal scores. Counted: the runs that reached their target score, and those that "
        "trained at least half as many steps as the game's longest (a short run's lucky score "
        "does not count); a final marked † only where no run has a fresh one (it replayed "
        "the evaluation that crossed the target, picked for being high). One run is one "
        "seed: each game's section compares set-ups across their seeds.\n\n"
        + table(header, rows)
        + _replayed_footnote(bests)
    )


def _game_section(game: str, runs: list[Run], plot: str | None) -> str:
    env_id = next((r.env_id for r in runs if r.env_id), None)
    lines = [f"\n## {_title(game)}" + (f" (`{env_id}`)" if env_id else "") + "\n"]
    if plot:
        lines.append(f"\n![{game}: evaluation curves of all runs]({_href(plot)})\n")
    # The runs the plot draws, so that set-ups have the names of its legend.
    lines.append(comparison_section(compare([r for r in runs if r.curve])))
    lines.append("\n### Every run\n")
    header = [
        "Started (UTC)", "Run", "Algo", "Policy", "Hyperparameters", "Seed", "Steps",
        "Wall time", "Steps/s", "Final", "Best", "Human", "Status", "Note", "Files",
    ]  # fmt: skip
    rows = [
        [
            run.started,
            _run_link(run),
            run.algo,
            run.policy,
            _code_list(run.hyperparameters),
            "" if run.seed is None else str(run.seed),
            _steps(run),
            _duration(run.wall_time_s),
            "" if run.steps_per_s is None else f"{run.steps_per_s:,.0f}",
            _final(run),
            _score(run.best),
            _human(run),
            _status(run),
            _note(run),
            _files(run),
        ]
        for run in sorted(runs, key=lambda r: (r.started, r.path), reverse=True)
    ]
    return "".join(lines) + "\n" + table(header, rows) + _replayed_footnote(runs)


def _sweep_section(sweep: Sweep) -> str:
    swept = sweep.swept
    lines = [f"\n### [{sweep.path}]({_href(sweep.path)})\n\n"]
    if sweep.command:
        lines.append(f"- Command: `python -m simple_game -m {' '.join(sweep.command)}`\n")
    if sweep.sweeper:
        lines.append(f"- Sweeper: {sweep.sweeper}\n")
    if sweep.search_space:
        lines.append(f"- Search space: {_code_list(f'{k}={v}' for k, v in sweep.search_space)}\n")
    if swept:
        lines.append(
            "- Swept: " + "; ".join(f"`{k}` = {', '.join(v)}" for k, v in swept.items()) + "\n"
        )
    counts = sorted(Counter(job.status for job in sweep.jobs).items())
    statuses = ", ".join(f"{n} {status}" for status, n in counts)
    lines.append(f"- Jobs: {len(sweep.jobs)}" + (f" ({statuses})" if statuses else "") + "\n")
    ranked = sweep.ranked()
    if ranked and ranked[0].final is not None:
        best = ranked[0]
        lines.append(
            f"- **Best:** job {_run_link(best)}"
            + (f" ({_code_list(_swept_values(best, swept))})" if swept else "")
            + f": final {_score(best.final)}\n"
        )
    if not ranked:
        return "".join(lines)
    rows = [
        [
            str(rank),
            _run_link(job),
            _code_list(_swept_values(job, swept)),
            _score(job.final),
            _score(job.best),
            _human(job),
            _steps(job),
            job.status,
        ]
        for rank, job in enumerate(ranked, 1)
    ]
    header = ["Rank", "Job", "Swept values", "Final", "Best", "Human", "Steps", "Status"]
    return "".join(lines) + "\n" + table(header, rows)


def _study_section(study: Study) -> str:
    counts = ", ".join(f"{n} {state.lower()}" for state, n in study.counts)
    total = sum(n for _, n in study.counts)
    lines = [
        f"\n### Study `{study.name}` ([{study.sweep}]({_href(study.sweep)}))\n\n",
        f"- Direction: {study.direction}; trials: {total} ({counts})\n",
    ]
    if study.problem:
        lines.append(f"- Numbers from the sweep's results file ({study.problem})\n")
    if study.best is not None:
        lines.append(
            f"- **Best value:** {study.best.value:.4g} (trial {study.best.number}) with "
            + _code_list(f"{k}={v}" for k, v in study.best.params)
            + "\n"
        )
    if study.best_overrides:
        lines.append(
            "- Train with the best parameters: "
            f"`python -m simple_game $(cat {study.best_overrides})`\n"
        )
    if not study.top:
        return "".join(lines)
    rows = [
        [str(t.number), f"{t.value:.4g}", _code_list(f"{k}={v}" for k, v in t.params)]
        for t in study.top
    ]
    return "".join(lines) + "\nTop trials:\n\n" + table(["Trial", "Value", "Parameters"], rows)


def _best_run(runs: list[Run]) -> Run | None:
    """The run with the best final score, the faster one first among equals.

    Counted: the runs that reached their target (they stopped because they were good
    enough), and the runs that trained at least half as many steps as the game's longest
    (a 512-step run's lucky score does not outrank a real one). A final that replayed the
    last periodic evaluation's games (†) counts only where no run has a fresh one: at a
    target stop that evaluation is the one that crossed the target, chosen for being high.
    """
    scored = [r for r in runs if r.final is not None]
    longest = max((r.timesteps or 0 for r in scored), default=0)
    comparable = [r for r in scored if r.ended_by == "target" or (r.timesteps or 0) >= longest / 2]
    comparable = [r for r in comparable if not r.final_replayed] or comparable
    return max(
        comparable,
        key=lambda r: (r.final.mean, -(r.wall_time_s or math.inf), r.path),  # type: ignore[union-attr]
        default=None,
    )


def _swept_values(run: Run, swept: dict[str, list[str]]) -> list[str]:
    return [o for o in run.overrides if override_key(o) in swept]


def _title(game: str) -> str:
    return game.replace("_", " ").title()


def _href(path: str) -> str:
    return quote(path, safe="/")


def _run_link(run: Run) -> str:
    name = run.path.rsplit("/", 1)[-1] if run.sweep else run.experiment
    label = f"{run.experiment} #{name}" if run.sweep else name
    return f"[{label}]({_href(run.path)})"


def _files(run: Run) -> str:
    links = [f"[curve]({_href(run.learning_curve)})"] if run.learning_curve else []
    links += [f"[video]({_href(run.video)})"] if run.video else []
    return " · ".join(links)


# How a completed run stopped, in the Status column (records.run_summary.ENDINGS).
STOPPED_BY = {"target": "target reached", "time_limit": "time limit", "budget": "whole budget"}


def _final(run: Run) -> str:
    """The Final cell: † when that evaluation replayed the crossing one's games."""
    return _score(run.final) + (" †" if run.final_replayed else "")


def _replayed_footnote(runs: list[Run]) -> str:
    if not any(run.final_replayed for run in runs):
        return ""
    return (
        "\n† Its final evaluation replayed the games of its last periodic one (same model, same "
        "starts: a run recorded before final evaluations were played on other games), so its "
        "Final is that evaluation, not a fresh one.\n"
    )


def _status(run: Run) -> str:
    """``completed (target reached)``; other statuses as they are."""
    how = STOPPED_BY.get(run.ended_by or "") if run.status == "completed" else None
    return f"{run.status} ({how})" if how else run.status


def _note(run: Run) -> str:
    problem = run.problem if len(run.problem) <= 120 else run.problem[:117] + "..."
    return " — ".join(t for t in (run.note, f"*{problem}*" if problem else "") if t)


def _code_list(items: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def _score(score: Score | None) -> str:
    if score is None:
        return ""
    return f"{score.mean:.1f}" + ("" if score.std is None else f" ± {score.std:.1f}")


def _human(run: Run) -> str:
    if run.final is None:
        return ""
    value = human_normalized(run.env_id or run.game, run.final.mean)
    return "" if value is None else f"{value:.0%}"


def _steps(run: Run) -> str:
    done = "" if run.timesteps is None else count(run.timesteps)
    if run.total_timesteps and run.timesteps != run.total_timesteps:
        return f"{done or '?'} of {count(run.total_timesteps)}"
    return done


def _duration(seconds: float | None) -> str:
    """Seconds as h:mm:ss, the usual format in tables (``3725`` -> ``"1:02:05"``)."""
    return "" if seconds is None else str(timedelta(seconds=round(seconds)))
