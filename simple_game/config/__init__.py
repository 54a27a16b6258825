"""Stage 1 of the pipeline: the run's configuration.

``groups`` (where conf/ is, which options each group has), ``schema`` (types and ranges,
registered with Hydra on import), ``validate`` (a composed config's ranges and the rules that
relate two keys), ``compose`` (the config a command line gives, from anywhere), ``overrides``
(checking a command line before Hydra starts), ``preflight`` (that check for training) and
``resume`` (``resume=<run dir>``).
"""

from simple_game.config import schema as _schema  # noqa: F401 - registers the schemas with Hydra
