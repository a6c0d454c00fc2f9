"""The bench's printout: items/s of each engine, the ratio against the target, and checks."""

from __future__ import annotations

from typing import Any

from harness.bench.run import (
    CEILING_PAIRS,
    CEILING_TARGET,
    PREFILL_BOUND,
    TARGETS,
    RegimeResult,
)


def report(results: list[RegimeResult], meta: dict[str, Any]) -> str:
    """The printout: items/s of each engine, the ratio against the target, and checks."""
    weights = meta["weights_bytes"]
    lines = [
        f"{_model_line(meta)} ({meta['parameters'] / 1e6:.1f}M parameters, {meta['dtype']}"
        f"{', chat template' if meta.get('chat') else ''}), "
        f"device {meta['device']}, batch size {meta['batch_size']}, torch {meta['torch']}"
        + (f", {meta['busy_cores']} core(s) kept busy by a spinning process"
           if meta.get("busy_cores") else ""),
        "",
        "| regime | items | ours items/s | lm-eval items/s | ratio | target | max abs Δ loglik "
        "| same text | ours tok/s | bare-forward tok/s | of ceiling | of last-logits ceiling "
        "| peak RSS / weights: ours | lm-eval | positions run: lm-eval ÷ ours "
        "| in decode steps: ours | lm-eval | ratio if prompts were free |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        target = TARGETS.get(r.ours.regime)
        verdict = "" if target is None else (" ✓" if r.ratio >= target else " ✗")
        fits = ("" if r.ours.regime not in PREFILL_BOUND else
                " ✓" if r.ceiling_fraction >= CEILING_TARGET else " ✗")
        delta, same = _delta_cell(r.max_delta), _share_cell(r.same_texts)
        bound = r.free_prompt_bound
        decode = ("– | – | –" if bound is None else
                  f"{100 * r.ours.decode_share:.0f}% | {100 * r.theirs.decode_share:.0f}% | "
                  f"{bound:.2f}x")
        spread = (f" ({r.ratios[0]:.2f}–{r.ratios[-1]:.2f}x, median of {len(r.ratios)})"
                  if r.ratios else "")
        lines.append(
            f"| {r.ours.regime} | {r.ours.items} | {r.ours.items_per_s:.3f} | "
            f"{r.theirs.items_per_s:.3f} | {r.ratio:.2f}x{verdict}{spread} | "
            f"{'–' if target is None else f'≥{target}x'} | {delta} | {same} | "
            f"{r.ceiling.tokens_per_s:.0f} | {r.ceiling.ceiling_tokens_per_s:.0f} | "
            f"{100 * r.ceiling_fraction:.0f}%{fits} | {100 * r.last_ceiling_fraction:.0f}% | "
            f"{r.ours.peak_rss_bytes / weights:.2f}x | {r.theirs.peak_rss_bytes / weights:.2f}x | "
            f"{r.work_ratio:.2f}x | {decode} |")
    for name, gpu in (("ours", [r.ours.peak_gpu_bytes for r in results]),
                      ("lm-eval", [r.theirs.peak_gpu_bytes for r in results])):
        if any(gpu):
            lines.append(f"\npeak GPU memory ({name}): {max(gpu) / 2**30:.2f} GiB; weights "
                         f"{weights / 2**30:.2f} GiB")
    pairs = int(meta.get("pairs", 1))
    lines.append("\nratio = ours items/s ÷ lm-eval items/s on the same items, model, dtype and "
                 "batch size, measured in this run"
                 + (f" ({pairs} pairs per regime, lm-eval then ours, alternating; the row is "
                    "the pair of the median ratio, the range in brackets)" if pairs > 1 else "")
                 + ". 'of ceiling': tokens our engine computed per "
                 "second ÷ those of a plain batched model(input_ids) on the median context "
                 "length (one row per batch slot) that computes logits at the same share of "
                 "positions as our engine did (scored positions, next tokens; target "
                 f"≥{CEILING_TARGET:.0%} on the prefill-bound regimes: "
                 f"{', '.join(PREFILL_BOUND)}), timed right after a run of ours (on the "
                 f"prefill-bound regimes the median of {CEILING_PAIRS} such pairs; ours tok/s "
                 "is that pair's); 'of last-logits ceiling': the same, over a "
                 "forward keeping the last position's logits only. Each engine ran in a "
                 "process of its own; peak RSS is that process's high-water mark during the "
                 "timed run (Python, torch and transformers included; lm-eval's also holds "
                 "lm-eval), over the bytes of the model's weights. 'positions run': the "
                 "rows × tokens of every forward call each engine made (padding included), "
                 "lm-eval's over ours: where the ratio comes from less work and where from "
                 "faster work. 'in decode steps': the share of each engine's time spent in "
                 "forward calls of one position per row (generation steps, timed by forward "
                 "hooks); 'ratio if prompts were free': lm-eval's time ÷ its time in decode "
                 "steps, the ratio an engine would reach whose prompt passes cost nothing and "
                 "whose decode steps cost what lm-eval's did (the same steps: same batch size, "
                 "and a randomly initialised model never stops early)."
                 + (" A trained model's rows stop at different steps (a stop string, EOS) and "
                    "ours lets waiting rows take their places, so there the two engines' decode "
                    "steps differ and that column is no bound." if meta.get("model") else ""))
    lines += _reference_table(results)
    expected = int(meta.get("regimes", len(results)))
    if len(results) < expected:
        lines.append(f"\nPartial: {len(results)} of {expected} regimes measured so far.")
    return "\n".join(lines)


def _model_line(meta: dict[str, Any]) -> str:
    if meta.get("model"):
        return f"model {meta['model']} at revision {meta.get('revision')}"
    return f"shape {meta['shape']}"


def _delta_cell(delta: float | None) -> str:
    return "–" if delta is None else f"{delta:.2e}"


def _share_cell(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _reference_table(results: list[RegimeResult]) -> list[str]:
    """Each engine's distance from every request run alone, where it was measured."""
    rows = [(r.ours.regime, r.reference) for r in results if r.reference is not None]
    if not rows:
        return []
    lines = ["", "Distance from every request run alone (batch 1, no padding; log-likelihoods "
             "with a float32 log-softmax, texts from lm-eval's HFLM at batch size 1):", "",
             "| regime | max abs Δ loglik: ours | lm-eval | same text: ours | lm-eval |",
             "|---|---|---|---|---|"]
    for regime, alone in rows:
        delta, same = alone.max_delta or (None, None), alone.same_texts or (None, None)
        lines.append(f"| {regime} | {_delta_cell(delta[0])} | {_delta_cell(delta[1])} | "
                     f"{_share_cell(same[0])} | {_share_cell(same[1])} |")
    lines.append("\nIn bfloat16 or float16 a request's numbers depend on its batch (padding and "
                 "row counts change the kernels' rounding) and lm-eval rounds its "
                 "log-softmax and sums to the model's dtype, so the engines' Δ above mixes "
                 "both engines' rounding; here each is measured against the same unbatched "
                 "run.")
    return lines
