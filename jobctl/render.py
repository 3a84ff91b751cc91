"""The one place results are written (docs/ARCHITECTURE.md): every command's, in one envelope.

Human output is rich on stdout; notices and errors go to stderr; JSON is plain json.dumps.
Text from providers and users is never parsed as markup and has its control characters shown
as escapes.

Standard output is where the report goes, never what decides the run: a reader that goes away
(`| head -1`) or no stdout at all (`>&-`) only loses the report, and any other failure to write
(a full disk) is kept for `Renderer.close` to turn into one line and exit 1, after every job
was handled. Nothing is left buffered for the interpreter to fail on at exit.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from jobctl.errors import ExitCode, OutputError
from jobctl.sanitize import clean

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from jobctl.engine import Summary

SCHEMA_VERSION = 1
FORMATS = ("table", "plain", "json", "ndjson")


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
    """Writes one command's results in one format; `row` streams, `finish` writes the rest,
    `close` gives the exit code (or the error, when standard output refused the results)."""

    def __init__(
        self,
        fmt: str,
        command: str,
        *,
        stdout: IO[str] | None = None,
        noun: str | None = "job",
        counts: bool = True,
    ) -> None:
        self.fmt = fmt
        self.command = command
        # What a table's closing count counts ("3 jobs, 3 ok"); None: a listing, no count.
        self.noun = noun
        # False: the count says how many and no more ("15 jobs"), as `list` has no outcomes.
        self.counts = counts
        # sys.stdout is None when jobctl was started without one (`>&-`).
        stream: IO[str] | None = stdout if stdout is not None else sys.stdout
        self.stdout: IO[str] = stream if stream is not None else io.StringIO()
        # A reader that went away, or no stdout at all: the rest of the report goes nowhere.
        self.gone = stream is None
        # Why standard output refused the results otherwise (ENOSPC, EIO...), once it has.
        self.failure: OSError | None = None
        # Rows are decided on the engine's threads.
        self._lock = threading.Lock()

    def row(self, row: Mapping[str, Any]) -> None:
        """Called as each job is decided; only ndjson writes here."""
        if self.fmt == "ndjson":
            self._write(_dumps(row) + "\n")

    def finish(
        self, rows: Sequence[Mapping[str, Any]], summary: Summary, columns: Sequence[str]
    ) -> None:
        if self.gone or self.failure is not None:
            return
        if self.fmt == "json":
            self._write(_dumps(envelope(self.command, rows, summary)) + "\n")
        elif self.fmt == "ndjson":
            line = {"summary": summary_dict(summary), "exit_code": int(summary.exit_code)}
            self._write(_dumps(line) + "\n")
        elif self.fmt == "plain":
            said: set[str] = set()
            texts = (_for_text(row, said=said) for row in rows)
            lines = ("\t".join(_plain(row.get(c)) for c in columns) for row in texts)
            self._write("".join(line + "\n" for line in lines))
        else:
            said_once: set[str] = set()
            shown = [_for_text(row, target=False, said=said_once) for row in rows]
            self._write(self._table(shown, summary, columns))

    def providers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """`jobctl providers`: one row per provider (capabilities.describe), under the same
        envelope rules; JSON also keeps the rows under `providers`, as before the envelope."""
        from jobctl.engine import Summary

        summary = Summary(len(rows), len(rows), 0, ExitCode.OK)
        if self.gone or self.failure is not None:
            return
        if self.fmt == "json":
            document = {**envelope(self.command, rows, summary), "providers": list(rows)}
            self._write(_dumps(document) + "\n")
        elif self.fmt == "ndjson":
            for row in rows:
                self.row(row)
            self.finish(rows, summary, ())
        elif self.fmt == "plain":
            cells = (
                (row["name"], verb, phase, what)
                for row in rows
                for verb, matrix in row["matrix"].items()
                for phase, what in matrix.items()
            )
            self._write("".join("\t".join(map(_plain, line)) + "\n" for line in cells))
        else:
            self._write(self._providers_table(rows))

    def _providers_table(self, rows: Sequence[Mapping[str, Any]]) -> str:
        from rich.table import Table
        from rich.text import Text

        collected = _Collected(self.stdout)
        console = stdout_console(collected)
        phases = ("queued", "running", "finished")
        for row in rows:
            title = Text(f"{row['name']} ({row['title']})", style="bold")
            table = Table(title=title, title_justify="left")
            table.add_column("verb")
            for phase in phases:
                table.add_column(f"{phase}: " + ", ".join(row["phases"].get(phase, [])))
            for verb, cells in row["matrix"].items():
                table.add_row(verb, *(Text(cells.get(phase, "")) for phase in phases))
            console.print(table)
            for what in row["limitations"].values():
                console.print(Text(f"  • {what}"))
            console.print()
        return collected.getvalue()

    def close(self, code: int, *, audit_log: Path | None = None) -> int:
        """The exit code the results earned; OutputError if standard output refused them.

        A refused report is exit 1, unless the run was interrupted (130 says more). A reader
        that went away is not an error: it asked for no more.
        """
        if self.failure is None:
            return int(code)
        why = self.failure.strerror or str(self.failure)
        msg = f"could not write the results to standard output ({why})"
        if audit_log is not None:
            msg += f"; every job was handled and is in the audit log {audit_log}"
        else:
            msg += ": rerun with standard output somewhere writable"
        interrupted = code == ExitCode.INTERRUPTED
        raise OutputError(msg, exit_code=ExitCode.INTERRUPTED if interrupted else ExitCode.FAILED)

    def _write(self, text: str) -> None:
        with self._lock:
            if self.gone or self.failure is not None:
                return
            try:
                self.stdout.write(text)
                self.stdout.flush()
            except BrokenPipeError:
                self.gone = True
                discard_pending(self.stdout)
            except OSError as exc:
                self.failure = exc
                discard_pending(self.stdout)

    def _table(
        self, rows: Sequence[Mapping[str, Any]], summary: Summary, columns: Sequence[str]
    ) -> str:
        """The table as rich renders it for this stdout (width, colour), as text."""
        from rich.text import Text

        from jobctl import tables

        collected = _Collected(self.stdout)
        console = stdout_console(collected)
        shown = tables.table_columns(rows, columns)
        if rows:
            tables.draw(console, rows, shown, _plain)
        if self.noun is None:
            return collected.getvalue()
        # Rows about a job's execution on a thing count executions, not jobs.
        noun = "execution" if tables.TARGET in shown else self.noun
        line = tables.counted(summary, noun, counts=self.counts)
        console.print(Text(line, style="bold"))
        return collected.getvalue()


class _Collected(io.StringIO):
    """What rich renders for `stream` (a terminal or not), kept here for `_write` to send.

    rich never meets the real stream: on EPIPE it would end the process with exit 1.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self._stream = stream

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False


def _for_text(
    row: Mapping[str, Any], *, target: bool = True, said: set[str] | None = None
) -> Mapping[str, Any]:
    """Text output's message also carries what JSON has fields for.

    The sub-target a row is about, in its provider's word ("thing dev-1:"; not for a table,
    which has a column for it), else the job's own kind when it is not its provider's
    ordinary job ("service-job:"), and for --dry-run the exact native request: once, on the
    first row it carries, when one request carries many jobs (`said` keeps what was shown).
    """
    parts = []
    sub_target = row.get("target") if target else None
    if sub_target:
        kind = row.get("target_kind")
        parts.append(f"{kind} {sub_target}:" if kind else f"{sub_target}:")
    elif row.get("target_kind") and not row.get("target"):
        parts.append(f"{row['target_kind']}:")
    if row.get("message"):
        parts.append(str(row["message"]))
    if row.get("outcome") == "planned" and row.get("request"):
        request = f"{row.get('operation')} {_dumps(row['request'])}"
        if said is None or request not in said:
            parts.append(request)
        else:
            parts.append("(its request is shown above)")
        if said is not None:
            said.add(request)
    if not parts:
        return row
    return {**row, "message": " ".join(parts)}


def _plain(value: object) -> str:
    if value is None:
        return "-"
    return clean(value).replace("\t", "\\t")


def discard_pending(stream: IO[str]) -> None:
    """Point the stream's descriptor at /dev/null after it failed.

    What the stream still buffers then goes nowhere when the interpreter flushes it at exit,
    instead of failing again as "Exception ignored ... BrokenPipeError" and exit 120.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a descriptor (a test's StringIO): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def stdout_console(stream: IO[str]) -> Console:
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=False)


# `-o plain`: TARGET last (empty but for an IoT thing's execution), so a result row piped
# back into `cancel -` names that execution, not its whole job (refs.read_stdin_refs).
STOP_COLUMNS = (
    "job_id",
    "provider",
    "region",
    "outcome",
    "state_before",
    "state_after",
    "operation",
    "message",
    "target",
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
LIST_COLUMNS = ("job_id", "provider", "region", "state", "phase", "name", "created")
# The fields of a JobStatus each command's JSON rows carry (JobStatus.as_dict has them all).
STATUS_FIELDS = (
    "provider",
    "region",
    "job_id",
    "name",
    "state",
    "phase",
    "message",
    "children",
    "extra",
)
LIST_FIELDS = ("provider", "region", "job_id", "name", "state", "phase", "created", "extra")


def fields(row: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: row[name] for name in names}


def stop_columns(fmt: str) -> tuple[str, ...]:
    return STOP_TABLE_COLUMNS if fmt == "table" else STOP_COLUMNS
