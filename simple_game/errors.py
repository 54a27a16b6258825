"""The one kind of error a user's input causes, and how it reaches the console.

Every check of user input (a config key, a command-line option, a run directory, a
checkpoint) raises :class:`UserError` with one line that names the key and what is allowed.
Each command's entry point catches it once, prints ``error: <line>`` and exits with
:data:`EXIT_USAGE`; nothing below the entry points chooses exit codes.
"""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_USAGE = 2  # bad input: argparse's and Hydra's convention
EXIT_INTERRUPTED = 130  # the shell's convention for "ended by Ctrl-C"


class UserError(ValueError):
    """Input a command cannot use; ``str(err)`` is one console line.

    :param message: the line, e.g. ``"algo=ddpg is not an option; choose one of: a2c, dqn"``.
    :param key: the key or option at fault (``"algo"``), for tests and callers that re-word it.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def exit_for(err: UserError) -> NoReturn:
    """What every entry point does with a :class:`UserError`: one line, exit code 2."""
    print(f"error: {err}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (libraries' messages run to several lines)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


class Interrupted(BaseException):
    """Training stopped on Ctrl-C or SIGTERM after saving a checkpoint.

    A ``BaseException``, like ``KeyboardInterrupt``: it passes through Hydra (which turns an
    ``Exception`` into a failed job) up to the entry point, which exits with
    :data:`EXIT_INTERRUPTED`.
    """
