"""Provider text is hostile too: a job name or status reason holding rich markup or terminal
escapes is shown literally in every output format, even on a terminal with colour."""

from __future__ import annotations

import json

import pytest

from tests.hardening.tally import TALLY
from tests.support.proxy import Proxy
from tests.support.worlds import BatchConformance, IotConformance, TencentConformance

MARKUP = "[bold red]pwn[/] [link=https://evil.example]x[/link] :smile:"
ESCAPES = "\x1b[5;35mblink\x1b]8;;https://evil.example\x07here\u202etxt"
HOSTILE = f"{MARKUP} {ESCAPES}"
# What a terminal must never receive: the escapes themselves, or a hyperlink rich would emit
# had it read [link=...] as markup.
NEVER = ("\x1b[5;35m", "\x1b]8;", "\x07", "\u202e")


def hostile_job(world) -> tuple[str, str]:
    """A job whose name, status reason or both are HOSTILE; returns (id, which field)."""
    if isinstance(world, BatchConformance):
        job = world.world.add_job("FAILED", name=HOSTILE)
        world.world.job(job).job_stopped_reason = HOSTILE
        return job, "name"
    if isinstance(world, IotConformance):
        # An IoT job has no name but its id; a cancelled one shows `reasonCode: comment`.
        job = world.add("queued")
        record = world.world.job(job)
        record.status, record.comment, record.reason_code = "CANCELED", HOSTILE, "ROLLBACK"
        return job, "message"
    assert isinstance(world, TencentConformance)
    return world.emulator.add_job(name=HOSTILE, state="RUNNING", pinned=True), "name"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as on a wide colour terminal: rich would emit escapes here if it emitted any."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")


def test_provider_text_is_shown_literally_everywhere(cli, world, terminal) -> None:
    job, field = hostile_job(world)
    proxy = Proxy(world.target_url).start()
    try:
        base = ("-p", world.provider, "--endpoint-url", proxy.url)
        for fmt in ("json", "ndjson", "plain", "table"):
            runs = [cli("status", *base, "-o", fmt, job)]
            # `list` shows names; IoT lists no comment (its hostile field), only its safe id.
            if fmt in ("json", "table") and field == "name":
                state = {"aws-batch": "FAILED", "tencent": "RUNNING"}[world.provider]
                runs.append(cli("list", *base, "-o", fmt, "--status", state))
            for ran in runs:
                assert ran.code == 0, ran.stderr
                out = ran.stdout + ran.stderr
                assert not any(bad in out for bad in NEVER), repr(out[:500])
                if fmt in ("json", "ndjson"):
                    assert ran.stdout.isascii()
                    rows = [json.loads(line) for line in ran.stdout.splitlines()]
                    found = rows[0]["results"] if fmt == "json" else rows[:-1]
                    values = [row.get(field) for row in found if row["job_id"] == job]
                    assert values, found
                    assert all(HOSTILE in value for value in values), values
                else:
                    if fmt == "table":  # jobctl's own styling: this was a colour terminal
                        assert "\x1b[" in ran.stdout
                    assert MARKUP in ran.stdout, ran.stdout
                    assert "\\x1b[5;35mblink\\x1b]8;;https://evil.example\\x07here" in ran.stdout
                TALLY.hostile_texts_shown += 1
    finally:
        proxy.stop()
