"""aws-batch end to end: the CLI, real boto3, moto's server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

BASE = ("-p", "aws-batch", "-o", "json")
# A well-formed job id no job has.
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


def test_cancel_runnable_job_ends_failed_with_the_reason(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, job, "-r", "bad input data")
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert result["outcome"] == "cancelled"
    assert result["operation"] == "CancelJob"
    assert (result["state_before"], result["state_after"]) == ("RUNNABLE", "FAILED")
    assert batch.job(job).job_stopped_reason == "bad input data"


def test_cancel_running_job_is_refused_and_nothing_is_sent(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNING")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 1
    result = ran.by_job()[job]
    assert result["outcome"] == "refused"
    assert "would answer 200 and do nothing" in result["message"]
    assert proxy.actions() == ["describejobs"]
    assert batch.job(job).stop is False


def test_cancel_running_job_with_force_terminates_it(cli, batch) -> None:
    job = batch.add_job("RUNNING")
    ran = cli("cancel", *BASE, "--force", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"], result["state_after"]) == (
        "cancelled",
        "TerminateJob",
        "FAILED",
    )


@pytest.mark.parametrize("state", ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"])
def test_terminate_stops_every_unfinished_state(cli, batch, state) -> None:
    job = batch.add_job(state)
    ran = cli("terminate", *BASE, job, "--reason", "drain")
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("terminated", "TerminateJob")
    assert batch.job(job).status == "FAILED"


@pytest.mark.parametrize("verb", ["cancel", "terminate"])
@pytest.mark.parametrize("state", ["SUCCEEDED", "FAILED"])
def test_finished_jobs_get_no_call(cli, batch, proxy, verb, state) -> None:
    job = batch.add_job(state)
    ran = cli(verb, *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 0
    assert ran.by_job()[job]["outcome"] == "already-finished"
    assert proxy.actions() == ["describejobs"]


def test_stop_accepted_but_not_final_is_stopping(cli, batch) -> None:
    batch.stop_delay = 30.0  # RUNNABLE waits for the head of the queue
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, job)
    assert ran.code == 0
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("stopping", "RUNNABLE")
    assert "head" in result["message"]


def test_mixed_batch_is_partial_exit_3(cli, batch) -> None:
    queued, running, done = (batch.add_job(s) for s in ("RUNNABLE", "RUNNING", "SUCCEEDED"))
    ran = cli("cancel", *BASE, queued, running, done)
    assert ran.code == 3
    assert {j: r["outcome"] for j, r in ran.by_job().items()} == {
        queued: "cancelled",
        running: "refused",
        done: "already-finished",
    }
    assert ran.json()["summary"] == {"total": 3, "ok": 2, "failed": 1}
    assert ran.json()["exit_code"] == 3


def test_not_found_fails_unless_ignored(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, job, UNKNOWN_JOB)
    assert ran.code == 3
    assert ran.by_job()[UNKNOWN_JOB]["outcome"] == "not-found"
    other = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, other, UNKNOWN_JOB, "--ignore-not-found")
    assert ran.code == 0
    assert ran.by_job()[UNKNOWN_JOB]["outcome"] == "not-found"
    only_missing = cli("cancel", *BASE, UNKNOWN_JOB)
    assert only_missing.code == 1


def test_dry_run_shows_exact_requests_and_sends_none(cli, batch, proxy) -> None:
    queued, running = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    ran = cli(
        "cancel",
        *BASE,
        "--endpoint-url",
        proxy.url,
        "-n",
        "--force",
        "--reason-code",
        "DATA_BUG",
        "-r",
        "bad",
        queued,
        running,
    )
    assert ran.code == 0
    results = ran.by_job()
    assert results[queued]["outcome"] == "planned"
    assert results[queued]["operation"] == "CancelJob"
    assert results[queued]["request"] == {"jobId": queued, "reason": "DATA_BUG: bad"}
    assert results[running]["request"] == {"jobId": running, "reason": "DATA_BUG: bad"}
    assert results[running]["operation"] == "TerminateJob"
    assert set(proxy.actions()) == {"describejobs"}
    assert batch.job(queued).stop is False


def test_default_reason_names_the_user(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    cli("cancel", *BASE, job)
    assert batch.job(job).job_stopped_reason.startswith("jobctl: cancel by ")


def test_array_child_ids_and_arns(cli, batch) -> None:
    parent = batch.add_job("RUNNABLE", array_size=2)
    arn = f"arn:aws:batch:us-east-1:123456789012:job/{batch.add_job('RUNNABLE')}"
    ran = cli("terminate", "-o", "json", f"aws-batch:{parent}:1", arn)
    assert ran.code == 0, ran.stderr
    outcomes = [(r["job_id"], r["outcome"], r["region"]) for r in ran.json()["results"]]
    assert outcomes[0] == (f"{parent}:1", "terminated", "us-east-1")
    assert outcomes[1][1:] == ("terminated", "us-east-1")


def test_ids_from_stdin(cli, batch) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    data = ("# to stop\n" + "\n".join(jobs) + "\n\n").encode()
    ran = cli("cancel", *BASE, "-", stdin=data)
    assert ran.code == 0
    assert [r["job_id"] for r in ran.json()["results"]] == jobs


def test_json_envelope_is_exact(cli, batch) -> None:
    job = batch.add_job("SUCCEEDED", name="nightly")
    document = cli("cancel", *BASE, job).json()
    assert document == {
        "schema_version": 1,
        "command": "cancel",
        "results": [
            {
                "provider": "aws-batch",
                "region": "us-east-1",
                "job_id": job,
                "target": None,
                "target_kind": None,
                "action": "cancel",
                "operation": None,
                "outcome": "already-finished",
                "state_before": "SUCCEEDED",
                "state_after": None,
                "message": "already SUCCEEDED; nothing sent",
                "request_id": None,
                "request": None,
                "children": None,
                "extra": {},
            }
        ],
        "summary": {"total": 1, "ok": 1, "failed": 0},
        "exit_code": 0,
    }


def test_ndjson_streams_results_then_summary(cli, batch) -> None:
    a, b = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    ran = cli("cancel", "-p", "aws-batch", "-o", "ndjson", a, b)
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert {line["job_id"]: line["outcome"] for line in lines[:2]} == {a: "cancelled", b: "refused"}
    assert lines[2] == {"summary": {"total": 2, "ok": 1, "failed": 1}, "exit_code": 3}


def test_plain_output_is_tab_separated_without_markup(cli, batch) -> None:
    job = batch.add_job("RUNNING")
    ran = cli("cancel", "-p", "aws-batch", job)  # stdout is not a terminal: plain
    fields = ran.stdout.rstrip("\n").split("\t")
    assert fields[:7] == [job, "aws-batch", "us-east-1", "refused", "RUNNING", "-", "-"]
    assert "\x1b" not in ran.stdout


def test_table_output(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "-o", "table", job)
    assert "OUTCOME" in ran.stdout
    assert "cancelled" in ran.stdout
    assert "1 job, 1 ok" in ran.stdout


def test_status_shows_state_and_phase(cli, batch) -> None:
    a, b = batch.add_job("RUNNABLE", name="etl"), batch.add_job("RUNNING")
    ran = cli("status", "-p", "aws-batch", "-o", "json", a, b, UNKNOWN_JOB)
    assert ran.code == 3
    rows = {r["job_id"]: r for r in ran.json()["results"]}
    assert (rows[a]["state"], rows[a]["phase"], rows[a]["name"]) == ("RUNNABLE", "queued", "etl")
    assert rows[b]["phase"] == "running"
    assert rows[UNKNOWN_JOB]["phase"] == "not-found"


def test_many_jobs_use_concurrency_and_all_get_outcomes(cli, batch, proxy, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(60)]
    # The proxy holds each stop 0.2 s: stops that reach it less than 0.2 s apart were in
    # flight together; one at a time, each would arrive after the answer to the last.
    held = 0.2
    proxy.delays["canceljob"] = held
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "--yes", *jobs)
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == jobs
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    arrivals = sorted(s.at for s in proxy.seen if s.operation == "canceljob")
    assert len(arrivals) == len(jobs)
    together = max(sum(1 for b in arrivals if a <= b < a + held) for a in arrivals)
    # Several at once, and never more than Batch's default concurrency (8).
    assert 2 <= together <= 8


def test_dry_run_shows_the_native_request_in_text_output_too(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "-n", "--reason-code", "OPS", "-r", "drain", job)
    assert ran.code == 0
    message = ran.stdout.rstrip("\n").split("\t")[7]
    assert message == f'CancelJob {{"jobId": "{job}", "reason": "OPS: drain"}}'
