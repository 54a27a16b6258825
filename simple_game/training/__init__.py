"""Stage 4 of the pipeline: one training run and what runs beside it.

``run`` is the run top to bottom; the callbacks it attaches each live with their concern:
``evaluation`` (periodic full-game evaluations, the best model, clips), ``progress`` (the
console line and heartbeat), ``checkpoints``, ``stopping`` (Ctrl-C), ``tuning`` (Optuna
trials), ``sharing`` (CPU threads when trainings share a machine). ``logger`` routes SB3's
metrics to files, ``sweep_summary`` counts how a sweep's jobs ended.
"""
