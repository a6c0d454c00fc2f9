"""How many rows fit one forward pass: a fixed --batch-size, or a memory budget ("auto")."""

from __future__ import annotations

from typing import Any

import psutil
import torch

from harness.engine.types import ModelInfo

AUTO_MAX_ROWS = 64
CPU_BUDGET_FRACTION = 0.10
GPU_BUDGET_FRACTION = 0.50


def bytes_per_token(config: Any, dtype_bytes: int, attended: int = 0) -> int:
    """Rough peak bytes one token of one row needs during a forward pass: cache, activations
    and, for a query that attends to `attended` keys under a mask (no fused kernel), its
    attention scores."""
    hidden = int(getattr(config, "hidden_size", 1024))
    layers = int(getattr(config, "num_hidden_layers", 12))
    heads = int(getattr(config, "num_attention_heads", 16))
    kv_heads = int(getattr(config, "num_key_value_heads", heads) or heads)
    head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
    inter = int(getattr(config, "intermediate_size", 4 * hidden))
    cache = 2 * layers * kv_heads * head_dim
    activations = 6 * hidden + 3 * inter
    scores = heads * attended
    return (cache + activations + scores) * dtype_bytes


def memory_budget(device: str) -> int:
    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free * GPU_BUDGET_FRACTION)
    return int(psutil.virtual_memory().available * CPU_BUDGET_FRACTION)


def rows_per_batch(config: Any, row_tokens: int, info: ModelInfo, fixed: int | None,
                   plain: bool = False) -> int:
    """Rows of `row_tokens` tokens (prefix included) per forward pass; `plain`: rows with no
    cached prefix, every token a query over the whole masked row (its scores counted)."""
    if fixed is not None:
        return max(1, fixed)
    dtype_bytes = 2 if info.dtype in ("bfloat16", "float16") else 4
    attended = max(1, row_tokens) if plain else 0
    per_row = max(1, row_tokens) * bytes_per_token(config, dtype_bytes, attended)
    return max(1, min(AUTO_MAX_ROWS, memory_budget(info.device) // per_row))
