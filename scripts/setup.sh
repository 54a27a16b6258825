#!/usr/bin/env bash
# Set up simple-game in ./.venv from the project's own files.
#   bash scripts/setup.sh          # the playground: train, evaluate, sweep, report
#   bash scripts/setup.sh --dev    # plus the test tools and a PostgreSQL server for the storage tests
# torch is capped below 2.14 in pyproject.toml: on CPU-only machines an uncapped torch pulls the
# newest CUDA build (several GB).
set -euo pipefail
cd "$(dirname "$0")/.."

dev=false
[[ "${1:-}" == "--dev" ]] && dev=true

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if $dev; then
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  # The Optuna storage tests start a real PostgreSQL server on loopback (Debian's package).
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
    else
      echo "note: PostgreSQL is not installed; install it (e.g. apt-get install postgresql) for the storage tests" >&2
    fi
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi
echo "simple-game is set up in .venv (activate it with: source .venv/bin/activate)"
