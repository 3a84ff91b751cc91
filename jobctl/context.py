"""The streams a command talks to (httpie's `Environment`): standard input, output and error,
whether each is a terminal, and where a [y/N] answer is read.

Everything may import this module and it imports nothing of jobctl's at its top, so it can
never close an import cycle. Only the command line builds an `Io`; `jobctl.api` never reads
or writes a stream of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO, TextIOWrapper
from typing import IO, BinaryIO, TextIO


@dataclass
class Io:
    """The streams a run talks to; tests and the sandbox demo swap them.

    A standard stream the process was started without (sys.stdout is None after `>&-`) reads
    as empty and takes writes to nowhere, so the run goes on as for a reader that left.
    """

    stdin: BinaryIO = field(default_factory=lambda: _std("stdin").buffer)
    stdout: IO[str] = field(default_factory=lambda: _std("stdout"))
    stderr: IO[str] = field(default_factory=lambda: _std("stderr"))
    stdin_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stdin").isatty)
    stdout_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stdout").isatty)
    stderr_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stderr").isatty)
    # The answer to a [y/N] question; the terminal is standard input when asked.
    read_answer: Callable[[], str] = field(default_factory=lambda: _std("stdin").readline)

    def notice(self, text: str) -> None:
        from jobctl.sanitize import say

        say(self.stderr, text)


class _Nowhere(TextIOWrapper):
    """A missing standard stream: nothing to read, and writes go nowhere."""

    def __init__(self) -> None:
        super().__init__(BytesIO())

    def write(self, text: str) -> int:
        return len(text)


def _std(name: str) -> TextIO:
    stream: TextIO | None = getattr(sys, name)
    return stream if stream is not None else _Nowhere()
