"""A comparison as markdown or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from harness.compare.comparison import Comparison
from harness.compare.flips import Flip
from harness.compare.stats import ALPHA, TaskComparison
from harness.results.records import RunRecord

HEADER = ["task", "n", "A %", "B %", "A − B (95% CI)", "only A right", "only B right",
          "McNemar p", "verdict"]


def run_label(run: RunRecord) -> str:
    thinking = ", thinking" if run.settings.thinking else ""
    return f"{run.model.model_id} ({run.model.dtype}{thinking}, {run.settings.engine}) " \
           f"[{run.run_id}]"


def p_text(p: float) -> str:
    return f"{p:.3g}" if p >= 0.001 else f"{p:.1e}"


def row_cells(t: TaskComparison) -> list[str]:
    return [t.task, str(t.n), f"{100 * t.a:.1f}", f"{100 * t.b:.1f}",
            f"{100 * t.diff:+.1f} [{100 * t.ci_low:+.1f}, {100 * t.ci_high:+.1f}]",
            str(t.a_only), str(t.b_only), p_text(t.p_value), t.verdict]


def _md(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _md_flips(flips: list[Flip]) -> list[str]:
    lines = ["", "### Flips (one run right, the other wrong)", "",
             _md(["task", "item", "right", "question", "gold", "A answered", "B answered"]),
             "|---|---|---|---|---|---|---|"]
    lines += [_md([f.task, f.item_id, f.right, f.question, f.gold, f.a_answer, f.b_answer])
              for f in flips]
    return lines if flips else ["", "No flips: both runs agree on every shared item."]


def to_markdown(c: Comparison, flips: bool = False) -> str:
    lines = [f"A: {run_label(c.a)}", f"B: {run_label(c.b)}",
             f"suite: {c.a.suite.name} v{c.a.suite.version} ({c.a.suite.content_hash})", ""]
    if not c.tasks:
        lines.append("No shared items: the runs have no task in common.")
    else:
        lines += [_md(HEADER), "|" + "---|" * len(HEADER), *(_md(row_cells(t)) for t in c.tasks)]
        lines += ["", f"% correct on the items both runs answered; CI: paired bootstrap "
                      f"clustered by fact; verdict: exact McNemar test at α={ALPHA}."]
    if flips:
        lines += _md_flips(c.flips)
    return "\n".join(lines)


def _task_json(t: TaskComparison) -> dict[str, Any]:
    return {**asdict(t), "verdict": t.verdict}


def to_json(c: Comparison, flips: bool = False) -> str:
    data: dict[str, Any] = {
        "a": {"run_id": c.a.run_id, "model": c.a.model.model_id, "label": run_label(c.a)},
        "b": {"run_id": c.b.run_id, "model": c.b.model.model_id, "label": run_label(c.b)},
        "suite": {"name": c.a.suite.name, "version": c.a.suite.version,
                  "content_hash": c.a.suite.content_hash},
        "alpha": ALPHA,
        "tasks": [_task_json(t) for t in c.tasks],
    }
    if flips:
        data["flips"] = [asdict(f) for f in c.flips]
    return json.dumps(data, ensure_ascii=False, indent=2)
