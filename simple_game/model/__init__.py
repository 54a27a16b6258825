"""Stage 3 of the pipeline: the model a run trains.

``build`` instantiates the SB3 model the ``algo`` and ``policy`` groups describe, ``networks``
holds the feature extractors, ``pqn`` the one algorithm this project writes itself, ``speed``
the bf16 / memory-format / fused-Adam levers and ``device`` the torch device.
"""
