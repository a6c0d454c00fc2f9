#!/usr/bin/env bash
# 2 ranks vs 1 process on this machine (not run by pytest): whole-command wall time, and
# compute time from run.json (task seconds; for ranks: the slowest rank's compute).
# The single process is pinned to one torch thread so that ranks are compared with the same
# thread count. Usage: LIMIT=16 ROUNDS="1 2" bash tests/scale/measure_ranks.sh [OUT_DIR]
set -uo pipefail
export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python}; BIN=$(dirname "$(command -v "$PY")")
M=${HARNESS_MODELS_DIR:-models}/tiny-exaone4-memorizer; LIMIT=${LIMIT:-16}
out=${1:-/tmp/measure-ranks}/$LIMIT; rm -rf "$out"; mkdir -p "$out"
ONE='import sys, torch; torch.set_num_threads(1); torch.set_num_threads = lambda n: None
sys.argv[0] = "harness"; from harness.cli.main import main; main()'
for round in ${ROUNDS:-1 2}; do
  for cfg in one-thread two-ranks; do
    res=$out/$cfg-$round
    case $cfg in
      one-thread) cmd=("$PY" -c "$ONE" run);;
      two-ranks) cmd=("$BIN/torchrun" --nproc_per_node 2 --master_port $((29800 + round))
                      -m harness run);;
    esac
    load=$(cut -d' ' -f1 /proc/loadavg); s=$(date +%s.%N)
    "${cmd[@]}" --model "$M" --limit "$LIMIT" --no-cache --results "$res" >/dev/null 2>&1 \
      || echo "FAIL $cfg"
    e=$(date +%s.%N)
    "$PY" - "$res" "$cfg" "$round" "$s" "$e" "$load" <<'PY'
import sys
from pathlib import Path
from harness.results.store import read_run
res, cfg, rnd, s, e, load = sys.argv[1:]
r = read_run(next(Path(res).glob("*/run.json")).parent)
compute = sum(t.seconds for t in r.tasks.values()); items = sum(t.n for t in r.tasks.values())
ranks = [(x.rank, x.compute_seconds, x.items) for x in r.distributed.ranks] if r.distributed else ""
print(f"{cfg} round {rnd}: wall {float(e) - float(s):.1f} s, compute {compute:.2f} s, "
      f"{items} items, {items / compute:.1f} items/s, loadavg before {load} {ranks}")
PY
  done
done
