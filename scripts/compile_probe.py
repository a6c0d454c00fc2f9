"""Does the ecosystem's compiled decode step beat eager on this CPU? transformers' `generate` on
a random model of a bench shape, 8 rows of 40 tokens, NEW (default 32) greedy tokens each:
dynamic cache eager (what both engines run), static cache eager, and static cache compiled by
`torch.compile` (Inductor; `-freeze`: with `torch._inductor.config.freezing`, which packs the
weights for the matrix products; `-autotune`: mode max-autotune-no-cudagraphs). Needs a C++
compiler for the compiled variants.

Usage: python scripts/compile_probe.py small dynamic,static-eager,compiled
       python scripts/compile_probe.py small compiled-freeze   (one process per variant)
"""

import os
import sys
import time

import torch
from transformers import Exaone4ForCausalLM
from transformers.generation.configuration_utils import CompileConfig

from harness.refmodels.configs import exaone4_config

shape, variants = sys.argv[1], sys.argv[2].split(",")
torch.manual_seed(0)
cfg = exaone4_config(shape, max_positions=4096)
model = Exaone4ForCausalLM(cfg).eval()
B, P, N = 8, 40, int(os.environ.get("NEW", "32"))
ids = torch.randint(10, 1000, (B, P))
mask = torch.ones_like(ids)


def gen(variant: str) -> torch.Tensor:
    kw: dict[str, object] = dict(max_new_tokens=N, min_new_tokens=N, do_sample=False,
                                 pad_token_id=0)
    if variant == "dynamic":
        kw["disable_compile"] = True
    elif variant == "static-eager":
        kw.update(cache_implementation="static", disable_compile=True)
    else:
        import torch._inductor.config as ic

        ic.freezing = "freeze" in variant
        mode = "max-autotune-no-cudagraphs" if "autotune" in variant else "default"
        cc = CompileConfig(fullgraph=True, dynamic=False, mode=mode)
        cc._compile_all_devices = True
        kw.update(cache_implementation="static", compile_config=cc)
    with (torch.no_grad() if "freeze" in variant else torch.inference_mode()):
        return model.generate(ids, attention_mask=mask, **kw)


for v in variants:
    t0 = time.perf_counter()
    out0 = gen(v)
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = gen(v)
        times.append(time.perf_counter() - t0)
    print(f"{shape} {v}: first {first:.1f}s, then {min(times):.3f}s/generate "
          f"({min(times) / N * 1000:.1f} ms/token-step), same as first: "
          f"{bool((out == out0).all())}", flush=True)
    torch._dynamo.reset()
