"""Agreement with the hand-labelled verdicts in tests/scoring/cases.jsonl: our scorer vs
lm-eval's `exact_match` metric, overall and per answer type.

- ours: `harness.scoring.judge` verdict equals the expected verdict (three-way); the
  "ours (binary)" column counts only correct-vs-not, the same question lm-eval answers.
- lm-eval: `lm_eval.api.metrics.exact_match_hf_evaluate(ignore_case=True,
  ignore_punctuation=True)` against the gold and every alias (any match counts, as lm-eval does for
  multiple targets), on the prediction cut at its first newline (short-answer tasks generate
  `until: ["\\n"]`) and stripped of surrounding whitespace. An expected not_attempted counts as
  "not correct" for lm-eval.
- lm-eval on extracted: the same metric on our extracted answer, to separate what extraction
  and what normalization contribute.

Exits 1 if our three-way agreement is below 0.97.

Usage: python scripts/scorer_agreement.py [--cases PATH] [--threshold 0.97]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lm_eval.api.metrics import exact_match_hf_evaluate  # noqa: E402

from harness.scoring import Verdict, judge  # noqa: E402

COLUMNS = ("ours", "ours (binary)", "lm-eval EM", "lm-eval EM on extracted")


def lm_eval_exact_match(prediction: str, golds: Sequence[str]) -> bool:
    """lm-eval's exact_match with ignore_case and ignore_punctuation, any gold counts."""
    generation = prediction.split("\n", 1)[0].strip()
    score = exact_match_hf_evaluate(
        predictions=[generation] * len(golds),
        references=list(golds),
        ignore_case=True,
        ignore_punctuation=True,
    )["exact_match"]
    return float(score) > 0.0


def agreement_rows(cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        golds = [case["gold"], *case["aliases"]]
        result = judge(case["prediction"], case["gold"], case["aliases"], case["answer_type"])
        expected_correct = case["expected"] == Verdict.CORRECT.value
        ours_correct = result.verdict is Verdict.CORRECT
        rows.append({
            "answer_type": case["answer_type"],
            "ours": result.verdict.value == case["expected"],
            "ours (binary)": ours_correct == expected_correct,
            "lm-eval EM": lm_eval_exact_match(case["prediction"], golds) == expected_correct,
            "lm-eval EM on extracted": (
                result.verdict is not Verdict.NOT_ATTEMPTED
                and lm_eval_exact_match(result.extracted, golds)
            ) == expected_correct,
        })
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["answer_type"]].append(row)
    table = {"overall": _rates(rows)}
    for kind in sorted(groups):
        table[kind] = _rates(groups[kind])
    return table


def _rates(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    n = len(rows)
    return {"n": float(n), **{c: sum(bool(r[c]) for r in rows) / n for c in COLUMNS}}


def render(table: dict[str, dict[str, float]]) -> str:
    header = f"{'answer type':<14}{'n':>5}" + "".join(f"{c:>26}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for kind, rates in table.items():
        lines.append(f"{kind:<14}{int(rates['n']):>5}"
                     + "".join(f"{rates[c]:>26.3f}" for c in COLUMNS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "scoring" / "cases.jsonl")
    parser.add_argument("--threshold", type=float, default=0.97)
    args = parser.parse_args(argv)
    cases = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    table = summarize(agreement_rows(cases))
    print(f"Agreement with the expected verdicts of {len(cases)} cases in {args.cases}")
    print(render(table))
    ours = table["overall"]["ours"]
    if ours < args.threshold:
        print(f"FAIL: our agreement {ours:.3f} is below {args.threshold}", file=sys.stderr)
        return 1
    print(f"ok: our agreement {ours:.3f} >= {args.threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
