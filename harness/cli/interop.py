"""`harness export lm-eval SUITE --out DIR`: a suite as lm-eval 0.4 tasks (YAML + JSONL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import load_suite_or_exit, require_folder, say
from harness.errors import HarnessError
from harness.interop.lmeval_export import export_lm_eval, group_name


def export_lm_eval_command(
    suite_dir: Annotated[Path, typer.Argument(help="Suite folder (holding suite.yaml).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the task YAMLs and data.")],
    task: Annotated[list[str] | None, typer.Option(
        help="Only this task (repeat for several); default: all tasks of the suite.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N facts.")] = None,
) -> None:
    """Write one lm-eval task YAML and JSONL data file per task, and a group YAML.

    The prompts are rendered here (plain text, no chat template), so the YAMLs are data only.
    The data files are referenced by absolute path: move the folder, export again.
    """
    require_folder(out, "--out")
    suite = load_suite_or_exit(suite_dir)
    tasks = [suite.task(name) for name in task] if task else None
    if limit is not None and limit < 1:
        raise HarnessError(f"--limit {limit}: must be at least 1")
    paths = export_lm_eval(suite, out, tasks=tasks, limit=limit)
    for path in paths:
        say(str(path))
    say(f"exported {(len(paths) - 1) // 2} tasks of {suite.name} as lm-eval group "
        f"{group_name(suite)}; run: lm_eval --model hf --model_args pretrained=MODEL "
        f"--include_path {out.resolve()} --tasks {group_name(suite)}")


def register(app: typer.Typer) -> None:
    """Add the `export` command group (with `lm-eval`) to `app`."""
    export = typer.Typer(help="Export suites to other evaluation harnesses.",
                         no_args_is_help=True)
    export.command("lm-eval")(export_lm_eval_command)
    app.add_typer(export, name="export")
