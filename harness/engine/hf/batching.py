"""How many rows fit one forward pass: a fixed --batch-size, or a memory budget ("auto")."""

from __future__ import annotations

from typing import Any

import psutil
import torch

from harness.engine.types import ModelInfo

AUTO_MAX_ROWS = 64
CPU_BUDGET_FRACTION = 0.10  # of the available RAM ...
CPU_WEIGHTS_SHARE = 0.15  # ... and at most this share of the weights' bytes: with Python,
# torch and what the allocator keeps, the seed suite at the 1.2B shape peaks at 1.30x
CPU_MIN_BUDGET = 256 * 2**20  # for models so small that a share of their weights is nothing
GPU_BUDGET_FRACTION = 0.50
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


def bytes_per_token(config: Any, dtype_bytes: int, attended: int = 0) -> int:
    """Rough peak bytes one token of one row needs during a forward pass: cache, activations
    and, for a query that attends to `attended` keys under a mask (no fused kernel), its
    attention scores (the logits a row keeps are counted per row: `rows_per_batch`)."""
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


def memory_budget(device: str, weight_bytes: int = 0) -> int:
    """Bytes a pass may use beyond the weights: half the free GPU memory; on a CPU a tenth of
    the available RAM, at most `CPU_WEIGHTS_SHARE` of the weights' own bytes (so that the
    process peaks near 1.3x the weights, whatever else the machine has free)."""
    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free * GPU_BUDGET_FRACTION)
    available = int(psutil.virtual_memory().available * CPU_BUDGET_FRACTION)
    if weight_bytes:
        return min(available, max(CPU_MIN_BUDGET, int(weight_bytes * CPU_WEIGHTS_SHARE)))
    return available


def rows_per_batch(config: Any, row_tokens: int, info: ModelInfo, fixed: int | None,
                   plain: bool = False, logits: int = 0, attended: int = 0,
                   share: float = 1.0, held: int = 0) -> int:
    """Rows of `row_tokens` tokens (a copied prefix included) per forward pass; `plain`: rows
    with no cached prefix, every token a query over the whole masked row (its scores
    counted); `attended`: else the keys each query reads where it is not the row alone (a
    prefix read in place); `logits`: positions whose next-token logits each row keeps;
    `share`: of the memory budget these rows may take; `held`: bytes already taken from it
    (a prefix cache the rows read)."""
    if fixed is not None:
        return max(1, fixed)
    dtype_bytes = DTYPE_BYTES.get(info.dtype, 4)
    attended = max(1, row_tokens) if plain else attended
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    per_row = (max(1, row_tokens) * bytes_per_token(config, dtype_bytes, attended)
               + logits * vocab * dtype_bytes)
    budget = int(memory_budget(info.device, info.parameters * dtype_bytes) * share) - held
    return max(1, min(AUTO_MAX_ROWS, budget // per_row))
