"""Stage 5 of the pipeline: the files a run leaves, and reading them back.

``paths`` names every file of a run directory; ``summary`` (summary.json, the run's record),
``evaluations`` (evaluations.jsonl), ``checkpoints`` (finding them), ``files`` (atomic
writes), ``scores`` (random and human reference scores), ``plots`` (learning_curve.png) and
``video`` (mp4 and GIF recording).
"""
