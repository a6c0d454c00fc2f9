"""Answer scoring: extraction, type-aware normalization and judging, metrics and statistics."""

from harness.scoring.context import GoldContext
from harness.scoring.extract import Extraction, extract_answer
from harness.scoring.infer import infer_answer_type
from harness.scoring.judge import Judgement, Verdict, judge, resolve_answer_type
from harness.scoring.metrics import bootstrap_ci, choice_metrics, generation_summary
from harness.scoring.normalize import normalize_text, strict_exact_match, token_f1
from harness.scoring.score_file import ScoredFile, score_predictions_file
from harness.scoring.stats import mcnemar_exact, paired_bootstrap_diff

__all__ = [
    "Extraction",
    "GoldContext",
    "Judgement",
    "ScoredFile",
    "Verdict",
    "bootstrap_ci",
    "choice_metrics",
    "extract_answer",
    "generation_summary",
    "infer_answer_type",
    "judge",
    "mcnemar_exact",
    "normalize_text",
    "paired_bootstrap_diff",
    "resolve_answer_type",
    "score_predictions_file",
    "strict_exact_match",
    "token_f1",
]
