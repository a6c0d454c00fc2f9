"""Find and load a Hugging Face causal LM from a local folder or the hub (cache first)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.engine.host import bound_product_caches, cpu_device_name
from harness.engine.types import ModelInfo
from harness.errors import HarnessError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class LoadOptions:
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    revision: str | None = None
    trust_remote_code: bool = False
    device_map: str | None = None  # auto | balanced | sequential (engine/device_map.py)
    max_memory: str | None = None  # "0=20GiB,cpu=60GiB"; beyond it, offload to disk


def pick_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise HarnessError(f"--device {device}: CUDA was asked for but no CUDA device is available "
                           "(use --device cpu or auto)")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise HarnessError(f"--device {device}: expected auto, cpu, cuda or cuda:N")
    return device


def pick_dtype(dtype: str, device: str) -> torch.dtype:
    if dtype == "auto":
        return torch.float32 if device == "cpu" else torch.bfloat16
    if dtype not in DTYPES:
        raise HarnessError(f"--dtype {dtype}: expected auto, {', '.join(DTYPES)}")
    return DTYPES[dtype]


def resolve_model(model_id: str, revision: str | None) -> tuple[Path, str, str]:
    """(folder, source, revision) of a local path or hub id; one clear error if unavailable."""
    local = Path(model_id).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise HarnessError(f"--model {model_id}: folder has no config.json; not a model "
                               "folder")
        from harness.fingerprint import folder_fingerprint

        return local.resolve(), "local", folder_fingerprint(local.resolve())  # by content
    no_folder = f"--model {model_id}: no such folder"
    if model_id.startswith(("/", "./", "../", "~")) or model_id.count("/") > 1:
        raise HarnessError(no_folder)  # a path, never a hub id (owner/name)
    if model_id.startswith(".") or model_id.count("/") != 1:
        raise HarnessError(f"{no_folder}, and not a hub id (owner/name)")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")
    try:
        folder = Path(snapshot_download(model_id, revision=revision, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        if Path(model_id.split("/")[0]).is_dir():  # models/tiny-exaone4-memorizr: a typo
            raise HarnessError(no_folder) from None
        if offline:
            raise HarnessError(
                f"--model {model_id}: no local folder of that name, and the weights are not "
                "available locally (HF_HUB_OFFLINE=1 and no cached copy); download them first "
                "or pass a local folder") from None
        try:
            folder = Path(snapshot_download(model_id, revision=revision))
        except Exception as err:  # noqa: BLE001 - any hub failure is one clear line for the user
            raise HarnessError(
                f"--model {model_id}: no local folder of that name, and the weights are not "
                f"available locally and could not be downloaded ({type(err).__name__}); "
                "download them first or pass a local folder") from None
    return folder, "hub-cache", folder.name


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return str(torch.cuda.get_device_name(torch.device(device)))
    return cpu_device_name(torch.get_num_threads())


def load_model(model_id: str, options: LoadOptions, weights: bool = True
               ) -> tuple[Any, Any, ModelInfo]:
    """Load (model, tokenizer, info); the model is in eval mode on its device. Without
    `weights`, the model is built from its config on the meta device (shapes only, nothing
    read): for a process that only needs its sizes."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    device = pick_device(options.device)
    dtype = pick_dtype(options.dtype, device)
    if device == "cpu":
        bound_product_caches()
    split: dict[str, Any] = {}
    if options.device_map is not None and weights:
        import tempfile

        from harness.engine.device_map import check_devices, main_device, parse_max_memory

        memory = parse_max_memory(options.max_memory)
        check_devices(device, memory)
        offload = tempfile.TemporaryDirectory(prefix="harness-offload-")
        # --device cpu without --max-memory: all on the CPU (never a GPU the machine has)
        split = {"device_map": options.device_map if device != "cpu" or memory else "cpu",
                 "max_memory": memory, "offload_folder": offload.name}
    folder, source, revision = resolve_model(model_id, options.revision)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            folder, trust_remote_code=options.trust_remote_code)
    except (OSError, ValueError, TypeError) as err:
        raise HarnessError(f"--model {model_id}: no usable tokenizer in {folder} "
                           f"({type(err).__name__}: {str(err).splitlines()[0][:160]})") from None
    try:
        if weights:
            model: Any = AutoModelForCausalLM.from_pretrained(
                folder, dtype=dtype, trust_remote_code=options.trust_remote_code, **split)
            if split:  # placed by accelerate; offloaded weights live while the model does
                model.harness_offload = offload
                placed = getattr(model, "hf_device_map", None)  # absent: all on one device
                device = main_device(placed) if placed else device
            else:
                model.to(device)
        else:
            with torch.device("meta"):
                model = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
                    AutoConfig.from_pretrained(
                        folder, trust_remote_code=options.trust_remote_code),
                    dtype=dtype, trust_remote_code=options.trust_remote_code)
    except (OSError, ValueError) as err:
        raise HarnessError(f"--model {model_id}: cannot load weights from {folder} "
                           f"({type(err).__name__}: {str(err).splitlines()[0][:160]})") from None
    model.eval()
    template = getattr(tokenizer, "chat_template", None)
    info = ModelInfo(
        model_id=model_id,
        source=source,
        path=str(folder),
        revision=revision,
        architecture=type(model).__name__,
        parameters=sum(p.numel() for p in model.parameters()),
        dtype=str(dtype).removeprefix("torch."),
        device=device,
        device_name=device_name(device),
        trust_remote_code=options.trust_remote_code,
        chat_template_sha=hashlib.sha256(template.encode()).hexdigest()[:16] if template else None,
        context_length=int(getattr(model.config, "max_position_embeddings", 0) or 0) or None,
    )
    return model, tokenizer, info
