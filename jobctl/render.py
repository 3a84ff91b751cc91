"""The one place results are written (DESIGN.md §6).

Human output is rich on stdout; notices and errors go to stderr; JSON is plain json.dumps.
Text from providers and users is never parsed as markup and has its control characters shown
as escapes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from jobctl.sanitize import clean

if TYPE_CHECKING:
    from rich.console import Console

    from jobctl.engine import Summary

SCHEMA_VERSION = 1
FORMATS = ("table", "plain", "json", "ndjson")

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


def _dumps(document: Mapping[str, Any]) -> str:
    # ensure_ascii: no raw control or bidi character can reach a terminal from JSON either.
    return json.dumps(document, ensure_ascii=True, default=str)


def summary_dict(summary: Summary) -> dict[str, int]:
    return {"total": summary.total, "ok": summary.ok, "failed": summary.failed}


def envelope(command: str, rows: Sequence[Mapping[str, Any]], summary: Summary) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "results": list(rows),
        "summary": summary_dict(summary),
        "exit_code": int(summary.exit_code),
    }


class Renderer:
    """Writes one command's results in one format; `row` streams, `finish` closes."""

    def __init__(self, fmt: str, command: str, *, stdout: IO[str] | None = None) -> None:
        self.fmt = fmt
        self.command = command
        self.stdout = stdout or sys.stdout

    def row(self, row: Mapping[str, Any]) -> None:
        """Called as each job is decided; only ndjson writes here."""
        if self.fmt == "ndjson":
            self.stdout.write(_dumps(row) + "\n")
            self.stdout.flush()

    def finish(
        self, rows: Sequence[Mapping[str, Any]], summary: Summary, columns: Sequence[str]
    ) -> None:
        if self.fmt == "json":
            self.stdout.write(_dumps(envelope(self.command, rows, summary)) + "\n")
        elif self.fmt == "ndjson":
            line = {"summary": summary_dict(summary), "exit_code": int(summary.exit_code)}
            self.stdout.write(_dumps(line) + "\n")
        elif self.fmt == "plain":
            for row in map(_for_text, rows):
                self.stdout.write("\t".join(_plain(row.get(c)) for c in columns) + "\n")
        else:
            self._table([_for_text(row) for row in rows], summary, columns)
        self.stdout.flush()

    def _table(
        self, rows: Sequence[Mapping[str, Any]], summary: Summary, columns: Sequence[str]
    ) -> None:
        from rich.table import Table
        from rich.text import Text

        console = stdout_console(self.stdout)
        wide = console.width >= 110
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in columns:
            # Words that decide a script's next step never wrap or shrink; free text takes
            # what width is left, and an id folds only when the terminal is too narrow.
            fixed = column not in ("message", "name") and (column != "job_id" or wide)
            table.add_column(
                column.replace("_", " ").upper(),
                overflow="fold",
                no_wrap=fixed,
                min_width=len(column) if fixed else None,
                ratio=1 if column in ("message", "name") else None,
            )
        for row in rows:
            cells = []
            for column in columns:
                value = _plain(row.get(column))
                style = _OUTCOME_STYLE.get(value, "") if column in ("outcome", "phase") else ""
                cells.append(Text(value, style=style))
            table.add_row(*cells)
        if rows:
            console.print(table)
        parts = [f"{summary.total} job{'s' if summary.total != 1 else ''}", f"{summary.ok} ok"]
        if summary.failed:
            parts.append(f"{summary.failed} failed")
        console.print(Text(", ".join(parts), style="bold"))


def _for_text(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """Text output's message also carries what JSON has fields for.

    The IoT thing a row is about, and for --dry-run the exact native request.
    """
    parts = []
    thing = (row.get("extra") or {}).get("thing")
    if thing:
        parts.append(f"thing {thing}:")
    if row.get("message"):
        parts.append(str(row["message"]))
    if row.get("outcome") == "planned" and row.get("request"):
        parts.append(f"{row.get('operation')} {_dumps(row['request'])}")
    if not parts:
        return row
    return {**row, "message": " ".join(parts)}


def _plain(value: object) -> str:
    if value is None:
        return "-"
    return clean(value).replace("\t", "\\t")


def stdout_console(stream: IO[str]) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


STOP_COLUMNS = (
    "job_id",
    "provider",
    "region",
    "outcome",
    "state_before",
    "state_after",
    "operation",
    "message",
)
STOP_TABLE_COLUMNS = (
    "provider",
    "job_id",
    "outcome",
    "state_before",
    "state_after",
    "operation",
    "message",
)
STATUS_COLUMNS = ("job_id", "provider", "region", "state", "phase", "name", "message")
