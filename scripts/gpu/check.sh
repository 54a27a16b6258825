#!/usr/bin/env bash
# The prepared call for a lent GPU machine (issue 34): one seed of each GPU recipe, timed to
# Pong +18, in one command that fits the 10 minutes a call may run and the 15 minutes of
# device time a session has (docs/recipes.md#recipes-for-a-gpu-machine-ready-not-measured).
#
# Here, once:   bash scripts/gpu/wheels.sh          (the packages that machine lacks, in .whl/)
# There:        run(command="bash scripts/gpu/check.sh", carry=[".whl"], timeout_s=600)
# On a CPU:     SMOKE=1 bash scripts/gpu/check.sh   (the same steps on a tiny budget, hardware=cpu)
#
# What comes back in $OUT: check.log (everything printed), pong_pqn_gpu.json and
# pong_ppo_gpu.json (the bench's time-to-skill summaries) and runs.tgz (each run's small
# files: config, summary, evaluations, progress.csv, learning curve), to land under
# runs/reference/ as docs/recipes.md says.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
exec > >(tee "$OUT/check.log") 2>&1

# Training minutes per recipe (evaluations included, start-up not): PQN gets the goal's
# 5 minutes, PPO the rest of the call; each stops sooner at +18.
PQN_MINUTES="${PQN_MINUTES:-5}"
PPO_MINUTES="${PPO_MINUTES:-1.5}"
# There: the machine's python3. Here: this checkout's .venv (scripts/setup.sh).
PYTHON="${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}"
# Where runs/reference/<recipe>/seed0 land, checkpoints and all: outside the checkout, and
# outside $OUT, whose files all travel back (8 at most).
WORK="${WORK:-$(mktemp -d -t gpu-check-runs.XXXXXX)}"

if [ -d .whl ] && [ -z "${SMOKE:-}" ]; then  # the wheels are for that machine's Python 3.12
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
  || echo "no nvidia-smi"
echo "cores: $(nproc)"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

time_to_skill() {  # recipe, training minutes, extra overrides...
  local recipe=$1 minutes=$2
  shift 2
  echo "== $recipe, seed 0, at most $minutes training minutes"
  "$PYTHON" -m simple_game.bench --only "" --time-to-skill "$recipe" --seeds 0 --root "$WORK" \
    --json "$OUT/$recipe.json" --overrides "train.max_minutes=$minutes" "$@"
}

failed=0  # a recipe that fails still leaves the other's results and the packed files
if [ -n "${SMOKE:-}" ]; then  # one rollout of every game on the CPU, one cut evaluation game
  tiny=(hardware=cpu train.total_timesteps=2048 train.eval_freq=2048 train.n_eval_episodes=1
        env.max_frames_per_episode=2000)
  time_to_skill pong_pqn_gpu "$PQN_MINUTES" "${tiny[@]}" algo.n_steps=8 || failed=1
  time_to_skill pong_ppo_gpu "$PPO_MINUTES" "${tiny[@]}" algo.n_steps=32 || failed=1
else
  time_to_skill pong_pqn_gpu "$PQN_MINUTES" || failed=1
  time_to_skill pong_ppo_gpu "$PPO_MINUTES" || failed=1
fi

echo "== packing the runs' small files"
(cd "$WORK" && tar czf "$OUT/runs.tgz" --exclude=checkpoints --exclude=tensorboard \
  --exclude=videos --exclude='*.zip' runs/reference) || failed=1
ls -l "$OUT"
echo "the runs, checkpoints included: $WORK/runs/reference"
exit "$failed"
