"""The command line's sweeps, checked before any job starts."""

from __future__ import annotations

import re

import pytest

from simple_game.config.groups import GROUPS, group_options
from simple_game.config.overrides import split
from simple_game.errors import UserError


def test_a_glob_over_a_group_sweeps_its_options_and_composes_with_the_first() -> None:
    chosen, values = split(["env=glob(*,exclude=_*)", "algo=ppo,dqn"], GROUPS, multirun=True)
    assert chosen == [f"env={group_options('env')[0]}", "algo=ppo"]
    assert values == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("env=glob(*)", "env=glob(*) picks _common, which is not an option of env"),
        # Hydra's glob also sees the schemas stored in its ConfigStore, not only conf/'s files
        ("algo=glob(*)", "algo=glob(*) picks _schema_a2c, which is not an option of algo"),
        ("env=glob(*,exclude=_common)", "picks _schema, which is not an option of env"),
        (
            "env=glob(tetris*)",
            "env=glob(tetris*): matches no option of env; its options: beam_rider,",
        ),
        ("seed=glob(*)", "seed=glob(*): glob(...) picks options of a config group"),
    ],
)
def test_a_glob_that_picks_no_options_is_refused(line: str, expected: str) -> None:
    with pytest.raises(UserError, match=re.escape(expected)):
        split([line], GROUPS, multirun=True)
