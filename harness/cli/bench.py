"""`harness bench`: speed of this harness against lm-eval on the same model and items."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from harness.cli.common import DEFAULT_SUITE, fail, say
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.bench.run import RegimeResult


def bench_command(
    shape: Annotated[str | None, typer.Option(
        help="tiny | thin (the 1.2B's 30 layers at width 128: per-call overhead dominates, "
             "as in a GPU's decode steps) | small (~150M) | exaone-1.2b (the real 1.2B "
             "shape), randomly initialised (default: small).", show_default=False)] = None,
    model: Annotated[str | None, typer.Option(
        help="Time a trained model instead of a random shape: a local folder or a hub id, "
             "loaded as `harness run --model` loads it, with its own tokenizer. Its rows stop "
             "at stop strings and EOS, which random models never do.")] = None,
    chat_template: Annotated[bool | None, typer.Option(
        "--chat-template/--no-chat-template",
        help="Prompts through the model's chat template. Default: with --model when its "
             "tokenizer has one; plain prompts for random shapes.", show_default=False)] = None,
    regime: Annotated[list[str] | None, typer.Option(
        help="Regime(s) to time (default: mc, mc_open, open_qa, closed_qa).")] = None,
    limit: Annotated[int, typer.Option(help="Items per regime (spread over the "
                                            "documents).")] = 8,
    dtype: Annotated[str, typer.Option(help="auto | float32 | bfloat16 | float16.")] = "auto",
    device: Annotated[str, typer.Option(help="auto | cpu | cuda.")] = "auto",
    batch_size: Annotated[int, typer.Option(help="Same batch size for both engines.")] = 8,
    max_new_tokens: Annotated[int, typer.Option(help="Most new tokens per answer (random "
                                                     "models never stop before it).")] = 16,
    suite: Annotated[Path, typer.Option(help="Suite whose items are timed.")] = DEFAULT_SUITE,
    out: Annotated[Path | None, typer.Option(help="Also write the printout here (after each "
                                                  "regime: a run cut short keeps what it "
                                                  "measured).")] = None,
    reference: Annotated[bool | None, typer.Option(
        "--reference/--no-reference",
        help="Also run every request alone (batch 1, no padding, float32 log-softmax) and "
             "print each engine's distance from it. Default: in bfloat16/float16 only, where "
             "batching changes results and the engines' Δ alone cannot tell.")] = None,
    busy_cores: Annotated[int, typer.Option(
        min=0, help="Keep this many cores busy with a spinning process each while measuring "
                    "(a bounded load the bench starts and stops itself): speed on a machine "
                    "that is doing something else.")] = 0,
    pairs: Annotated[int, typer.Option(
        min=1, help="Measure each regime this many times, lm-eval then ours, alternating, "
                    "and report the pair of the median ratio with the range: a machine whose "
                    "speed drifts between runs moves single ratios by tens of percent.")] = 1,
) -> None:
    """Time the same items through this engine and lm-eval's HFLM (each in a process of its
    own, on the same seeded random model, or on --model); print items/s, the ratio, max |Δ
    loglik| (so speed never comes from computing something else), the bare-forward ceiling,
    peak RSS, the positions each engine ran, and the share of each one's time in decode
    steps; in half precision also each engine's distance from every request run alone."""
    if out is not None and out.is_dir():
        fail(f"--out {out}: a folder, not a file")
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        raise HarnessError("harness bench needs lm-eval: pip install -e '.[dev]'") from None
    if shape and model:
        raise HarnessError(f"--shape {shape} and --model {model}: give one (a random shape or a "
                           "trained model)")
    from harness.bench.printout import report  # torch: only here
    from harness.bench.run import BenchConfig, bench
    from harness.refmodels.configs import SHAPES

    if shape is not None and shape not in SHAPES:
        raise HarnessError(f"--shape {shape}: expected one of {', '.join(SHAPES)}")
    config = BenchConfig(shape=shape or "small", model=model, chat=chat_template,
                         regimes=tuple(regime or BenchConfig.regimes), limit=limit,
                         dtype=dtype, device=device, batch_size=batch_size,
                         max_new_tokens=max_new_tokens, suite=suite, reference=reference,
                         busy_cores=busy_cores, pairs=pairs)

    def save(results: list[RegimeResult], meta: dict[str, Any]) -> None:
        if out:  # after each regime, so a run cut short keeps what it measured
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(report(results, meta) + "\n", encoding="utf-8")

    results, meta = bench(config, log=lambda msg: say(msg, err=True), measured=save)
    say(report(results, meta))
