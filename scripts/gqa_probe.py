"""Does torch's own grouped-query SDPA (`enable_gqa=True`, what transformers uses under
`TRANSFORMERS_SDPA_FORCE_GQA=1`) match the engine's stacked query heads on masked passes of
several tokens? Times one attention call of the 1.2B shape (32 query heads over 8 key/value
heads, head dim 64) three ways: the engine's `stacked_sdpa`, `enable_gqa=True`, and
transformers' default (`repeat_kv` copies, then SDPA); prints ms per call (median of 15 after
3 warm-ups) and the max |difference| from the stacked form.

Usage: python scripts/gqa_probe.py   (quiet machine; about a minute)
"""

import statistics
import time
from collections.abc import Callable

import torch
from transformers.integrations.sdpa_attention import repeat_kv

from harness.engine.hf.shared_prefix import stacked_sdpa

HEADS, KV_HEADS, DIM = 32, 8, 64
# (what, rows, query tokens, keys: a copied prefix and the row's own tokens)
CASES = [("trie rows after a document (mc_open)", 8, 64, 1264),
         ("rows after a question (mc)", 8, 48, 128),
         ("left-padded prompts (closed_qa start)", 8, 80, 80)]


def timed(call: Callable[[], torch.Tensor]) -> tuple[float, torch.Tensor]:
    for _ in range(3):
        out = call()
    times = []
    for _ in range(15):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, out


def ways(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor,
         scale: float) -> list[Callable[[], torch.Tensor]]:
    """The three forms of one masked attention call, each returning (rows, L, heads, dim)."""
    sdpa = torch.nn.functional.scaled_dot_product_attention
    groups = HEADS // KV_HEADS
    return [lambda: stacked_sdpa(query, key, value, mask, scale),
            lambda: sdpa(query, key, value, attn_mask=mask, scale=scale,
                         enable_gqa=True).transpose(1, 2).contiguous(),
            lambda: sdpa(query, repeat_kv(key, groups), repeat_kv(value, groups),
                         attn_mask=mask, scale=scale).transpose(1, 2).contiguous()]


def main() -> None:
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    print("| pass | stacked (engine) ms | enable_gqa ms | repeat_kv ms | max abs diff gqa "
          "| max abs diff repeat |")
    print("|---|---|---|---|---|---|")
    with torch.inference_mode():
        for what, rows, length, keys in CASES:
            query = torch.randn(rows, HEADS, length, DIM)
            key, value = (torch.randn(rows, KV_HEADS, keys, DIM),
                          torch.randn(rows, KV_HEADS, keys, DIM))
            mask = torch.ones(length, keys, dtype=torch.bool).tril(keys - length)
            mask = mask.expand(rows, 1, length, keys).clone()
            mask[0, :, length // 4 :, : keys // 4] = False  # a padded row's real queries
            (t_stacked, stacked), (t_gqa, gqa), (t_repeat, repeat) = (
                timed(way) for way in ways(query, key, value, mask, DIM ** -0.5))
            print(f"| {what}: {rows} rows × {length} tokens over {keys} keys | "
                  f"{t_stacked:.2f} | {t_gqa:.2f} | {t_repeat:.2f} | "
                  f"{(gqa - stacked).abs().max().item():.1e} | "
                  f"{(repeat - stacked).abs().max().item():.1e} |")


if __name__ == "__main__":
    main()
