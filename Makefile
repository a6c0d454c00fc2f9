# fact-harness: `make demo` (set up + run the demo), `make test` (set up + test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HARNESS := $(VENV)/bin/harness
SUITE ?= harness/suites/kr-news-2025-07
MODELS ?= models
RESULTS ?= results
DRAFTED ?= drafted/exaone
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install models demo test lint typecheck clean

install: $(VENV)/.installed

# torch 2.13.0 first: its CPU build is on local disk; letting pip pick torch pulls GBs of CUDA.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

models: install
	$(PY) scripts/build_reference_models.py --suite $(SUITE) --out $(MODELS)

demo: models
	$(HARNESS) tasks validate $(SUITE)
	$(HARNESS) run --model $(MODELS)/tiny-exaone4-random --suite $(SUITE) --results $(RESULTS)
	$(HARNESS) run --model $(MODELS)/tiny-exaone4-memorizer --suite $(SUITE) --results $(RESULTS)
	$(HARNESS) build $(SUITE)/documents/kh-exaone-4.txt --out $(DRAFTED) --force \
		--name drafted-exaone --published 2025-07-15 --outlet "Korea Herald"
	$(HARNESS) run --model $(MODELS)/tiny-exaone4-random --suite $(DRAFTED) --results $(RESULTS)
	$(HARNESS) run --model $(MODELS)/tiny-exaone4-memorizer --suite $(DRAFTED) --results $(RESULTS)
	$(HARNESS) leaderboard --results $(RESULTS) --suite kr-news-2025-07
	$(HARNESS) leaderboard --results $(RESULTS) --suite drafted-exaone
	$(HARNESS) report --results $(RESULTS) --out $(RESULTS)/report

lint: install
	$(VENV)/bin/ruff check harness tests scripts

typecheck: install
	$(VENV)/bin/mypy

test: install lint typecheck
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) $(MODELS) drafted .pytest_cache .mypy_cache .ruff_cache
