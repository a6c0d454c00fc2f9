"""How many rows fit one forward pass: a fixed --batch-size, or a memory budget ("auto")."""

from __future__ import annotations

from typing import Any

import psutil
import torch

from harness.engine.types import ModelInfo

AUTO_MAX_ROWS = 64
CPU_BUDGET_FRACTION = 0.10  # of the available RAM ...
CPU_WEIGHTS_SHARE = {4: 0.13, 2: 0.06}  # ... and at most this share of the weights' bytes,
# by bytes per value: the process holds about 0.5 GB besides the weights (Python, torch,
# transformers, what the allocator keeps), 0.1x of float32 weights at the 1.2B shape but
# 0.2x of bfloat16 ones; so the seed suite at that shape peaks near 1.3x in both
CPU_MIN_BUDGET = 128 * 2**20  # for models so small that a share of their weights is nothing
GPU_BUDGET_FRACTION = 0.50
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
PREFILL_SHARE = 0.25  # of the budget rows decoding together may use: one prefill pass's
# activations (the rows' caches take the rest)


def cache_per_token(config: Any, dtype_bytes: int) -> int:
    """Bytes one token's keys and values take in the cache, every layer."""
    hidden = int(getattr(config, "hidden_size", 1024))
    heads = int(getattr(config, "num_attention_heads", 16))
    kv_heads = int(getattr(config, "num_key_value_heads", heads) or heads)
    head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
    return 2 * int(getattr(config, "num_hidden_layers", 12)) * kv_heads * head_dim * dtype_bytes


def activations_per_token(config: Any, dtype_bytes: int, attended: int = 0) -> int:
    """Bytes one query token's activations take during a forward pass, with its attention
    scores over `attended` keys where they are computed under a mask (no fused kernel).
    Counted at float32 width in a half-precision model too: its norms compute in float32,
    and masked attention on a CPU (torch's math kernel) in float32 scores."""
    hidden = int(getattr(config, "hidden_size", 1024))
    heads = int(getattr(config, "num_attention_heads", 16))
    inter = int(getattr(config, "intermediate_size", 4 * hidden))
    return (6 * hidden + 3 * inter + heads * attended) * max(4, dtype_bytes)


def bytes_per_token(config: Any, dtype_bytes: int, attended: int = 0) -> int:
    """Rough peak bytes one token of one row needs during a forward pass: cache, activations
    and, for a query that attends to `attended` keys under a mask (no fused kernel), its
    attention scores (the logits a row keeps are counted per row: `rows_per_batch`)."""
    return (cache_per_token(config, dtype_bytes)
            + activations_per_token(config, dtype_bytes, attended))


def memory_budget(device: str, weight_bytes: int = 0, dtype_bytes: int = 4) -> int:
    """Bytes a pass may use beyond the weights: half the free GPU memory; on a CPU a tenth of
    the available RAM, at most `CPU_WEIGHTS_SHARE` of the weights' own bytes (so that the
    process peaks near 1.3x the weights, whatever else the machine has free)."""
    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free * GPU_BUDGET_FRACTION)
    available = int(psutil.virtual_memory().available * CPU_BUDGET_FRACTION)
    if weight_bytes:
        share = CPU_WEIGHTS_SHARE.get(dtype_bytes, CPU_WEIGHTS_SHARE[4])
        return min(available, max(CPU_MIN_BUDGET, int(weight_bytes * share)))
    return available


def _budget(info: ModelInfo) -> tuple[int, int]:
    """Bytes per value of the model's dtype, and its memory budget beyond the weights."""
    dtype_bytes = DTYPE_BYTES.get(info.dtype, 4)
    return dtype_bytes, memory_budget(info.device, info.parameters * dtype_bytes, dtype_bytes)


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
    dtype_bytes, budget = _budget(info)
    attended = max(1, row_tokens) if plain else attended
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    per_row = (max(1, row_tokens) * bytes_per_token(config, dtype_bytes, attended)
               + logits * vocab * dtype_bytes)
    return max(1, min(AUTO_MAX_ROWS, (int(budget * share) - held) // per_row))


def decode_rows(config: Any, info: ModelInfo, fixed: int | None, *, cached: int, prompt: int,
                attended: int, held: int = 0) -> tuple[int, int]:
    """Rows that decode together, each holding `cached` tokens of cache by its last step,
    and rows per prefill pass, each of `prompt` tokens whose queries read `attended` keys:
    one prefill pass's activations take `PREFILL_SHARE` of the budget left beside `held`
    (a prefix cache the rows read), the rows' caches and kept logits the rest. A decode
    step's activations are one token a row: rows are admitted by their cache, and prefilled
    a pass at a time. A fixed size is both."""
    if fixed is not None:
        return max(1, fixed), max(1, fixed)
    dtype_bytes, budget = _budget(info)
    budget -= held
    logits = int(getattr(config, "vocab_size", 0) or 0) * dtype_bytes
    per_row = (max(1, cached) * cache_per_token(config, dtype_bytes)
               + activations_per_token(config, dtype_bytes, max(cached, attended)) + logits)
    per_prefill = max(1, prompt) * activations_per_token(config, dtype_bytes, attended) + logits
    rows = max(1, min(AUTO_MAX_ROWS, int(budget * (1 - PREFILL_SHARE)) // per_row))
    return rows, max(1, min(rows, int(budget * PREFILL_SHARE) // per_prefill))
