"""What a run checks before its model loads: the options, the suite, the tasks asked for,
room for the few-shot examples, and options that none of those tasks would use."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.errors import HarnessError
from harness.prompts.fewshot import examples_room
from harness.results.store import check_writable
from harness.runs.backends import check_backend
from harness.runs.options import RunOptions
from harness.suite.items import build_items
from harness.suite.loader import Suite, load_suite
from harness.suite.schema import TaskDef


@dataclass(frozen=True)
class Plan:
    """A run that passed its checks: options with the preset applied, the suite, its tasks."""

    options: RunOptions
    suite: Suite
    tasks: list[TaskDef]


def select_tasks(suite: Suite, names: tuple[str, ...]) -> list[TaskDef]:
    return [suite.task(name) for name in names] if names else list(suite.tasks)


def check_fewshot(suite: Suite, tasks: list[TaskDef], num_fewshot: int | None) -> None:
    """Refuse more few-shot examples than a task's items can each be given (never their own
    fact; for closed-book tasks never their own document), rather than silently fewer."""
    for task in tasks:
        shots = task.num_fewshot if num_fewshot is None else num_fewshot
        room = examples_room(task, build_items(suite, task)) if shots > 0 else 0
        if shots > room:
            where = (f"--num-fewshot {shots}" if num_fewshot is not None
                     else f"{suite.task_location(task.name)}: num_fewshot {shots}")
            raise HarnessError(f"{where}: task {task.name} can show at most {room} examples "
                               "to every item (other facts" + ("" if task.with_document else
                                                                " of other documents") + ")")


def generation_options(options: RunOptions) -> list[str]:
    """The options given (as typed, before a preset applies) that only generation uses."""
    given = [
        (options.preset is not None, f"--preset {options.preset}"),
        (options.thinking, "--thinking"),
        (options.temperature != 0.0, "--temperature"),
        (options.top_p != 1.0, "--top-p"),
        (options.top_k != 0, "--top-k"),
        (options.repeats != 1, "--repeats"),
        (options.max_new_tokens is not None, "--max-new-tokens"),
        (options.max_thinking_tokens is not None, "--max-thinking-tokens"),
        (options.max_answer_tokens is not None, "--max-answer-tokens"),
    ]
    return [name for on, name in given if on]


def check_generation_options(options: RunOptions, tasks: list[TaskDef]) -> None:
    """Refuse decoding options when no task of the run generates text: they would change
    nothing but the run's recorded settings (and so its leaderboard row)."""
    given = generation_options(options)
    if not given or any(task.regime == "qa" for task in tasks):
        return
    them = "it" if len(given) == 1 else "them"
    names = ", ".join(task.name for task in tasks)
    raise HarnessError(f"{', '.join(given)}: no task of this run generates text ({names}: "
                       f"choices scored by log-likelihood); drop {them} or add a qa task")


def draft_facts(suite: Suite) -> int:
    """Facts still `status: draft` (written by `harness build`, not yet reviewed)."""
    return sum(1 for fact in suite.facts if fact.status == "draft")


def warn_drafts(suite: Suite) -> None:
    """One line on stderr when the suite still holds unreviewed draft facts."""
    count = draft_facts(suite)
    if count:
        print(f"warning: suite {suite.name} has {count} draft facts not yet reviewed "
              f"(harness tasks review {suite.root})", file=sys.stderr)


def refuse_choice_tasks(tasks: list[TaskDef], refusal: str | None,
                        notice: Callable[[str], None]) -> tuple[list[TaskDef], list[str]]:
    """Before the run starts, drop the choice tasks (mc, tf) of a backend that cannot score
    log-likelihoods (`refusal` says why; None: it can), naming them in one `notice` line.
    The generation tasks still run; a run of choice tasks only is refused (HarnessError)."""
    refused = [task.name for task in tasks if task.regime != "qa"]
    if refusal is None or not refused:
        return tasks, []
    line = f"{', '.join(refused)} refused ({refusal})"
    kept = [task for task in tasks if task.regime == "qa"]
    if not kept:
        raise HarnessError(line)
    notice(f"{line}; running {', '.join(task.name for task in kept)}")
    return kept, refused


def preflight(options: RunOptions) -> Plan:
    """Check `options` against the suite before anything loads; HarnessError on the first
    problem."""
    resolved = options.with_preset()
    resolved.check()
    check_backend(resolved.engine)
    resolved = replace(resolved, tasks=tuple(dict.fromkeys(resolved.tasks)))  # once each
    suite = load_suite(resolved.suite)
    tasks = select_tasks(suite, resolved.tasks)
    check_generation_options(options, tasks)
    check_fewshot(suite, tasks, resolved.num_fewshot)
    warn_drafts(suite)
    check_writable(resolved.results_dir, create=False)  # before the model loads
    return Plan(resolved, suite, tasks)
