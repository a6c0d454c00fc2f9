"""`harness run`: evaluate one model on a suite, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from harness.board.table import Row, markdown_table
from harness.cache.store import default_cache_dir
from harness.cli.common import DEFAULT_SUITE, err_console, require_folder, say
from harness.errors import HarnessError
from harness.results.store import read_run
from harness.runs.options import PRESETS, RunOptions
from harness.tracking.log import check_trackers, log_run


class Interrupted(HarnessError):
    """Ctrl-C: exit status 130, as a shell reports a process killed by SIGINT."""

    exit_code = 130


class RichProgress:
    """Adapts rich's progress bar to the runner's Progress protocol. The bar starts with the
    first task: an error before it (a bad option, a missing model) is the only line shown,
    without the blank line a stopped empty bar prints."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description:>14}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=err_console)
        self.current: TaskID | None = None

    def start(self, description: str, total: int) -> None:
        if self.current is None:
            self.progress.start()
        self.current = self.progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self.current is not None:
            self.progress.advance(self.current, amount)

    def stop(self) -> None:
        if self.current is not None:
            self.progress.stop()


def _text_or_file(value: str | None) -> str | None:
    if value and value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise HarnessError(f"--system-prompt {value}: cannot read {path} ({err})") from None
    return value


def _batch_size(text: str) -> int | None:
    if text == "auto":
        return None
    if not text.isdigit() or int(text) < 1:
        raise HarnessError(f"--batch-size {text}: expected a positive integer or 'auto'")
    return int(text)


Opt = typer.Option


def run_command(
    model: Annotated[str, Opt(help="Hub id (e.g. LGAI-EXAONE/EXAONE-4.0-1.2B) or a local model "
                                   "folder.", rich_help_panel="Model")],
    suite: Annotated[Path, Opt(help="Suite folder.")] = DEFAULT_SUITE,
    task: Annotated[list[str] | None, Opt(help="Task to run (repeat for several); default: all "
                                               "tasks of the suite.")] = None,
    limit: Annotated[int | None, Opt(help="Only the first N facts.")] = None,
    results: Annotated[Path, Opt(help="Folder for run results.")] = Path("results"),
    engine: Annotated[str, Opt(help="Backend: hf (this harness's engine), lm-eval (lm-eval's "
                                    "HFLM computes the same requests; needs the lm-eval "
                                    "extra), llamacpp (--model FILE.gguf; needs the gguf extra) "
                                    "or openai (a served model: --base-url; --model is the "
                                    "served name; needs the serve extra).",
                               rich_help_panel="Model")] = "hf",
    device: Annotated[str, Opt(help="auto | cpu | cuda | cuda:N (auto: cuda if available).",
                               rich_help_panel="Model")] = "auto",
    dtype: Annotated[str, Opt(help="auto | float32 | bfloat16 | float16 (auto: float32 on CPU, "
                                   "bfloat16 on GPU). On a CPU with AMX, bfloat16 runs several "
                                   "times faster; float32 is what matches lm-eval to 1e-5.",
                              rich_help_panel="Model")] = "auto",
    revision: Annotated[str | None, Opt(help="Hub revision (branch, tag or commit).",
                                        rich_help_panel="Model")] = None,
    trust_remote_code: Annotated[bool, Opt(help="Allow model code from the model folder (off by "
                                                "default; recorded in run.json).",
                                           rich_help_panel="Model")] = False,
    preset: Annotated[str | None, Opt(help=f"Decoding preset: {', '.join(PRESETS)} "
                                           "(exaone-reasoning: thinking, temperature 0.6, "
                                           "top_p 0.95; exaone-chat: greedy).",
                                      rich_help_panel="Prompting")] = None,
    thinking: Annotated[bool, Opt(help="Thinking mode (EXAONE enable_thinking) for generation "
                                       "tasks.", rich_help_panel="Prompting")] = False,
    chat_template: Annotated[bool | None, Opt(
        "--chat-template/--no-chat-template",
        help="Format prompts with the tokenizer's chat template (default: when it has one).",
        rich_help_panel="Prompting")] = None,
    system_prompt: Annotated[str | None, Opt(help="System prompt text, or @FILE (default: the "
                                                  "suite's).", rich_help_panel="Prompting")
                             ] = None,
    num_fewshot: Annotated[int | None, Opt(help="Few-shot examples per item (default: each "
                                                "task's).", rich_help_panel="Prompting")] = None,
    fewshot_as_multiturn: Annotated[bool, Opt(
        help="Few-shot examples as user/assistant turns for chat models.",
        rich_help_panel="Prompting")] = True,
    temperature: Annotated[float, Opt(help="0 = greedy.", rich_help_panel="Decoding")] = 0.0,
    top_p: Annotated[float, Opt(rich_help_panel="Decoding")] = 1.0,
    top_k: Annotated[int, Opt(help="0 = off.", rich_help_panel="Decoding")] = 0,
    seed: Annotated[int, Opt(help="Sampling and few-shot seed.", rich_help_panel="Decoding")] = 0,
    repeats: Annotated[int, Opt(help="Samples per item (needs --temperature > 0).",
                                rich_help_panel="Decoding")] = 1,
    max_new_tokens: Annotated[int | None, Opt(help="Override the tasks' generation budget.",
                                              min=1, rich_help_panel="Decoding")] = None,
    max_thinking_tokens: Annotated[int | None, Opt(
        help="Thinking budget: then </think> is forced and the model answers.",
        rich_help_panel="Decoding")] = None,
    max_answer_tokens: Annotated[int | None, Opt(help="Answer budget after thinking.",
                                                 rich_help_panel="Decoding")] = None,
    batch_size: Annotated[str, Opt(help="Rows per forward pass, or 'auto' (largest that fits a "
                                        "memory budget).", rich_help_panel="Speed")] = "auto",
    prefix_reuse: Annotated[bool, Opt(help="Compute shared prompt prefixes (document, question, "
                                           "a choice's shared first tokens) once; off: one row "
                                           "per request.", rich_help_panel="Speed")] = True,
    truncate: Annotated[str | None, Opt(
        help="Over-long prompts (a document longer than the model's context): refused by "
             "default; left: drop the prompt's first tokens; middle: keep its first and last "
             "halves. Recorded per sample (truncated_tokens).", rich_help_panel="Model")] = None,
    base_url: Annotated[str | None, Opt(help="--engine openai: the server's OpenAI-compatible "
                                            "address, e.g. http://127.0.0.1:8000/v1.",
                                       rich_help_panel="Server")] = None,
    api_key_env: Annotated[str | None, Opt(help="Environment variable holding the server's API "
                                               "key (never recorded).",
                                          rich_help_panel="Server")] = None,
    max_concurrency: Annotated[int, Opt(help="Requests in flight at once.",
                                        rich_help_panel="Server")] = 4,
    request_timeout: Annotated[float, Opt(help="Seconds one request may take before it is "
                                               "retried.", rich_help_panel="Server")] = 120.0,
    tokenizer: Annotated[str | None, Opt(help="A Hugging Face tokenizer folder. --engine openai: "
                                             "the served model's; prompts are then rendered "
                                             "here (chat template included), which choice "
                                             "tasks need. --engine llamacpp: instead of the "
                                             "GGUF file's own.", rich_help_panel="Model")] = None,
    cache_dir: Annotated[Path | None, Opt(help="Request cache folder (default: "
                                               "~/.cache/fact-harness).",
                                          rich_help_panel="Speed")] = None,
    no_cache: Annotated[bool, Opt("--no-cache", help="Compute every request; store nothing.",
                                  rich_help_panel="Speed")] = False,
    device_map: Annotated[str | None, Opt(
        help="Split the model across devices (auto | balanced | sequential; accelerate's "
             "device_map): for a model larger than one GPU. One process only.",
        rich_help_panel="Model")] = None,
    max_memory: Annotated[str | None, Opt(
        help="With --device-map: memory per device, e.g. 0=20GiB,1=20GiB,cpu=60GiB (what "
             "does not fit is offloaded to disk).", rich_help_panel="Model")] = None,
    log_to: Annotated[list[str] | None, Opt(
        "--log-to", help="Log the finished run to a tracker: mlflow, wandb, tensorboard or "
                         "trackio (repeatable; pip install 'fact-harness[mlflow]' etc.).")] = None,
) -> None:
    """Evaluate a causal LM on a suite; writes results/<run-id>/run.json and samples.jsonl.

    Interrupted runs (crash, kill, Ctrl-C) resume when the same command is run again:
    requests already computed come from the request cache.
    """
    require_folder(results, "--results")  # before the model loads
    check_trackers(log_to or [])
    require_folder(None if no_cache else cache_dir, "--cache-dir")
    options = RunOptions(
        model=model, suite=suite, tasks=tuple(task or ()), results_dir=results, engine=engine,
        device=device, dtype=dtype, batch_size=_batch_size(batch_size), limit=limit,
        preset=preset, thinking=thinking, chat=chat_template,
        system_prompt=_text_or_file(system_prompt), num_fewshot=num_fewshot,
        fewshot_as_multiturn=fewshot_as_multiturn, temperature=temperature, top_p=top_p,
        top_k=top_k, seed=seed, repeats=repeats, max_new_tokens=max_new_tokens,
        max_thinking_tokens=max_thinking_tokens, max_answer_tokens=max_answer_tokens,
        prefix_reuse=prefix_reuse, truncate=truncate,
        trust_remote_code=trust_remote_code, revision=revision,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        device_map=device_map, max_memory=max_memory,
        base_url=base_url, api_key_env=api_key_env, max_concurrency=max_concurrency,
        request_timeout=request_timeout, tokenizer=tokenizer,
    )
    from harness.runs.distributed import is_main  # torch: only when a run starts
    from harness.runs.runner import run

    progress = RichProgress()
    try:
        run_dir = run(options, progress, notice=lambda line: err_console.print(
            f"note: {line}", markup=False, highlight=False, soft_wrap=True))
    except KeyboardInterrupt:
        raise Interrupted("interrupted: results computed so far are in the request cache; run "
                          "the same command again to resume") from None
    finally:
        progress.stop()
    if not is_main():  # a data-parallel rank other than 0: rank 0 reports the run
        return
    record = read_run(run_dir)
    say(markdown_table([Row(record, run_dir)]))
    say(f"results: {run_dir} (requests computed {record.cache.computed}, from cache "
        f"{record.cache.hits})")
    for backend in log_to or []:
        say(f"logged: {log_run(run_dir, backend)}")
