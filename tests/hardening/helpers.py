"""Checks shared by the hostile-input tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobctl.sanitize import clean
from tests.support.proxy import Proxy


@dataclass
class Endpoints:
    """A recording proxy per server: moto (both AWS providers) and the Tencent emulator."""

    aws: Proxy
    tencent: Proxy

    def url(self, provider: str) -> str:
        return (self.tencent if provider == "tencent" else self.aws).url

    def requests(self) -> int:
        return len(self.aws.seen) + len(self.tencent.seen)

    def operations(self) -> list[str]:
        return self.aws.operations() + self.tencent.operations()

    def clear(self) -> None:
        self.aws.clear()
        self.tencent.clear()


def assert_refused(ran: Any, *, code: int = 2, mentions: str | None = None) -> None:
    """One stderr line, safe to show, of bounded length; no traceback; nothing on stdout."""
    assert ran.code == code, (ran.code, ran.stdout[:300], ran.stderr[:300])
    assert ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr[:2000]
    [line] = lines
    assert line.startswith("jobctl: ")
    assert "Traceback" not in ran.stderr
    # Input is quoted, clipped and escaped, never echoed raw: a 1 MB line stays one short line.
    assert clean(line) == line
    assert len(line) < 1000, line[:200]
    if mentions is not None:
        assert mentions in line, line


def assert_terminal_safe(text: str) -> None:
    """No control, bidi or separator character a terminal would act on (JSON is ASCII)."""
    assert clean(text.replace("\n", "").replace("\t", "")) == text.replace("\n", "").replace(
        "\t", ""
    ), text[:300]
