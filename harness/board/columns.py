"""The columns of a suite table: header, display text, sort value and sort direction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.board.board import BoardRow, SuiteBoard
from harness.board.cells import Cell
from harness.board.gaps import GapPair
from harness.board.ranks import LOWER_IS_BETTER
from harness.results.records import Settings

Value = float | str | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    get: Callable[[BoardRow], Value]
    text: Callable[[BoardRow], str]
    descending: bool = False  # sorting puts the largest first
    numeric: bool = True


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def cell_parts(cell: Cell | None) -> tuple[str, str]:
    """("41.7", "30–52"): percent for rates, three decimals for Brier/ECE; "" without a CI."""
    if cell is None:
        return "–", ""
    scale, head, tail = (1.0, 3, 3) if cell.metric in {"brier", "ece"} else (100.0, 1, 0)
    value = f"{scale * cell.value:.{head}f}"
    if cell.low is None or cell.high is None:
        return value, ""
    return value, f"{scale * cell.low:.{tail}f}–{scale * cell.high:.{tail}f}"


def cell_text(cell: Cell | None) -> str:
    """"41.7 [30–52]"."""
    value, ci = cell_parts(cell)
    return f"{value} [{ci}]" if ci else value


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f}"


def _params(row: BoardRow) -> str:
    n = row.row.run.model.parameters
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def _text(key: str, label: str, get: Callable[[BoardRow], str]) -> Column:
    return Column(key, label, get, get, numeric=False)


def _number(key: str, label: str, get: Callable[[BoardRow], float | None], digits: int = 1,
            descending: bool = True) -> Column:
    return Column(key, label, get, lambda r: _num(get(r), digits), descending)


def _task(task: str, metric: str) -> Column:
    def value(row: BoardRow) -> float | None:
        cell = row.cells.get(task)
        return None if cell is None else cell.value
    return Column(task, task, value, lambda r: cell_text(r.cells.get(task)),
                  descending=metric not in LOWER_IS_BETTER)


def _gap(pair: GapPair) -> Column:
    def value(row: BoardRow) -> float | None:
        return row.gaps.get(pair.label)
    return Column(f"gap:{pair.open_task}-{pair.closed_task}", f"knowledge gap ({pair.label})",
                  value, lambda r: _signed(value(r)))


def _prompt_config(settings: Settings) -> str:
    """Short description of what shaped prompts and decoding, plus its hash."""
    parts = [settings.preset or ("chat" if settings.chat_template else "plain")]
    if settings.num_fewshot:
        parts.append(f"{settings.num_fewshot}-shot")
    if settings.temperature:
        parts.append(f"T={settings.temperature:g}×{settings.repeats}")
    return " ".join(parts) + f" ({settings.prompt_config[:6]})"


def identity_columns() -> list[Column]:
    return [
        _text("model", "model", lambda r: r.row.run.model.model_id),
        _text("dtype", "dtype", lambda r: r.row.run.model.dtype),
        _text("thinking", "thinking", lambda r: "on" if r.row.run.settings.thinking else "off"),
        _text("engine", "engine", lambda r: r.row.run.settings.engine),
        _text("prompt", "prompt config", lambda r: _prompt_config(r.row.run.settings)),
        Column("params", "params", lambda r: float(r.row.run.model.parameters), _params, True),
    ]


def efficiency_columns() -> list[Column]:
    return [
        _number("items_per_s", "items/s", lambda r: r.efficiency.items_per_s, 2),
        _number("prompt_tokens_per_s", "prompt tok/s", lambda r: r.efficiency.prompt_tokens_per_s),
        _number("generated_tokens_per_s", "gen tok/s",
                lambda r: r.efficiency.generated_tokens_per_s),
        _number("peak_rss_mb", "peak RSS MB", lambda r: r.efficiency.peak_rss_mb, 0, False),
        _number("peak_gpu_mb", "peak GPU MB", lambda r: r.efficiency.peak_gpu_mb, 0, False),
    ]


def board_columns(board: SuiteBoard) -> list[Column]:
    """Model identity, one column per task, knowledge gaps, mean rank, efficiency (the columns
    some row has), run id."""
    return [
        *identity_columns(),
        *(_task(t, board.metrics[t]) for t in board.tasks),
        *(_gap(p) for p in board.gaps),
        _number("mean_rank", "mean rank", lambda r: r.mean_rank, 2, descending=False),
        *(c for c in efficiency_columns() if any(c.get(r) is not None for r in board.rows)),
        _text("run", "run", lambda r: r.row.run.run_id),
    ]
