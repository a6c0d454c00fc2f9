"""The bench's random shapes: `thin` keeps the 1.2B's depth and head grouping at a width where
per-call overhead dominates; the real shape keeps the real vocabulary."""

from __future__ import annotations

import torch

from harness.bench.run import random_model


def test_thin_shape_is_the_1_2b_s_layers_at_width_128_with_the_suite_vocabulary() -> None:
    real = random_model("exaone-1.2b", list(range(97)), torch.float32, "meta").config
    thin = random_model("thin", list(range(97)), torch.float32, "meta").config
    assert thin.num_hidden_layers == real.num_hidden_layers == 30
    assert (thin.num_attention_heads // thin.num_key_value_heads
            == real.num_attention_heads // real.num_key_value_heads == 4)
    assert thin.hidden_size == 128 and thin.layer_types == ["full_attention"] * 30
    assert (thin.vocab_size, real.vocab_size) == (97, 102400)
