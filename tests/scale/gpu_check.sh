#!/usr/bin/env bash
# Scale-out checks for a GPU machine (not run by pytest): the seed suite on cuda through
# `accelerate launch --num_processes 1` vs plain `harness run` (identical results), 2 ranks
# when 2 GPUs exist, and a device map forced across GPUs (prefix reuse falls back) vs unsplit.
# Usage: HARNESS_MODELS_DIR=models bash tests/scale/gpu_check.sh OUT_DIR
set -euo pipefail
OUT=${1:-gpu-scale}; MODEL=${HARNESS_MODELS_DIR:-models}/tiny-exaone4-memorizer
PY=${PYTHON:-python}; export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$OUT"; nvidia-smi -L | tee "$OUT/gpus.txt"
common=(--model "$MODEL" --device cuda --limit 8 --no-cache)
$PY -m harness run "${common[@]}" --results "$OUT/plain"
accelerate launch --num_processes 1 --num_machines 1 --mixed_precision no \
  --dynamo_backend no -m harness run "${common[@]}" --results "$OUT/launch1"
GPUS=$(nvidia-smi -L | wc -l)
if [ "$GPUS" -ge 2 ]; then
  accelerate launch --num_processes 2 --num_machines 1 --mixed_precision no \
    --dynamo_backend no -m harness run "${common[@]}" --results "$OUT/launch2"
  $PY -m harness run "${common[@]}" --device auto --device-map sequential \
    --max-memory 0=2MB,1=8GiB --results "$OUT/split"
fi
$PY - "$OUT" <<'PY'
import sys
from pathlib import Path
from tests.scale.launch import assert_same_results, only_run
out = Path(sys.argv[1])
_, ref, ref_samples = only_run(out / "plain")
for name in ("launch1", "launch2", "split"):
    if (out / name).is_dir():
        _, rec, samples = only_run(out / name)
        worst = assert_same_results((ref, ref_samples), (rec, samples))
        print(f"{name}: equal to plain (largest loglik difference {worst:.1e}); "
              f"backend {rec.backend}; distributed {rec.distributed}")
PY
