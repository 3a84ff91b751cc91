"""Hostile and malformed input, from a corpus: refused with exit 2 (4 for the configuration)
and one safe line, before any request; or, where the text is valid, passed on unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hardening import corpus
from tests.hardening.helpers import Endpoints, assert_refused
from tests.hardening.tally import TALLY
from tests.support.worlds import WORLDS, TencentConformance

# A well-formed id per provider, so that what is refused is the input under test.
VALID_ID = {
    "aws-batch": "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1",
    "aws-iot": "fw-1",
    "tencent": "job-abcdefgh",
}


class Tried:
    """Runs one hostile input after another against one provider; counts them for the tally."""

    def __init__(self, cli, endpoints: Endpoints, provider: str) -> None:
        self.cli = cli
        self.endpoints = endpoints
        self.provider = provider
        self.count = 0

    def refused(
        self, *args: str, stdin: bytes = b"", code: int = 2, mentions: str | None = None
    ) -> None:
        url = self.endpoints.url(self.provider)
        ran = self.cli(*args, "-p", self.provider, "--endpoint-url", url, stdin=stdin)
        assert_refused(ran, code=code, mentions=mentions)
        assert self.endpoints.requests() == 0, (args[:3], self.endpoints.operations())
        self.count += 1

    def done(self) -> None:
        TALLY.bad_input(tried=self.count, requests=self.endpoints.requests())


@pytest.fixture(params=WORLDS)
def tried(request, cli, endpoints: Endpoints):
    attempts = Tried(cli, endpoints, request.param)
    yield attempts
    attempts.done()


def test_bad_job_references(tried: Tried) -> None:
    for ref in corpus.BAD_REFS:
        refs = ("-", "-") if ref == "-" else (ref,)
        for command in ("status", "terminate", "cancel"):
            tried.refused(command, *refs)
    # Many at once: refused as a whole, whichever is bad.
    tried.refused("cancel", "--yes", *(VALID_ID[tried.provider] for _ in range(50)), "bad ref!")


def test_bad_command_lines(tried: Tried) -> None:
    job = VALID_ID[tried.provider]
    for argv in corpus.BAD_ARGV:
        tried.refused("terminate", job, *argv)
    tried.refused("a" * 1_000_000)


def test_bad_standard_input(tried: Tried) -> None:
    for data in corpus.BAD_STDIN:
        for command in ("status", "cancel"):
            tried.refused(command, "-", stdin=data)


def test_bad_reasons(tried: Tried) -> None:
    job = VALID_ID[tried.provider]
    for reason in [*corpus.UNPRINTABLE, "", "   "]:
        for flag in ("-r", "--comment"):
            tried.refused("terminate", job, flag, reason, mentions="--reason")
    for code in corpus.BAD_REASON_CODES:
        tried.refused("cancel", job, "--reason-code", code, mentions="--reason-code")
    if tried.provider != "tencent":  # no reason field there: nothing to be too long for
        tried.refused("cancel", job, "-r", "x" * 2029, mentions="characters")


def test_a_reason_iot_comment_cannot_carry_is_refused_before_any_request(
    cli, endpoints: Endpoints
) -> None:
    """IoT's comment pattern [^\\p{C}]+ refuses invisible format characters that are printable
    enough for jobctl's shared check: for aws-iot, exit 2 before the lookup."""
    tried = Tried(cli, endpoints, "aws-iot")
    for reason in ["zero\u200bwidth", "soft\u00adhyphen", "\ufeffbom", "\U000e0041tag"]:
        tried.refused("cancel", "fw-1", "-r", reason, mentions="comment")
    tried.done()


def test_bad_things(tried: Tried) -> None:
    job = VALID_ID[tried.provider]
    for thing in [*corpus.UNPRINTABLE, "", "has space", "[bold]t[/bold]", "t" * 129]:
        tried.refused("cancel", job, "--thing", thing, mentions="--thing")


def test_bad_filters(tried: Tried) -> None:
    for command in (("list",), ("cancel", "--yes")):
        for status in [*corpus.UNPRINTABLE, "", "[bold]RUNNING[/bold]", "RUNNING\x00"]:
            tried.refused(*command, "--status", status, mentions="--status")
        for name in [*corpus.UNPRINTABLE, "", "  "]:
            tried.refused(*command, "--name", name, mentions="--name")
        for older in corpus.BAD_DURATIONS:
            tried.refused(*command, "--older-than", older, mentions="--older-than")
        if tried.provider == "aws-batch":
            for queue in [*corpus.UNPRINTABLE, ""]:
                tried.refused(*command, "--queue", queue, "--all", mentions="--queue")
        else:
            tried.refused(*command, "--queue", "q", "--all", mentions="--queue")


def test_bad_durations(tried: Tried, monkeypatch: pytest.MonkeyPatch) -> None:
    job = VALID_ID[tried.provider]
    for text in corpus.BAD_DURATIONS:
        tried.refused("terminate", job, "--timeout", text, mentions="--timeout")
        tried.refused("terminate", job, "--wait", "--poll-interval", text, mentions="--poll")
    for text in corpus.BAD_DURATIONS[1:]:
        monkeypatch.setenv("JOBCTL_REQUEST_TIMEOUT", text)
        tried.refused("terminate", job, mentions="JOBCTL_REQUEST_TIMEOUT")


def test_bad_regions_and_environment(tried: Tried, monkeypatch: pytest.MonkeyPatch) -> None:
    job = VALID_ID[tried.provider]
    for region in ["\x1b[31m", "us-east-1\r\nX-Injected: 1", "[bold]", "a b", "-", "x" * 100]:
        tried.refused("terminate", job, "--region", region, code=4, mentions="--region")
    env = "TENCENTCLOUD_REGION" if tried.provider == "tencent" else "AWS_REGION"
    for region in ["ap-guangzhou\x1b[31m", "us east 1", "\u202eevil"]:
        monkeypatch.setenv(env, region)
        tried.refused("terminate", job, code=4, mentions="region")
    monkeypatch.undo()
    for name, value in [("JOBCTL_OUTPUT", "xml"), ("JOBCTL_OUTPUT", "\x1b[31m")]:
        monkeypatch.setenv(name, value)
        tried.refused("terminate", job)
        monkeypatch.delenv(name)


def test_bad_endpoints(tried: Tried) -> None:
    job = VALID_ID[tried.provider]
    for url in ["http://\x1b[31m", "http://127.0.0.1:9/\r\nX: y", "ftp://127.0.0.1", "[link]"]:
        ran = tried.cli("terminate", job, "-p", tried.provider, "--endpoint-url", url)
        assert_refused(ran, code=4, mentions="--endpoint-url")
        assert tried.endpoints.requests() == 0
        tried.count += 1


def test_bad_config_files(tried: Tried, clean_env: Path) -> None:
    path = clean_env / "config" / "jobctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    job = VALID_ID[tried.provider]
    for data in corpus.BAD_CONFIGS:
        path.write_bytes(data)
        tried.refused("terminate", job, code=4, mentions=str(path))


def test_printable_text_reaches_the_provider_unchanged(cli, world, audit_log) -> None:
    """Reasons holding markup, escapes in words, quotes and scripts: sent as they are (Batch
    reason, IoT comment; Tencent's audit log) and shown literally in plain output."""
    from tests.support.proxy import Proxy

    if isinstance(world, TencentConformance):
        world.emulator.terminate_rate = None  # one run after another: not a rate test
    proxy = Proxy(world.target_url).start()
    # Every fragment at once (a run per reason costs a provider client each), then the longest.
    reasons = [" | ".join(corpus.PRINTABLE[:-1]), corpus.PRINTABLE[-1]]
    try:
        for reason in reasons:
            job = world.add("queued")
            proxy.clear()
            ran = cli(
                "cancel", "-p", world.provider, "--endpoint-url", proxy.url, job, "-r", reason
            )
            assert ran.code == 0, ran.stderr
            [stop] = [s for s in proxy.forwarded if s.stop_target() == job and s.accepted()]
            if world.provider == "aws-batch":
                assert json.loads(stop.body)["reason"] == reason
            elif world.provider == "aws-iot":
                assert json.loads(stop.body)["comment"] == reason
            else:
                assert b"reason" not in stop.body  # TerminateJob has no field for it
            assert audit_log()[-1]["reason"] == reason
            if world.provider != "tencent":  # shown back as the job's status reason
                assert reason in ran.stdout, ran.stdout
            assert "\x1b" not in ran.stdout + ran.stderr
            TALLY.hostile_texts_shown += 1
    finally:
        proxy.stop()
