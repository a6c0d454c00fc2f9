"""A model split across devices (`--device-map`, `--max-memory`): accelerate places whole
modules on GPUs, the CPU or disk (`from_pretrained(device_map=…)`), and hooks move each
module's inputs to where it runs.

Where the engine's batched prefix paths stay right: every module of the split runs on one
device (one GPU with CPU or disk offload: offloaded weights are streamed to that GPU; or the
CPU with disk offload), so every layer's KV cache lives on it. A split over several GPUs
puts layers' caches on different devices, while the prefix paths (prefix caches gathered and
read in place, the decode rows' index) keep their bookkeeping on the first: then prefix
reuse is switched off (`fallback` in run.json's backend), never run wrong."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

from harness.engine.interface import GenSink, LoglikSink, Progress
from harness.engine.types import EngineStats, GenRequest, GenResult, LoglikRequest, LoglikResult
from harness.errors import HarnessError

_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$")
MULTI_DEVICE_FALLBACK = ("the model runs on several devices ({devices}): prefix reuse off "
                         "(its caches would span devices)")


def parse_max_memory(text: str | None) -> dict[int | str, str] | None:
    """`0=20GiB,cpu=60GiB` -> {0: "20GiB", "cpu": "60GiB"}; one clear line when malformed."""
    if text is None:
        return None
    memory: dict[int | str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        device, _, size = part.partition("=")
        device, size = device.strip(), size.strip()
        if not size or not _SIZE.match(size) or not (device.isdigit() or device in ("cpu",
                                                                                    "mps")):
            raise HarnessError(f"--max-memory {text}: '{part}' is not DEVICE=SIZE (DEVICE: a "
                               "GPU index, cpu or mps; SIZE: e.g. 20GiB or 500MB)")
        memory[int(device) if device.isdigit() else device] = size
    if not memory:
        raise HarnessError(f"--max-memory {text!r}: expected e.g. 0=20GiB,cpu=60GiB")
    return memory


def check_devices(device: str, memory: dict[int | str, str] | None) -> None:
    """A map naming GPUs this machine lacks, or GPUs with --device cpu: one clear line."""
    gpus = [d for d in (memory or {}) if isinstance(d, int)]
    count = torch.cuda.device_count()
    for gpu in gpus:
        if gpu >= count:
            raise HarnessError(f"--max-memory names GPU {gpu}, but this machine has "
                               f"{count} CUDA device(s): name only devices it has")
    if gpus and device == "cpu":
        raise HarnessError(f"--max-memory names GPU {gpus[0]} but --device cpu: drop the GPU "
                           "entries or use --device auto")


def execution_devices(device_map: dict[str, Any]) -> list[str]:
    """Where the modules of a split model run: its GPUs (offloaded modules run on the first),
    or the CPU when it has none."""
    gpus = sorted({d for d in device_map.values() if d not in ("cpu", "disk")},
                  key=str)
    return [f"cuda:{d}" if isinstance(d, int) else str(d) for d in gpus] or ["cpu"]


def main_device(device_map: dict[str, Any]) -> str:
    """The device a split model's inputs go to: where its first modules run."""
    devices = execution_devices(device_map)
    return "cuda" if devices == ["cuda:0"] else devices[0]


def placement(device_map: dict[str, Any]) -> dict[str, int]:
    """Modules per device ("cuda:0", "cpu", "disk"), as run.json records it."""
    named = (f"cuda:{d}" if isinstance(d, int) else str(d) for d in device_map.values())
    return dict(sorted(Counter(named).items()))


class Placed:
    """An engine whose model was split by a device map: the same calls, and a description
    that says where the model is and what the engine switched off for it."""

    def __init__(self, engine: Any, describe: dict[str, Any]) -> None:
        self.engine = engine
        self.name, self.info, self.tokenizer = engine.name, engine.info, engine.tokenizer
        self.choice_refusal: str | None = engine.choice_refusal
        self.extra = describe

    @property
    def stats(self) -> EngineStats:
        stats: EngineStats = self.engine.stats
        return stats

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        out: list[LoglikResult] = self.engine.loglikelihood(requests, progress, sink)
        return out

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        out: list[GenResult] = self.engine.generate(requests, progress, sink)
        return out

    def describe(self) -> dict[str, Any]:
        return {**self.engine.describe(), **self.extra}

    def close(self) -> None:
        self.engine.close()
