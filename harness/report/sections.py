"""One section of the index per suite version: table, charts, breakdowns, pair links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from harness.board.board import SuiteBoard
from harness.board.sample_ci import SampleCache
from harness.report.breakdown import Breakdown, breakdown
from harness.report.charts import breakdown_chart, gap_chart, task_chart
from harness.report.names import page_name, row_labels
from harness.report.pairs import Pair, board_pairs
from harness.report.table_view import TableView, table_view
from harness.results.records import Sample


@dataclass(frozen=True)
class Section:
    anchor: str
    table: TableView
    labels: list[str]
    task_chart: Markup | None
    gap_chart: Markup | None
    gap_labels: list[str]
    breakdowns: list[tuple[Breakdown, Markup | None]]
    pairs: list[Pair]


def _samples(board: SuiteBoard, cache: SampleCache) -> list[list[Sample]]:
    return [[s for t in board.tasks for s in cache.task_samples(r.row.run_dir, t)]
            for r in board.rows]


def build_section(board: SuiteBoard, cache: SampleCache,
                  links: Mapping[str, str]) -> Section:
    labels = row_labels([r.row.run for r in board.rows])
    samples = _samples(board, cache)
    parts = [breakdown("answer type", labels, samples, lambda s: s.answer_type),
             breakdown("document", labels, samples, lambda s: s.document)]
    return Section(
        anchor=page_name(f"{board.name}-{board.version}-{board.content_hash}"
                         + ("" if board.limit is None else f"-first{board.limit}")),
        table=table_view(board, links), labels=labels,
        task_chart=task_chart(board, labels), gap_chart=gap_chart(board, labels),
        gap_labels=[p.label for p in board.gaps],
        breakdowns=[(b, breakdown_chart(b)) for b in parts],
        pairs=board_pairs(board, labels),
    )
