"""The human table, as `render.Renderer` writes it: which columns, how wide, what it counts.

Ids, ARNs, queue and thing names are copied into the next command: they never fold, in any
output. On a terminal, free text (messages, names) wraps to the width left; off a terminal
(a pipe, a CI log) or on TERM=dumb the table takes the width it needs, unless COLUMNS says
otherwise: a log has no right margin to respect.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from jobctl.engine import Summary

# Columns of free text, which wrap to what width is left (`config show` has value and source).
FREE_TEXT = ("message", "name", "value", "source")
# Columns computed here from a row's fields, for the table only (plain and JSON keep theirs).
QUEUE, AGE, TARGET = "queue", "age", "target"
_OUTCOME_STYLE = {
    "cancelled": "green",
    "terminated": "green",
    "stopping": "yellow",
    "already-finished": "dim",
    "planned": "cyan",
    "refused": "red",
    "not-found": "red",
    "failed": "bold red",
    "skipped": "magenta",
}


def table_columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str]:
    """The columns as asked, plus the sub-target after the job id when a row has one (each
    IoT execution's thing), the queue where a row's provider has queues, age beside created."""
    out = list(columns)
    if any(row.get("target") for row in rows) and "job_id" in out and TARGET not in out:
        out.insert(out.index("job_id") + 1, TARGET)
    if "created" in out:
        if _has_queues(rows) and QUEUE not in out:
            out.insert(out.index("state") if "state" in out else len(out), QUEUE)
        out.insert(out.index("created") + 1, AGE)
    return out


def _has_queues(rows: Sequence[Mapping[str, Any]]) -> bool:
    from jobctl import providers

    names = {str(row.get("provider")) for row in rows}
    return any(name in providers.names() and providers.info(name).queues for name in names)


def header(column: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """A column's heading; the sub-target's is its provider's word for it (THING)."""
    if column == TARGET:
        kinds = {row.get("target_kind") for row in rows if row.get("target")}
        (kind,) = kinds if len(kinds) == 1 else ("target",)
        return str(kind or "target").upper()
    return column.replace("_", " ").upper()


def cell(row: Mapping[str, Any], column: str, now: float) -> object:
    if column == QUEUE:
        extra = row.get("extra")
        return extra.get("queue") if isinstance(extra, Mapping) else None
    if column == AGE:
        return age(row.get("created"), now)
    return row.get(column)


def age(created: object, now: float) -> str | None:
    """How long ago an ISO 8601 time was, in two units at most: 3d4h, 2h13m, 45s."""
    if not isinstance(created, str):
        return None
    try:
        then = dt.datetime.fromisoformat(created).timestamp()
    except ValueError:
        return None
    seconds = max(int(now - then), 0)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for index, (unit, size) in enumerate(units):
        if seconds >= size or unit == "s":
            text = f"{seconds // size}{unit}"
            if index + 1 < len(units):
                # The next unit down, when it is not zero: 2h13m, never 2h1s.
                below, below_size = units[index + 1]
                rest = (seconds % size) // below_size
                text += f"{rest}{below}" if rest else ""
            return text
    return None


def counted(summary: Summary, noun: str, *, counts: bool) -> str:
    """The closing line: "3 jobs, 2 ok, 1 failed"; a listing says only how many."""
    parts = [f"{summary.total} {noun}{'s' if summary.total != 1 else ''}"]
    if counts:
        parts.append(f"{summary.ok} ok")
        if summary.failed:
            parts.append(f"{summary.failed} failed")
    return ", ".join(parts)


def draw(
    console: Console,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    plain: Any,
) -> None:
    """Print the table on `console`, sized as the module docstring says."""
    import time

    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        free = column in FREE_TEXT
        table.add_column(
            header(column, rows),
            overflow="fold",
            no_wrap=not free,
            min_width=None if free else len(header(column, rows)),
            ratio=1 if free else None,
        )
    now = time.time()
    for row in rows:
        cells = []
        for column in columns:
            value = plain(cell(row, column, now))
            style = _OUTCOME_STYLE.get(value, "") if column in ("outcome", "phase") else ""
            cells.append(Text(value, style=style))
        table.add_row(*cells)
    # Measured unbounded: a measurement is clamped to the width it is given.
    measured = Measurement.get(console, console.options.update_width(1_000_000), table)
    if fits_content(console):
        console.width = max(measured.maximum, 1)
    elif console.width < measured.minimum:
        # Too narrow for the words that never fold: the line runs on, the ids stay whole.
        console.width = measured.minimum
    console.print(table)


def fits_content(console: Console) -> bool:
    """Off a terminal or on TERM=dumb, with no COLUMNS: the table is as wide as it needs."""
    if os.environ.get("COLUMNS", "").strip().isdigit():
        return False
    return not console.is_terminal or os.environ.get("TERM") == "dumb"


def sink_is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False
