"""Grouped SDPA: the same attention as transformers' sdpa, without copying key/value heads."""

from __future__ import annotations

import pytest
import torch
import transformers.integrations.sdpa_attention as sdpa_module
from transformers import Exaone4ForCausalLM

from harness.engine.hf.attention import GROUPED_SDPA, use_grouped_sdpa
from harness.engine.hf.kv import new_cache
from harness.refmodels.configs import exaone4_config


def _model() -> Exaone4ForCausalLM:
    torch.manual_seed(0)
    config = exaone4_config("tiny", vocab_size=97, max_positions=256)
    config._attn_implementation = "sdpa"
    return Exaone4ForCausalLM(config).eval()


def _masked_pass(model: Exaone4ForCausalLM) -> torch.Tensor:
    """A left-padded prompt, then a masked pass of three tokens per row over its cache."""
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 97, (3, 12), generator=generator)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[0, :4] = 0
    mask[2, :7] = 0
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions,
                    cache=new_cache(model.config, 3), use_cache=True)
        more = torch.randint(3, 97, (3, 3), generator=generator)
        mask = torch.cat([mask, torch.ones(3, 3, dtype=torch.long)], dim=1)
        out = model(input_ids=more, attention_mask=mask, position_ids=positions[:, -1:] + 1
                    + torch.arange(3), cache=out.cache, use_cache=True, logits_to_keep=3)
    logits: torch.Tensor = out.logits
    return logits


def test_grouped_sdpa_equals_sdpa_and_copies_no_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    assert model.config.num_key_value_heads < model.config.num_attention_heads
    copies: list[int] = []
    repeat = sdpa_module.repeat_kv

    def counted(hidden: torch.Tensor, n_rep: int) -> torch.Tensor:
        copies.append(n_rep)
        return repeat(hidden, n_rep)

    monkeypatch.setattr(sdpa_module, "repeat_kv", counted)
    expected = _masked_pass(model)
    assert copies  # transformers' sdpa repeats the key/value heads of a masked pass
    copies.clear()
    assert use_grouped_sdpa(model) and model.config._attn_implementation == GROUPED_SDPA
    assert use_grouped_sdpa(model)  # switching twice is harmless
    got = _masked_pass(model)
    assert not copies
    assert torch.allclose(got, expected, atol=1e-5, rtol=0)
    assert torch.equal(got.argmax(-1), expected.argmax(-1))


def test_other_attention_kinds_stay_as_they_are() -> None:
    model = _model()
    model.set_attn_implementation("eager")
    assert not use_grouped_sdpa(model)
    assert model.config._attn_implementation == "eager"
