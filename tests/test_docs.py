"""Keep the learning guide (docs/) true to what the playground really shows and runs.

Fast checks (seconds):

* every key of every YAML file under conf/ carries an explanatory comment;
* the glossary has an entry for every metric SB3 can log for the four algorithms;
* the lesson and algorithm pages the console points to exist;
* relative links in docs/ resolve, pictures stay small.

Slow checks (``@pytest.mark.slow``, real tiny training runs):

* tiny runs of each algorithm: every metric name they log (TensorBoard event files,
  progress.csv, console tables) has a glossary entry;
* every ``python -m simple_game...`` command shown in docs/ and README.md runs, with a
  tiny budget appended (see :func:`tiny_command`). A block preceded by
  ``<!-- no-test: reason -->`` is skipped with that reason.

Placeholders in documented commands: ``<run>`` (or a literal example such as
``runs/ppo_pong/2026-11-24_10-00-00``) is replaced by a real tiny run directory, ``<steps>`` by
the step count of one of its checkpoints. Grid sweeps are capped at 2 jobs (the first comma
list keeps two values, later lists one) and Optuna sweeps at 2 trials, so each documented
command costs seconds, not hours.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
GLOSSARY = DOCS / "glossary.md"
ALGOS = ("ppo", "a2c", "dqn", "qrdqn")

# ---------------------------------------------------------------------------------------
# Glossary entries: a metric or term is an entry when it is a Markdown heading whose text
# is the name in backticks, e.g. "### `train/approx_kl`" or "### `algo.gamma`".
# ---------------------------------------------------------------------------------------

HEADING = re.compile(r"^#{2,4}\s+`([^`]+)`", re.MULTILINE)

# Every metric SB3 2.9 / sb3-contrib can log for PPO, A2C, DQN and QR-DQN on Atari
# (grep logger.record in their sources), including the few that need settings this project
# does not use (gSDE's train/std, success rates, clip_range_vf): a learner may still meet them.
KNOWN_METRICS = {
    "rollout/ep_rew_mean",
    "rollout/ep_len_mean",
    "rollout/exploration_rate",
    "rollout/success_rate",
    "time/fps",
    "time/iterations",
    "time/episodes",
    "time/time_elapsed",
    "time/total_timesteps",
    "train/learning_rate",
    "train/n_updates",
    "train/loss",
    "train/approx_kl",
    "train/clip_fraction",
    "train/clip_range",
    "train/clip_range_vf",
    "train/entropy_loss",
    "train/explained_variance",
    "train/policy_gradient_loss",
    "train/policy_loss",
    "train/value_loss",
    "train/std",
    "eval/mean_reward",
    "eval/mean_ep_length",
    "eval/success_rate",
}

# Terms the playground shows or configures; each must be a glossary heading (in backticks,
# lower case), so a reader can link to it and a test can find it.
KNOWN_TERMS = {
    "return",
    "discount",
    "value",
    "q-value",
    "advantage",
    "gae",
    "policy gradient",
    "clipping",
    "entropy bonus",
    "replay buffer",
    "target network",
    "epsilon-greedy",
    "quantile",
    "frame skip",
    "frame stack",
    "sticky actions",
    "life loss",
    "reward clipping",
    "vectorised envs",
    "on-policy",
    "off-policy",
    "rollout",
    "epoch",
    "minibatch",
    "learning rate",
    "gradient clipping",
    "seed",
    "t statistic",
    "episode",
    "timestep",
}


def glossary_entries() -> set[str]:
    return set(HEADING.findall(GLOSSARY.read_text(encoding="utf-8")))


def missing_entries(names: set[str]) -> list[str]:
    entries = {e.lower() for e in glossary_entries()}
    return sorted(n for n in names if n.lower() not in entries)


def test_glossary_has_every_known_metric() -> None:
    missing = missing_entries(KNOWN_METRICS)
    assert not missing, f"docs/glossary.md lacks entries (### `name`) for: {', '.join(missing)}"


def test_glossary_has_every_known_term() -> None:
    missing = missing_entries(KNOWN_TERMS)
    assert not missing, f"docs/glossary.md lacks entries (### `term`) for: {', '.join(missing)}"


# ---------------------------------------------------------------------------------------
# Every config key has a comment.
# ---------------------------------------------------------------------------------------


def conf_files() -> list[Path]:
    roots = [REPO / "conf", REPO / "simple_game" / "conf"]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.yaml"))


def uncommented_keys(path: Path) -> list[str]:
    """``file:line key.path`` of each mapping key without a comment on its line or above."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found: list[str] = []

    def has_comment(key: yaml.Node, value: yaml.Node) -> bool:
        row = key.start_mark.line
        line = lines[row]
        inline = isinstance(value, yaml.ScalarNode) or getattr(value, "flow_style", False)
        on_row = inline and value.end_mark.line == row
        rest = line[value.end_mark.column :] if on_row else line[key.end_mark.column :]
        if re.search(r"(^|\s)#", rest):
            return True
        above = row - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        return above >= 0 and lines[above].lstrip().startswith("#")

    def walk(node: yaml.Node | None, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}{key.value}"
                if not has_comment(key, value):
                    found.append(f"{path.relative_to(REPO)}:{key.start_mark.line + 1} {name}")
                walk(value, name + ".")
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{prefix}[{i}].")

    walk(root, "")
    return found


def test_every_config_key_has_a_comment() -> None:
    files = conf_files()
    assert files, "no YAML files found under conf/"
    missing = [entry for path in files for entry in uncommented_keys(path)]
    assert not missing, "config keys without an explanatory comment:\n" + "\n".join(missing)


def test_comment_check_catches_a_bare_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("# header\na: 1  # fine\nb:\n  c: 2\n# about d\nd: '#not a comment'\n")
    # uncommented_keys reports paths relative to the repo; point it at a file inside it.
    probe = REPO / "tests" / f".probe_{os.getpid()}.yaml"
    shutil.copy(bad, probe)
    try:
        found = [entry.split(" ", 1)[1] for entry in uncommented_keys(probe)]
    finally:
        probe.unlink()
    assert found == ["b", "b.c"]


# ---------------------------------------------------------------------------------------
# The console's pointers to the guide.
# ---------------------------------------------------------------------------------------


def test_console_guide_paths_exist() -> None:
    from simple_game import train

    assert (REPO / train.GUIDE).is_file(), train.GUIDE
    for algo in ALGOS:
        page = train.ALGO_GUIDE.format(algo=algo)
        assert (REPO / page).is_file(), page


# ---------------------------------------------------------------------------------------
# Links and pictures.
# ---------------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def github_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", page.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_relative_links_resolve() -> None:
    broken = []
    for page in doc_pages():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (page.parent / file) if file else page
            if not path.exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
            elif anchor and path.suffix == ".md" and anchor not in github_anchors(path):
                broken.append(f"{page.relative_to(REPO)} -> {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_pictures_are_small_pngs() -> None:
    big = [
        f"{p.relative_to(REPO)} ({p.stat().st_size // 1024} KB)"
        for p in (DOCS / "img").glob("*")
        if p.suffix != ".py" and (p.suffix != ".png" or p.stat().st_size > 100_000)
    ]
    assert not big, (
        "docs/img must hold PNGs under 100 KB (and the script that draws them): " + ", ".join(big)
    )


# ---------------------------------------------------------------------------------------
# Documented commands, made tiny.
# ---------------------------------------------------------------------------------------

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


# Budget overrides every training run gets: a few hundred steps, one short evaluation game,
# checkpoints, and games cut at 400 frames (100 agent steps: short evaluations, and a greedy
# agent that never presses FIRE cannot stall Breakout until the 108,000-frame cap).
TINY_TRAIN = {
    "train.total_timesteps": "256",
    "train.eval_freq": "128",
    "train.n_eval_episodes": "1",
    "train.checkpoint_freq": "128",
    "train.progress_bar": "false",
    "env.max_frames_per_episode": "400",
}
# Size overrides per algorithm, only added when the command does not set the key itself.
TINY_ALGO = {
    "ppo": {"algo.n_steps": "32", "algo.batch_size": "64"},
    "a2c": {"algo.n_envs": "4"},
    "dqn": {"algo.buffer_size": "1000", "algo.learning_starts": "100"},
    "qrdqn": {"algo.buffer_size": "1000", "algo.learning_starts": "100"},
}
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
        algo_values = algos[-1].split(",") if algos else ["ppo"]
        _extend(args, TINY_TRAIN, only_new=False)
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


def _run(argv: list[str], cwd: Path, timeout: float = 540) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("lab")
    args = [
        "algo=ppo",
        "env=pong",
        *[f"{k}={v}" for k, v in TINY_TRAIN.items()],
        *[f"{k}={v}" for k, v in TINY_ALGO["ppo"].items()],
        f"hydra.run.dir={RUN_REL}",
    ]
    done = _run([sys.executable, "-m", "simple_game", *args], root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    steps = sorted(
        int(m.group(1))
        for p in (root / RUN_REL / "checkpoints").glob("*.zip")
        if (m := re.search(r"_(\d+)_steps", p.name))
    )
    assert steps, "the tiny run saved no checkpoint"
    done_steps = json.loads((root / RUN_REL / "summary.json").read_text())["timesteps"]
    return Lab(root, RUN_REL, steps[0], int(done_steps))


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
    done = _run(argv, workdir)
    shown = " ".join(argv[1:])
    assert done.returncode == 0, (
        f"{cmd.where}: `{cmd.text}` failed (ran: {shown})\n"
        + done.stdout[-3000:]
        + "\n"
        + done.stderr[-3000:]
    )


def test_tiny_command_appends_budget(tmp_path: Path) -> None:
    lab = Lab(tmp_path, RUN_REL, 128)
    argv = tiny_command(
        "python -m simple_game algo=dqn env=pong algo.buffer_size=5000", tmp_path, lab
    )
    assert "train.total_timesteps=256" in argv and "algo.learning_starts=100" in argv
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


# ---------------------------------------------------------------------------------------
# Every metric a real run logs has a glossary entry.
# ---------------------------------------------------------------------------------------

# Overrides that make a tiny run log everything it can: two PPO rollouts (so train/ metrics
# are written), short games (so rollout/ep_* appear), learning that starts early for DQN.
METRIC_RUNS = {
    "ppo": ["train.total_timesteps=512", "algo.n_steps=32", "algo.batch_size=64"],
    "a2c": ["train.total_timesteps=320", "algo.n_envs=4"],
    "dqn": ["train.total_timesteps=400", "algo.buffer_size=1000", "algo.learning_starts=100"],
    "qrdqn": [
        "train.total_timesteps=400",
        "algo.buffer_size=1000",
        "algo.learning_starts=100",
        "algo.policy_kwargs.n_quantiles=20",
    ],
}
SB3_TABLE_ROW = re.compile(r"^\|\s*([\w/ ]+?)\s*\|\s*([^|]*)\|\s*$")


def logged_metrics(run_dir: Path, console: str) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    names: set[str] = set()
    for events in run_dir.rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(events))
        acc.Reload()
        for kind, tags in acc.Tags().items():
            if isinstance(tags, list) and kind in ("scalars", "tensors", "histograms"):
                names.update(tags)
    for progress in run_dir.rglob("progress.csv"):
        with progress.open() as f:
            names.update(next(csv.reader(f), []))
    section = ""
    for line in console.splitlines():  # SB3's console table, if verbose output is on
        row = SB3_TABLE_ROW.match(line.strip())
        if not row:
            continue
        key, value = row.group(1).strip(), row.group(2).strip()
        if key.endswith("/") and not value:
            section = key
        elif section and key:
            names.add(section + key)
    return {n for n in names if n}


@pytest.mark.slow
@pytest.mark.parametrize("algo", ALGOS)
def test_logged_metrics_are_in_glossary(algo: str, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    args = [
        f"algo={algo}",
        "env=breakout",
        "train.eval_freq=128",
        "train.n_eval_episodes=1",
        "train.checkpoint_freq=0",
        "train.progress_bar=false",
        "env.max_frames_per_episode=200",
        *METRIC_RUNS[algo],
        f"hydra.run.dir={run_dir}",
    ]
    done = _run([sys.executable, "-m", "simple_game", *args], tmp_path)
    console = done.stdout + done.stderr
    assert done.returncode == 0, console[-4000:]
    names = logged_metrics(run_dir, console)
    assert any(n.startswith("train/") for n in names), sorted(names)
    assert "rollout/ep_rew_mean" in names or algo == "a2c", sorted(names)
    missing = missing_entries(names)
    assert not missing, f"{algo} logs metrics without a glossary entry: {', '.join(missing)}"
    # The console's pointers to the guide name files that exist.
    for page in re.findall(r"docs/[\w./-]+\.md", console):
        assert (REPO / page).is_file(), f"console points to missing {page}"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
