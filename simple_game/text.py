"""Numbers in plain words, for every console line and message of the playground."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``plural(1, "full game")`` -> ``"1 full game"``; ``plural(5, ...)`` -> ``"5 full games"``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def format_duration(seconds: float) -> str:
    """``3725`` -> ``"1h02m"``; ``95`` -> ``"1m35s"``."""
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
