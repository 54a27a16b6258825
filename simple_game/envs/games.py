"""Which Atari games ale-py provides, and their ROM names.

gymnasium and ale-py are imported inside the functions, never at module import, so that
``python -m simple_game --help`` does not load them (see docs/decisions.md).
"""

from __future__ import annotations

from functools import cache

from simple_game.errors import UserError


def register_atari_games() -> None:
    """Make the ``ALE/...`` and ``...NoFrameskip-v4`` ids known to gymnasium, and keep the
    emulator quiet: it prints an "A.L.E: Arcade Learning Environment ... Powered by Stella"
    banner for every game it loads, errors only from here on."""
    import ale_py
    import gymnasium as gym

    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
    gym.register_envs(ale_py)


def check_game_id(env_id: str, key: str = "env.id") -> None:
    """Raise :class:`UserError` with a one-line hint if ale-py lacks ``env_id``."""
    import gymnasium as gym

    register_atari_games()
    if env_id not in gym.registry:
        raise UserError(
            f"{key}={env_id}: ale-py does not know this game; use an id like "
            "PongNoFrameskip-v4 or ALE/Pong-v5 (list them with "
            '`python -c "import gymnasium as g, ale_py; g.register_envs(ale_py); '
            "print([k for k in g.registry if k.startswith('ALE/')])\"`)",
            key=key,
        )


def rom_name(env_id: str) -> str:
    """The ROM an env id plays, e.g. ``BreakoutNoFrameskip-v4`` -> ``breakout``.

    Both v4 and v5 ids carry it as the ``game`` argument of their gymnasium registration.
    """
    import gymnasium as gym

    register_atari_games()
    return str(gym.spec(env_id).kwargs["game"])


@cache
def action_names(env_id: str) -> tuple[str, ...]:
    """The game's actions in the agent's numbering, by ALE's names: ``("NOOP", "FIRE", "RIGHT",
    "LEFT", "RIGHTFIRE", "LEFTFIRE")`` for Pong. The agent acts in the game's minimal action
    set, as both env backends build it."""
    import gymnasium as gym

    register_atari_games()
    env = gym.make(env_id)
    try:
        return tuple(env.unwrapped.get_action_meanings())  # type: ignore[attr-defined]
    finally:
        env.close()
