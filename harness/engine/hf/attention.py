"""SDPA attention that shares key/value heads without copying them when a pass is masked.

transformers' `sdpa` attention, for a model with fewer key/value heads than query heads
(grouped-query attention: EXAONE 4.0 has 8 for 32), copies every key/value head once per
query head (`repeat_kv`) whenever a pass of several tokens carries a mask; on CPU it does so
for the whole cache, in every layer and pass. Our engine's masked multi-token passes (packed
tries after a document, rows joining after a prefix, left-padded rows) all do. Here
the query heads of one key/value head are stacked as extra query rows instead, with the mask
repeated to match, which is the same attention (the trick transformers uses for one token).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AttentionInterface, AttentionMaskInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

from harness.engine.hf.shared_prefix import SharedPrefix, shared_prefix_attention, stacked_sdpa

GROUPED_SDPA = "fact_harness_sdpa"
UNSPLITTABLE = ("position_bias", "s_aux", "softcap", "sliding_window")


class PrefixSplitUnsupported(Exception):
    """This model's attention takes options the shared-prefix split does not implement."""


def grouped_sdpa(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 attention_mask: torch.Tensor | None, scaling: float | None = None,
                 dropout: float = 0.0, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """transformers' sdpa attention, except that a masked pass of several tokens over fewer
    key/value heads stacks each group's query heads instead of repeating the keys/values.
    With `shared_prefix`, rows also attend to their group's prefix cache (`shared_prefix.py`)."""
    shared = kwargs.pop("shared_prefix", None)
    if isinstance(shared, SharedPrefix):
        if dropout or any(kwargs.get(name) is not None for name in UNSPLITTABLE):
            raise PrefixSplitUnsupported
        return shared_prefix_attention(
            module, query, key, value, attention_mask,
            scaling if scaling is not None else query.shape[-1] ** -0.5, shared), None
    groups = int(getattr(module, "num_key_value_groups", 1))
    plain = (groups == 1 or query.shape[2] == 1 or dropout or any(
        kwargs.get(name) is not None for name in ("position_bias", "s_aux", "softcap")))
    if attention_mask is None or attention_mask.shape[1] != 1 or plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask,
                                      scaling=scaling, dropout=dropout, **kwargs)
    return stacked_sdpa(query, key, value, attention_mask, scaling), None


def use_grouped_sdpa(model: Any) -> bool:
    """Switch a model that uses `sdpa` to the grouped version (same results); False when
    its attention is another kind or cannot be switched."""
    current = str(getattr(model.config, "_attn_implementation", ""))
    if current != "sdpa":
        return current == GROUPED_SDPA
    AttentionInterface.register(GROUPED_SDPA, grouped_sdpa)
    AttentionMaskInterface.register(GROUPED_SDPA, sdpa_mask)
    try:
        model.set_attn_implementation(GROUPED_SDPA)
    except (ValueError, AttributeError):
        return False
    return str(getattr(model.config, "_attn_implementation", "")) == GROUPED_SDPA
