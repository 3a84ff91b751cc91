"""The command line's side of a stop, in process with its streams swapped (context.Io):
the preview and [y/N] it gives jobctl.api to ask with, and the rows it renders."""

from __future__ import annotations

import io

import pytest

from jobctl.commands import stop
from jobctl.context import Io
from jobctl.errors import UsageError
from jobctl.flags import Connection, StopArgs
from jobctl.models import Verb


def terminal(answer: str) -> tuple[Io, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    streams = Io(
        stdin=io.BytesIO(),
        stdout=out,
        stderr=err,
        stdin_is_tty=lambda: True,
        stdout_is_tty=lambda: False,
        stderr_is_tty=lambda: False,
        read_answer=lambda: answer,
    )
    return streams, out, err


def many(batch, proxy, answer: str) -> tuple[list[str], StopArgs, Io, io.StringIO, io.StringIO]:
    jobs = [batch.add_job("RUNNABLE") for _ in range(21)]
    conn = Connection(provider="aws-batch", endpoint_url=proxy.url, output="plain")
    streams, out, err = terminal(answer)
    # The first job twice: the preview counts it once.
    return jobs, StopArgs(Verb.CANCEL, [*jobs, jobs[0]], conn), streams, out, err


def test_more_than_20_named_jobs_are_previewed_and_a_no_sends_nothing(batch, proxy) -> None:
    jobs, args, streams, out, err = many(batch, proxy, "n\n")
    with pytest.raises(UsageError, match="not confirmed; nothing sent"):
        stop(args, streams)
    lines = err.getvalue().splitlines()
    assert lines[0] == "about to cancel 21 jobs:"
    assert lines[1] == f"  aws-batch:{jobs[0]}  "  # a plain id: its reference names no region
    assert lines[11] == "  … and 11 more"
    assert lines[12] == "Cancel 21 jobs? [y/N] "
    assert out.getvalue() == ""
    assert "canceljob" not in proxy.operations()


def test_a_yes_sends_and_the_rows_are_rendered(batch, proxy) -> None:
    jobs, args, streams, out, err = many(batch, proxy, "yes\n")
    assert stop(args, streams) == 0
    assert err.getvalue().endswith("Cancel 21 jobs? [y/N] ")
    rows = [line.split("\t") for line in out.getvalue().splitlines()]
    assert [row[0] for row in rows] == jobs
    assert {row[3] for row in rows} == {"cancelled"}
