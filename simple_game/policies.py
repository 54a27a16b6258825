"""The old home of the feature extractors, kept importable.

Saved configs (``.hydra/config.yaml``) and model zips of earlier runs name
``simple_game.policies.SimpleNatureCNN``; the class now lives in
:mod:`simple_game.model.networks`.
"""

from simple_game.model.networks import SimpleNatureCNN, conv_output_size

__all__ = ["SimpleNatureCNN", "conv_output_size"]
