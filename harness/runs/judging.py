"""Engine outputs to per-item samples and per-task metrics, through the scorer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from harness.engine.types import GenResult, LoglikResult
from harness.results.records import Metric, Sample
from harness.scoring import Judgement, Verdict, judge, normalize_text
from harness.scoring.context import GoldContext
from harness.scoring.metrics import choice_metrics, generation_summary
from harness.suite.items import Item
from harness.suite.schema import TaskDef


def _base(item: Item, prompt: str) -> dict[str, object]:
    return {
        "item_id": item.item_id, "task": item.task, "regime": item.regime,
        "fact_id": item.fact_id, "document": item.document, "as_of": item.as_of,
        "question": item.question, "answer": item.answer, "aliases": list(item.aliases),
        "answer_type": item.answer_type.value, "evidence": item.evidence, "prompt": prompt,
    }


def gold_context(item: Item) -> GoldContext:
    """What the scorer's relaxations read beyond the gold: the question (a year it fixes),
    the Hangul answer (romanizations), the date the answer holds on, and the answers never
    to accept as a short form."""
    return GoldContext(question=item.question, answer_ko=item.answer_ko, as_of=item.as_of,
                       excluded=item.excluded)


def judge_generations(task: TaskDef, items: Sequence[Item], prompts: Sequence[str],
                      outputs: Sequence[Sequence[GenResult]]) -> tuple[list[Sample], Metric,
                                                                       dict[str, float]]:
    """Judge every sample (outputs[i] holds item i's repeats)."""
    samples, judgements, clusters = [], [], []
    majority_correct, consistency = [], []
    for item, prompt, repeats in zip(items, prompts, outputs, strict=True):
        verdicts = []
        for index, out in enumerate(repeats):
            verdict = judge(out.text, item.answer, item.aliases, item.answer_type,
                            first_line=task.first_line, context=gold_context(item))
            verdicts.append(verdict)
            samples.append(Sample.model_validate({
                **_base(item, prompt), "verdict": verdict.verdict.value,
                "raw_output": out.text, "extracted": verdict.extracted, "rule": verdict.rule,
                "f1": verdict.f1, "strict_em": verdict.strict_em,
                "prompt_tokens": out.prompt_tokens, "generated_tokens": out.generated_tokens,
                "finish": out.finish, "repeat": index if len(repeats) > 1 else None,
                "thinking_tokens": out.thinking_tokens if out.thinking_tokens else None,
                "answer_tokens": out.answer_tokens,
            }))
        judgements.extend(verdicts)
        clusters.extend([item.fact_id] * len(verdicts))
        winner, share = _majority(verdicts)
        majority_correct.append(float(winner.verdict is Verdict.CORRECT))
        consistency.append(share)
    metrics = generation_summary(judgements, clusters)
    if any(len(r) > 1 for r in outputs):
        metrics["majority_accuracy"] = sum(majority_correct) / max(1, len(majority_correct))
        metrics["consistency"] = sum(consistency) / max(1, len(consistency))
        metrics["repeats"] = float(max(len(r) for r in outputs))
    primary = Metric(name="accuracy", value=metrics["accuracy"],
                     ci_low=metrics.get("accuracy_ci_low"), ci_high=metrics.get("accuracy_ci_high"))
    return samples, primary, metrics


def _majority(verdicts: Sequence[Judgement]) -> tuple[Judgement, float]:
    """The most common extracted answer (first seen on ties) and its share of the samples."""
    counts = Counter(normalize_text(v.extracted) for v in verdicts)
    top, count = counts.most_common(1)[0]
    winner = next(v for v in verdicts if normalize_text(v.extracted) == top)
    return winner, count / len(verdicts)


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=lambda i: values[i])


def judge_choices(items: Sequence[Item], contexts: Sequence[str],
                  results: Sequence[LoglikResult]) -> tuple[list[Sample], Metric,
                                                            dict[str, float]]:
    samples, all_ll, lengths, golds = [], [], [], []
    cursor = 0
    for item, context in zip(items, contexts, strict=True):
        logliks = [r.logprob for r in results[cursor : cursor + len(item.choices)]]
        cursor += len(item.choices)
        chars = [len(choice) for choice in item.choices]
        pred = _argmax(logliks)
        pred_norm = _argmax([ll / max(1, n) for ll, n in zip(logliks, chars, strict=True)])
        assert item.label is not None
        all_ll.append(logliks)
        lengths.append(chars)
        golds.append(item.label)
        samples.append(Sample.model_validate({
            **_base(item, context), "verdict": "correct" if pred == item.label else "incorrect",
            "choices": list(item.choices), "label": item.label, "logliks": logliks,
            "pred": pred, "pred_norm": pred_norm, "proposed": item.proposed,
        }))
    metrics = choice_metrics(all_ll, lengths, golds, [item.fact_id for item in items])
    primary = Metric(name="acc", value=metrics["acc"], ci_low=metrics.get("acc_ci_low"),
                     ci_high=metrics.get("acc_ci_high"))
    return samples, primary, metrics
