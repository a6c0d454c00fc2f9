"""--device-map / --max-memory: a tiny model split between the CPU and disk offload gives the
log-likelihoods and generations of an unsplit load; bad maps are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from harness.engine.device_map import execution_devices, parse_max_memory, placement
from harness.engine.loading import LoadOptions, load_model
from harness.errors import HarnessError
from harness.runs.backends import open_hf
from harness.runs.options import RunOptions
from harness.runs.requests import Decoding, PromptStyle, choice_requests, generation_requests
from harness.suite.items import build_items
from harness.suite.loader import Suite
from tests.conftest import SEED_SUITE

SPLIT = "cpu=3MB"  # the tiny model is 3.3 MB in float32: some modules on the CPU, some on disk


def _options(model: Path, **extra: object) -> RunOptions:
    return RunOptions(model=str(model), suite=SEED_SUITE, device="cpu", batch_size=4,
                      **extra)  # type: ignore[arg-type]


def _requests(suite: Suite, tokenizer: object) -> tuple[list, list]:  # type: ignore[type-arg]
    style = PromptStyle.choose(tokenizer, chat=None, thinking=False, system_prompt=None)
    loglik, gen = [], []
    for name in ("mc_open", "mc", "tf_ko"):
        task = suite.task(name)
        items = build_items(suite, task)[:6]
        loglik += choice_requests(tokenizer, task, items, style, build_items(suite, task))[1]
    for name in ("open_qa", "closed_qa"):
        task = suite.task(name)
        items = build_items(suite, task)[:4]
        gen += [g[0] for g in generation_requests(tokenizer, task, items, style, Decoding())]
    return loglik, gen


def test_offloaded_split_matches_unsplit(memorizer_model: Path, suite: Suite) -> None:
    whole = open_hf(_options(memorizer_model))
    split = open_hf(_options(memorizer_model, device_map="auto", max_memory=SPLIT))
    try:
        described = split.describe()
        assert set(described["placement"]) == {"cpu", "disk"}, described  # really split
        assert described["fallback"] is None and described["prefix_reuse"] is True
        loglik, gen = _requests(suite, whole.tokenizer)
        a, b = whole.loglikelihood(loglik), split.loglikelihood(loglik)
        worst = max(abs(x.logprob - y.logprob) for x, y in zip(a, b, strict=True))
        print(f"device map {described['placement']}: {len(loglik)} log-likelihoods, "
              f"largest difference {worst:.2e}")
        assert worst < 1e-4
        assert [x.is_greedy for x in a] == [y.is_greedy for y in b]
        assert [r.text for r in whole.generate(gen)] == [r.text for r in split.generate(gen)]
        assert split.stats.tokens_saved > 0  # the prefix paths ran on the split model
    finally:
        whole.close()
        split.close()


def test_multi_device_map_falls_back() -> None:
    devices = execution_devices({"model.embed_tokens": 0, "model.layers.0": 1, "lm_head": "cpu"})
    assert devices == ["cuda:0", "cuda:1"]
    assert execution_devices({"model": "cpu", "lm_head": "disk"}) == ["cpu"]
    assert execution_devices({"model": 0, "lm_head": "disk"}) == ["cuda:0"]  # offload runs on 0
    assert placement({"a": 0, "b": 0, "c": "disk"}) == {"cuda:0": 2, "disk": 1}


@pytest.mark.parametrize(("text", "expected"), [
    ("0=20GiB,cpu=60GiB", {0: "20GiB", "cpu": "60GiB"}),
    ("cpu=3MB", {"cpu": "3MB"}),
])
def test_parse_max_memory(text: str, expected: dict[object, str]) -> None:
    assert parse_max_memory(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("gpu0=20GiB", "'gpu0=20GiB' is not DEVICE=SIZE"),
    ("0=lots", "'0=lots' is not DEVICE=SIZE"),
])
def test_bad_max_memory(text: str, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        parse_max_memory(text)


@pytest.mark.skipif(torch.cuda.device_count() > 3, reason="needs a machine with < 4 GPUs")
def test_map_naming_missing_gpu(memorizer_model: Path) -> None:
    with pytest.raises(HarnessError, match="names GPU 3, but this machine has"):
        load_model(str(memorizer_model), LoadOptions(device="auto", device_map="auto",
                                                     max_memory="3=1GiB,cpu=1GiB"))
    if torch.cuda.device_count():
        with pytest.raises(HarnessError, match="names GPU 0 but --device cpu"):
            load_model(str(memorizer_model), LoadOptions(device="cpu", device_map="auto",
                                                         max_memory="0=1GiB"))


def test_option_checks() -> None:
    for extra, message in [({"device_map": "everywhere"}, "expected auto, balanced"),
                           ({"max_memory": "cpu=1GiB"}, "only with --device-map"),
                           ({"device_map": "auto", "engine": "lm-eval"}, "only with --engine hf")]:
        with pytest.raises(HarnessError, match=message):
            RunOptions(model="m", suite=SEED_SUITE, **extra).check()  # type: ignore[arg-type]
