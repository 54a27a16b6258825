"""The files a run leaves, and reading them back: the first stage every other imports.

``paths`` names every file of a run directory; ``summary`` (summary.json, the run's record,
and how it ended), ``evaluations`` (evaluations.jsonl), ``progress`` (progress.csv),
``checkpoints`` (finding them), ``files`` (atomic writes), ``scores`` (random and human
reference scores), ``reference`` (recipes' measured curves), ``machine`` (what a run trained
on), ``observation`` (what the network sees), ``plots`` (learning_curve.png) and ``video`` (mp4
and GIF recording).
"""
