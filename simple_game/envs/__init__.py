"""Stage 2 of the pipeline: the Atari games a run trains and evaluates on.

``build.make_env`` is the entry point; ``settings`` turns the ``env`` config into one typed
object both backends read, ``games`` knows which games ale-py has, ``ale_vector`` adapts
ale-py's C++ vector env to SB3.
"""
