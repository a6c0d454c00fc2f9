#!/usr/bin/env bash
# The prepared GPU check of the speed issue: `harness bench` on a randomly initialised model of
# the real EXAONE 4.0 1.2B shape, bf16, our engine and lm-eval's HFLM side by side, saved under
# results/bench/ (or $OUT) with the device name. Run on a CUDA machine from the repo root.
# Packages the machine lacks travel as wheels in .whl/ (see README, "GPU benchmark" under "Speed").
# In bf16 the bench also runs every request alone (each engine's distance from that); set
# NO_REFERENCE=1 to skip it when device time is short. The printout is written after each
# regime: a run cut short by a time limit leaves the regimes it measured in "$out.tmp".
# MODEL=<folder or hub id in the HF cache> times that trained model (EXAONE 4.0 1.2B itself,
# say) instead of the random 1.2B shape: its rows stop at stop strings and EOS.
set -euo pipefail
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
slug=$(echo "$gpu" | tr -c 'A-Za-z0-9.\n-' '_')
dest=${OUT:-results/bench}
mkdir -p "$dest"
if [ -n "${MODEL:-}" ]; then
  what=(--model "$MODEL")
  out="$dest/$(basename "$MODEL" | tr -c 'A-Za-z0-9.\n-' '_')-bf16-$slug.md"
else
  what=(--shape exaone-1.2b)
  out="$dest/exaone-1.2b-bf16-$slug.md"
fi
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
{
  echo "# harness bench on $gpu ($(date -u +%Y-%m-%d))"
  echo
  echo '```'
  echo "harness bench ${what[*]} --dtype bfloat16 --device cuda --limit ${LIMIT:-48} --batch-size ${BATCH:-16}"
  echo '```'
  echo
} > "$out"
python3 -c "from harness.cli.main import main; main()" bench "${what[@]}" \
  --dtype bfloat16 --device cuda --limit "${LIMIT:-48}" --batch-size "${BATCH:-16}" \
  --max-new-tokens 32 ${NO_REFERENCE:+--no-reference} --out "$out.tmp"
cat "$out.tmp" >> "$out" && rm "$out.tmp"
cat "$out"
