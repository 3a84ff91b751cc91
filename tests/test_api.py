"""jobctl.api: stop, status and list from Python, against moto's server on 127.0.0.1.

The command line is a layer over these functions; here they are called as an Airflow
`on_kill` or a notebook would: nothing printed, nothing asked, errors as JobctlErrors.
"""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta

import pytest

from jobctl import api

UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


def audit_lines(tmp_path) -> list[dict]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_stop_returns_typed_results_and_prints_nothing(batch, tmp_path, capfd) -> None:
    queued, running = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    report = api.stop([queued, running, UNKNOWN_JOB], provider="aws-batch", reason="drain")
    assert isinstance(report, api.Report)
    assert [r.job_id for r in report.results] == [queued, running, UNKNOWN_JOB]
    assert [r.outcome for r in report.results] == [
        api.Outcome.CANCELLED,
        api.Outcome.REFUSED,
        api.Outcome.NOT_FOUND,
    ]
    assert all(isinstance(r, api.Result) for r in report.results)
    assert (report.summary.total, report.summary.ok, report.summary.failed) == (3, 1, 2)
    assert report.exit_code == api.ExitCode.PARTIAL
    assert batch.job(queued).job_stopped_reason == "drain"
    assert report.audit_log == tmp_path / "state" / "jobctl" / "audit.jsonl"
    assert [line["job"] for line in audit_lines(tmp_path) if line["record"] == "final"] == [queued]
    assert capfd.readouterr() == ("", "")


def test_the_report_is_the_envelope_the_command_line_prints(cli, batch) -> None:
    by_api = api.stop([batch.add_job("RUNNABLE")], provider="aws-batch", verb="terminate")
    by_cli = cli("terminate", "-p", "aws-batch", "-o", "json", batch.add_job("RUNNABLE")).json()
    document = by_api.as_dict()
    assert document.keys() == by_cli.keys()
    assert document["schema_version"] == by_cli["schema_version"] == 1
    assert document["command"] == "terminate"
    assert document["results"][0].keys() == by_cli["results"][0].keys()
    assert document["results"][0]["outcome"] == by_cli["results"][0]["outcome"] == "terminated"
    assert (document["summary"], document["exit_code"]) == (by_cli["summary"], 0)


def test_a_filter_selection_stops_what_list_jobs_shows(batch) -> None:
    old = [batch.add_job("RUNNABLE", name=f"etl-{n}", queue="prod-q", age=7200) for n in (1, 2)]
    batch.add_job("RUNNABLE", name="etl-new", queue="prod-q", age=60)
    batch.add_job("RUNNABLE", name="etl-9", queue="dev-q", age=7200)
    batch.add_job("RUNNING", name="train", queue="prod-q", age=7200)
    chosen = dict(queue="prod-q", statuses="runnable", older_than=timedelta(hours=1))
    listed = api.list_jobs("aws-batch", **chosen)
    assert sorted(job.job_id for job in listed) == sorted(old)
    assert all(isinstance(job, api.JobStatus) for job in listed)
    assert {(job.state, job.phase, job.region) for job in listed} == {
        ("RUNNABLE", "queued", "us-east-1")
    }
    assert all(job.created is not None and job.created_at is not None for job in listed)
    report = api.stop(select=api.Filters(queue="prod-q", statuses=("RUNNABLE",),
                                         older_than="1h"), provider="aws-batch")  # fmt: skip
    assert sorted(r.job_id for r in report.results) == sorted(old)
    assert {r.outcome for r in report.results} == {api.Outcome.CANCELLED}


def test_an_empty_selection_is_said_through_on_notice(batch) -> None:
    batch.queue("empty-q")
    notices: list[str] = []
    report = api.stop(
        select=api.Filters(queue="empty-q", all=True),
        provider="aws-batch",
        on_notice=notices.append,
    )
    assert (report.results, report.exit_code) == ((), api.ExitCode.OK)
    assert notices == ["no jobs matched: unfinished jobs in aws-batch queue empty-q, us-east-1"]
    assert api.list_jobs("aws-batch", queue="empty-q", on_notice=notices.append) == []
    assert len(notices) == 2


def test_dry_run_sends_nothing_and_audits_nothing(batch, proxy, tmp_path) -> None:
    job = batch.add_job("RUNNABLE")
    report = api.stop(job, provider="aws-batch", endpoint_url=proxy.url, dry_run=True)
    (result,) = report.results
    assert (result.outcome, result.operation) == (api.Outcome.PLANNED, "CancelJob")
    assert result.request is not None
    assert result.request["jobId"] == job
    assert "canceljob" not in proxy.operations()
    assert (report.audit_log, audit_lines(tmp_path)) == (None, [])


def test_results_stream_to_on_result_and_progress_as_decided(batch) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    streamed: list[api.Result] = []

    class Counting:
        def __init__(self) -> None:
            self.events: list[str] = []

        def start(self, *, total: int, verb: api.Verb) -> None:
            self.events.append(f"start {total} {verb}")

        def seen(self, result: api.Result) -> None:
            self.events.append("seen")

        def end(self) -> None:
            self.events.append("end")

    progress = Counting()
    report = api.stop(jobs, provider="aws-batch", on_result=streamed.append, progress=progress)
    assert sorted(r.job_id for r in streamed) == sorted(jobs)
    assert list(report.results) == [next(s for s in streamed if s.job_id == j) for j in jobs]
    assert progress.events[0] == "start 3 cancel"
    assert progress.events[-1] == "end"
    # Each job: its answer, then its decision.
    assert progress.events.count("seen") == 6


class Asking:
    """A confirmation that records when it was asked and what it was shown."""

    def __init__(self, proxy, *, answer: bool) -> None:
        self.proxy, self.answer = proxy, answer
        self.needed_at: list[str] | None = None
        self.shown: api.Preview | None = None

    def needed(self, *, verb: api.Verb, count: int | None) -> bool:
        self.needed_at = self.proxy.operations()
        return True

    def ask(self, preview: api.Preview) -> bool:
        self.shown = preview
        return self.answer


def test_confirm_is_asked_before_any_stop_and_no_sends_nothing(batch, proxy) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(2)]
    confirm = Asking(proxy, answer=False)
    with pytest.raises(api.UsageError, match="not confirmed; nothing sent") as raised:
        api.stop([*jobs, jobs[0]], provider="aws-batch", endpoint_url=proxy.url, confirm=confirm)
    assert raised.value.exit_code == api.ExitCode.USAGE
    assert confirm.needed_at == []  # decided before the first request
    assert confirm.shown is not None
    assert (confirm.shown.count, confirm.shown.by_filter) == (2, False)  # duplicates gone
    assert [ref.job_id for ref in confirm.shown.refs] == jobs
    assert "canceljob" not in proxy.operations()


def test_confirm_previews_a_selection_with_its_scope(batch, proxy) -> None:
    job = batch.add_job("RUNNABLE", queue="prod-q")
    confirm = Asking(proxy, answer=True)
    report = api.stop(
        select=api.Filters(queue="prod-q", all=True),
        provider="aws-batch",
        endpoint_url=proxy.url,
        confirm=confirm,
    )
    assert confirm.needed_at == []
    assert confirm.shown is not None
    assert confirm.shown.by_filter
    assert [j.job_id for j in confirm.shown.listed] == [job]
    assert confirm.shown.scope == "unfinished jobs in aws-batch queue prod-q, us-east-1"
    assert [r.outcome for r in report.results] == [api.Outcome.CANCELLED]


def test_an_interrupt_set_before_the_run_sends_nothing_and_is_130(batch, proxy) -> None:
    interrupt = threading.Event()
    interrupt.set()
    report = api.stop(
        [batch.add_job("RUNNABLE")], provider="aws-batch", endpoint_url=proxy.url,
        interrupt=interrupt,
    )  # fmt: skip
    assert [r.outcome for r in report.results] == [api.Outcome.SKIPPED]
    assert report.exit_code == api.ExitCode.INTERRUPTED
    assert "canceljob" not in proxy.operations()


def test_status_gives_typed_rows(batch) -> None:
    job = batch.add_job("RUNNABLE", name="etl")
    found, unknown = api.status([job, UNKNOWN_JOB], provider="aws-batch")
    assert (found.job_id, found.state, found.phase, found.name) == (
        job,
        "RUNNABLE",
        "queued",
        "etl",
    )
    assert found.found
    assert found.region == "us-east-1"
    assert (unknown.state, unknown.phase, unknown.found) == (None, "not-found", False)
    assert unknown.message == "aws-batch does not know this job"


def test_references_from_a_stream(batch) -> None:
    job = batch.add_job("RUNNABLE")
    stdin = io.BytesIO(f"# tonight's\n{job}\tRUNNABLE\n".encode())
    (row,) = api.status("-", provider="aws-batch", stdin=stdin)
    assert row.job_id == job
    with pytest.raises(api.UsageError, match="pass stdin="):
        api.status(["-"], provider="aws-batch")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (api.stop, "no jobs given"),
        (lambda: api.stop([UNKNOWN_JOB], select=api.Filters(all=True)), "not both"),
        (lambda: api.stop([UNKNOWN_JOB], verb="kill"), "unknown verb 'kill'"),
        (lambda: api.stop([UNKNOWN_JOB], timeout=0.5), "timeout must be at least 1s"),
        (lambda: api.stop([UNKNOWN_JOB], poll_interval="1 second"), "is not a duration"),
        (lambda: api.stop([UNKNOWN_JOB], concurrency=0), "concurrency must be"),
        (lambda: api.stop([UNKNOWN_JOB], rate=float("nan")), "rate must be"),
        (lambda: api.stop([UNKNOWN_JOB]), "no provider for job"),
        (lambda: api.stop(select=api.Filters(all=True)), "a filter selection needs a provider"),
        (lambda: api.list_jobs("aws-batch", statuses=["DONE"]), "aws-batch has no such state"),
        (lambda: api.status([]), "no jobs given"),
    ],
)
def test_usage_errors_are_raised_before_any_request(proxy, call, message) -> None:
    with pytest.raises(api.UsageError, match=message) as raised:
        call()
    assert raised.value.exit_code == 2
    assert proxy.operations() == []


def test_configuration_errors_carry_their_exit_code(tmp_path, monkeypatch) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[nonsense]\n")
    monkeypatch.setenv("JOBCTL_CONFIG", str(config))
    with pytest.raises(api.ConfigError) as raised:
        api.stop([UNKNOWN_JOB], provider="aws-batch")
    assert isinstance(raised.value, api.JobctlError)
    assert raised.value.exit_code == api.ExitCode.CONFIG


def test_the_public_names_are_declared_and_versioned() -> None:
    assert api.API_VERSION == 1
    assert sorted(api.__all__) == sorted(set(api.__all__))
    assert all(hasattr(api, name) for name in api.__all__)
    assert {"stop", "status", "list_jobs", "Report", "JobStatus", "Filters"} <= set(api.__all__)


def test_a_callback_that_raises_costs_a_warning_not_the_report(batch, tmp_path) -> None:
    """Stops already sent are verified, reported and audited whatever the caller's code does."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    warnings: list[str] = []

    def explode(result: api.Result) -> None:
        raise RuntimeError("the caller's bug")

    report = api.stop(jobs, provider="aws-batch", on_result=explode, on_warning=warnings.append)
    assert [r.outcome for r in report.results] == [api.Outcome.CANCELLED] * 3
    assert report.exit_code == api.ExitCode.OK
    assert warnings
    assert warnings[0] == "on_result callback failed: RuntimeError: the caller's bug"
    finals = [line for line in audit_lines(tmp_path) if line["record"] == "final"]
    assert sorted(line["job"] for line in finals) == sorted(jobs)
    assert all(batch.job(job).stop for job in jobs)
