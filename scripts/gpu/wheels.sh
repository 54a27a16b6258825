#!/usr/bin/env bash
# Wheels for the prepared GPU call (scripts/gpu/check.sh), into .whl/ (git ignores it).
#
# The lent GPU machines (/work/.library/device/KINDS.md) run Python 3.12 with torch, numpy,
# pandas, matplotlib, scipy, opencv, tensorboard, rich, tqdm and pyyaml installed, and reach
# no package index. What this project needs beyond those travels as wheels built for that
# Python, at the versions this checkout's .venv runs (scripts/setup.sh made it).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=.venv/bin/python
# Each package the GPU machine lacks, with what it needs in turn that it also lacks.
# optuna and its storage stack keep Hydra from warning that this project's sweeper cannot load.
PACKAGES=(
  stable-baselines3 sb3-contrib gymnasium farama-notifications ale-py
  hydra-core omegaconf
  optuna alembic sqlalchemy mako colorlog
)
rm -rf .whl && mkdir .whl
pinned=()
for name in "${PACKAGES[@]}"; do
  version=$("$PYTHON" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [ -n "$version" ] || { echo "scripts/gpu/wheels.sh: $name is not in .venv; run bash scripts/setup.sh --dev" >&2; exit 1; }
  pinned+=("$name==$version")
done
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
  -d .whl "${pinned[@]}"
# hydra-core's pinned parser runtime has no wheel on PyPI: build one (pure Python).
"$PYTHON" -m pip wheel -q --no-deps -w .whl antlr4-python3-runtime==4.9.3
ls -1 .whl
du -sh .whl
