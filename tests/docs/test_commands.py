"""Every ``python -m simple_game...`` command shown in docs/ and README.md runs.

Each gets a tiny budget appended (see :func:`tiny_command`). A block preceded by
``<!-- no-test: reason -->`` is not run, and the reason is required.

Placeholders in documented commands: ``<run>`` (or a literal example such as
``runs/ppo_pong/2026-11-24_10-00-00``) is replaced by a real tiny run directory, ``<steps>`` by
the step count of one of its checkpoints. Grid sweeps are capped at 2 jobs (the first comma
list keeps two values, later lists one) and Optuna sweeps at 2 trials, so each documented
command costs seconds, not hours.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from simple_game.config.preflight import recipe_choices
from tests.conftest import TINY_ALGO, TINY_TRAIN, as_overrides, once_per_session, run_argv
from tests.docs.pages import REPO, doc_pages

FENCE = re.compile(r"^\s*```\s*([\w+-]*)")
NO_TEST = re.compile(r"<!--\s*no-test:\s*(.*?)\s*-->")
SHELL_LANGS = {"bash", "shell", "sh", "console"}


@dataclass
class DocCommand:
    where: str  # file:line of its first appearance
    text: str  # the command as shown (continuations joined)
    skip: str | None  # reason from a <!-- no-test: ... --> marker

    @property
    def id(self) -> str:
        return self.where


def extract_commands(text: str, where: str) -> list[DocCommand]:
    """``python -m simple_game...`` lines of the shell blocks of one Markdown text."""
    found: list[DocCommand] = []
    lines = text.splitlines()
    in_block, run_it, skip = False, False, None
    last_text = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence and not in_block:
            in_block = True
            run_it = fence.group(1).lower() in SHELL_LANGS
            marker = NO_TEST.search(last_text)
            skip = marker.group(1) if marker else None
        elif fence and in_block:
            in_block = False
        elif in_block and run_it:
            start = i
            cmd = line.strip()
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1].rstrip() + " " + lines[i].strip()
            cmd = re.sub(r"^\$\s+", "", cmd)
            if cmd.startswith("python -m simple_game"):
                found.append(DocCommand(f"{where}:{start + 1}", cmd, skip))
        if line.strip():
            last_text = line
        i += 1
    return found


def doc_commands() -> list[DocCommand]:
    pages = doc_pages() + [p for p in [REPO / "README.md"] if p.exists()]
    seen: dict[str, DocCommand] = {}
    for page in pages:
        where = str(page.relative_to(REPO))
        for cmd in extract_commands(page.read_text(encoding="utf-8"), where):
            key = " ".join(shlex.split(cmd.text, comments=True))
            if key not in seen or (seen[key].skip and not cmd.skip):
                seen[key] = cmd
    return list(seen.values())


# Budget overrides every training run gets (conftest's tiny budget), plus games cut at 400
# frames (100 agent steps: short evaluations, and a greedy agent that never presses FIRE cannot
# stall Breakout until the 108,000-frame cap). The algorithm's size overrides (conftest's
# TINY_ALGO) are only added when the command does not set the key itself.
DOC_TRAIN = {**TINY_TRAIN, "env.max_frames_per_episode": "400"}
# Optuna sweeps: two trials. The algorithm's size overrides above also pin those keys of the
# search space (a plain value on the command line pins a searched key).
TINY_OPTUNA = {
    "hydra.sweeper.n_trials": "2",
    "hydra.sweeper.n_jobs": "1",
}
# Other entry points: overrides that keep them short.
TINY_MODULE = {
    "simple_game.evaluate": {"episodes": "1"},
}


def _keys(args: list[str]) -> set[str]:
    return {a.split("=", 1)[0].lstrip("+~") for a in args if "=" in a}


def _extend(args: list[str], extra: dict[str, str], only_new: bool = True) -> None:
    present = _keys(args)
    args += [f"{k}={v}" for k, v in extra.items() if not (only_new and k in present)]


SIMPLE_LIST = re.compile(r"^([\w.@/]+)=([^(),\s]+(?:,[^(),\s]+)+)$")


def shrink_grid(args: list[str]) -> list[str]:
    """Cap a grid sweep at 2 jobs: the first comma list keeps 2 values, later ones 1."""
    out, first = [], True
    for arg in args:
        match = SIMPLE_LIST.match(arg)
        if match:
            values = match.group(2).split(",")
            arg = f"{match.group(1)}={','.join(values[:2] if first else values[:1])}"
            first = False
        out.append(arg)
    return out


def tiny_command(text: str, workdir: Path, lab: Lab) -> list[str]:
    """The argv of a documented command, with placeholders filled and a tiny budget added."""
    text = text.replace("<run>", str(lab.run)).replace("<steps>", str(lab.steps))
    text = RUN_PATH.sub(lab.run, text)  # a literal example run directory means "a run"
    argv = shlex.split(text, comments=True)
    assert argv[:2] == ["python", "-m"], text
    module, args = argv[2], argv[3:]
    if any(a.startswith("--") for a in args):  # --help, --cfg job, --info: nothing runs
        return [sys.executable, "-m", module, *args]
    if module == "simple_game":
        algos = [a.split("=", 1)[1] for a in args if a.startswith("algo=")]
        recipes = [a.split("=", 1)[1] for a in args if a.startswith("recipe=")]
        if recipes and not algos:  # the recipe picks the algorithm
            algos = [recipe_choices(recipes[-1])["algo"]]
        algo_values = algos[-1].split(",") if algos else ["ppo"]
        _extend(args, DOC_TRAIN, only_new=False)
        if any(a.startswith("resume=") for a in args):  # continue past the steps already done
            args[:] = [a for a in args if not a.startswith("train.total_timesteps=")]
            args.append(f"train.total_timesteps={lab.done + 256}")
        optuna = any(a.startswith("hydra/sweeper=") and "optuna" in a for a in args)
        if optuna:
            _extend(args, TINY_OPTUNA, only_new=False)
        if len(algo_values) == 1 and algo_values[0] in TINY_ALGO:
            _extend(args, TINY_ALGO[algo_values[0]])
        if "-m" in args or "--multirun" in args:
            if not optuna:
                args[:] = shrink_grid(args)
            args.append(f"hydra.sweep.dir={workdir / 'multirun' / 'sweep'}")
        elif not any(a.startswith("resume=") for a in args):  # resume reuses its run dir
            args.append(f"hydra.run.dir={workdir / 'runs' / 'doc_run'}")
    else:
        _extend(args, TINY_MODULE.get(module, {}), only_new=False)
    return [sys.executable, "-m", module, *args]


@dataclass
class Lab:
    """A directory holding one tiny real run, copied as the cwd of each command test."""

    root: Path
    run: str  # run directory, relative to root
    steps: int  # step count of one of its checkpoints
    done: int = 256  # steps the run has trained


RUN_REL = "runs/ppo_pong/2026-01-01_00-00-00"
# A run directory written out in a doc, e.g. runs/ppo_breakout/2026-11-24_10-00-00.
RUN_PATH = re.compile(r"runs/[\w.-]+/\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Lab:
    """A tiny PPO Pong run with checkpoints, trained once per session for the commands to use."""
    root = once_per_session(tmp_path_factory, worker_id, "docs_lab", _train_lab)
    steps = sorted(
        int(m.group(1))
        for p in (root / RUN_REL / "checkpoints").glob("*.zip")
        if (m := re.search(r"_(\d+)_steps", p.name))
    )
    assert steps, "the tiny run saved no checkpoint"
    done_steps = json.loads((root / RUN_REL / "summary.json").read_text())["timesteps"]
    return Lab(root, RUN_REL, steps[0], int(done_steps))


def _train_lab(root: Path) -> Path:
    args = [
        "algo=ppo",
        "env=pong",
        *as_overrides(DOC_TRAIN),
        *as_overrides(TINY_ALGO["ppo"]),
        f"hydra.run.dir={RUN_REL}",
    ]
    done = run_argv([sys.executable, "-m", "simple_game", *args], root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root


def effective(cmd: DocCommand) -> tuple:
    """What a command runs once made tiny: its module, flags and final key=value settings."""
    probe = Path("/workdir")
    argv = tiny_command(cmd.text, probe, Lab(probe, RUN_REL, 0, 0))
    settings = dict(a.split("=", 1) for a in argv[3:] if "=" in a)
    return (argv[2], tuple(a for a in argv[3:] if "=" not in a), tuple(sorted(settings.items())))


def unique_commands() -> list[DocCommand]:
    """Documented commands, minus those that run exactly like an earlier one once made tiny
    (e.g. ``algo=ppo env=pong`` with and without ``train.total_timesteps=2000000``)."""
    seen: set[tuple] = set()
    kept = []
    for cmd in doc_commands():
        key = effective(cmd)
        if cmd.skip or key not in seen:
            kept.append(cmd)
            seen.add(key)
    return kept


COMMANDS = [c for c in unique_commands() if not c.skip]
NOT_RUN = [c for c in unique_commands() if c.skip]


def test_docs_show_commands() -> None:
    assert len(COMMANDS) >= 5, "docs/ should show runnable python -m simple_game commands"


def test_commands_not_run_say_why() -> None:
    # A command the suite cannot run (a desktop window, a SLURM cluster) is marked in the
    # docs with its reason; it is listed here, not counted as a skipped test.
    for cmd in NOT_RUN:
        assert len(cmd.skip or "") > 5, f"{cmd.where}: no-test marker without a reason"
    assert len(NOT_RUN) < len(COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.id for c in COMMANDS])
def test_documented_command_runs(cmd: DocCommand, lab: Lab, tmp_path: Path) -> None:
    workdir = tmp_path / "cwd"
    shutil.copytree(lab.root, workdir)
    argv = tiny_command(cmd.text, workdir, lab)
    done = run_argv(argv, workdir)
    shown = " ".join(argv[1:])
    assert done.returncode == 0, (
        f"{cmd.where}: `{cmd.text}` failed (ran: {shown})\n"
        + done.stdout[-3000:]
        + "\n"
        + done.stderr[-3000:]
    )
    assert "Traceback" not in done.stderr, f"{cmd.where}: {done.stderr[-3000:]}"
    # a training command trained to its end; a sweep's jobs each completed (or were pruned)
    run_dir, sweep = workdir / "runs" / "doc_run", workdir / "multirun" / "sweep"
    summaries = [run_dir / "summary.json"] if f"hydra.run.dir={run_dir}" in argv else []
    if f"hydra.sweep.dir={sweep}" in argv:
        summaries = sorted(sweep.glob("*/summary.json"))
        assert summaries, f"{cmd.where}: the sweep left no jobs in {sweep}"
    for path in summaries:
        status = json.loads(path.read_text())["status"]
        assert status in ("completed", "pruned"), f"{cmd.where}: {path} is {status}"


def test_tiny_command_appends_budget(tmp_path: Path) -> None:
    lab = Lab(tmp_path, RUN_REL, 128)
    argv = tiny_command(
        "python -m simple_game algo=dqn env=pong algo.buffer_size=5000", tmp_path, lab
    )
    assert "train.total_timesteps=256" in argv and "algo.learning_starts=64" in argv
    assert "algo.buffer_size=1000" not in argv  # the command's own value is kept
    assert any(a.startswith("hydra.run.dir=") for a in argv)
    argv = tiny_command("python -m simple_game -m algo.gamma=0.98,0.99", tmp_path, lab)
    assert any(a.startswith("hydra.sweep.dir=") for a in argv) and "algo.n_steps=32" in argv
    argv = tiny_command("python -m simple_game -m algo=ppo,a2c,dqn seed=0,1,2", tmp_path, lab)
    assert "algo=ppo,a2c" in argv and "seed=0" in argv  # at most 2 jobs
    argv = tiny_command(
        "python -m simple_game.evaluate run=<run> checkpoint=<steps>", tmp_path, lab
    )
    assert f"run={RUN_REL}" in argv and "checkpoint=128" in argv and "episodes=1" in argv


def test_no_test_marker_is_honoured() -> None:
    text = "<!-- no-test: needs a desktop -->\n```bash\npython -m simple_game.evaluate watch=true\n```\n"
    text += "```bash\n$ python -m simple_game algo=dqn \\\n  env=pong  # comment\n```\n"
    cmds = extract_commands(text, "x.md")
    assert [(c.skip, c.text) for c in cmds] == [
        ("needs a desktop", "python -m simple_game.evaluate watch=true"),
        (None, "python -m simple_game algo=dqn env=pong  # comment"),
    ]
