"""EXAONE 4.0 configurations: the real 1.2B shape and small shapes for offline tests and benches."""

from __future__ import annotations

from typing import Any

SHAPES: dict[str, dict[str, int]] = {
    # name: hidden, intermediate, layers, heads, kv_heads, head_dim
    "tiny": {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32},
    # the 1.2B's 30 layers and 4 query heads per key/value head at width 128: each call's
    # fixed cost dominates, as in a GPU's decode step (a CPU proxy for launch-bound work)
    "thin": {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 30,
             "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 16},
    "small": {"hidden_size": 768, "intermediate_size": 2048, "num_hidden_layers": 12,
              "num_attention_heads": 12, "num_key_value_heads": 4, "head_dim": 64},
    "exaone-1.2b": {"hidden_size": 2048, "intermediate_size": 4096, "num_hidden_layers": 30,
                    "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64},
}
EXAONE_VOCAB = 102400
SMALL_VOCAB_SHAPES = ("tiny", "thin")  # random models of these take the suite tokenizer's size


def exaone4_config(shape: str, *, vocab_size: int | None = None, max_positions: int = 32768,
                   bos: int = 1, eos: int = 361, pad: int = 0) -> Any:
    """An `Exaone4Config` of the named shape; all layers full attention, like the 1.2B model.

    `layer_types` and `sliding_window=None` are explicit: without them transformers builds a
    hybrid sliding-window model (and drops RoPE on the "global" layers)."""
    from transformers import Exaone4Config

    dims: dict[str, Any] = dict(SHAPES[shape])
    return Exaone4Config(
        vocab_size=vocab_size or EXAONE_VOCAB,
        max_position_embeddings=max_positions,
        hidden_act="silu",
        rms_norm_eps=1e-5,
        tie_word_embeddings=True,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
        sliding_window=None,
        layer_types=["full_attention"] * dims["num_hidden_layers"],
        rope_parameters={
            "rope_type": "llama3",
            "rope_theta": 1_000_000.0,
            "factor": 16.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
        },
        **dims,
    )
