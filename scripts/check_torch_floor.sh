#!/usr/bin/env bash
# The lowest torch pyproject.toml allows, tested: installs it into a throwaway venv (PyPI's
# build for this platform: on x86_64 Linux a CUDA build of several GB, which runs on a CPU
# too), then this checkout with its dev extra, then runs the engine's equivalence tests and
# the lm-eval cross-check there. Usage: scripts/check_torch_floor.sh [VENV]   (from the repo root)
set -euo pipefail
floor=$(sed -n 's/^ *"torch>=\([0-9.]*\)".*/\1/p' pyproject.toml)
venv=${1:-$(mktemp -d)/venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "torch==$floor"
"$venv/bin/python" -m pip install -q -e '.[dev]'
"$venv/bin/python" -c "import torch; assert torch.__version__.startswith('$floor'), torch.__version__; print('torch', torch.__version__)"
HF_HUB_OFFLINE=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/engine tests/interop/test_lmeval_crosscheck.py tests/interop/test_lmeval_engine.py
