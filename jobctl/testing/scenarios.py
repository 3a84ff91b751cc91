"""The scenarios every provider passes, as pytest mixin classes (fsspec's abstract tests).

Subclass `ProviderConformance` (or some of the mixins) in a test module and give it a `world`
fixture returning a `World` for your provider; pytest collects the rest. The runs go through
jobctl's real command line, in-process, with JSON output, the audit log and TAB's cache in
`tmp_path`, and no jobctl settings from the environment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobctl.models import ActionKind
from jobctl.providers.base import Provider, ProviderConfig
from jobctl.testing import contract
from jobctl.testing.world import Runner, World, runner

# The fields of one result in the JSON envelope (schema_version 1).
RESULT_FIELDS = frozenset(
    {
        "provider",
        "region",
        "job_id",
        "target",
        "target_kind",
        "action",
        "operation",
        "outcome",
        "state_before",
        "state_after",
        "message",
        "request_id",
        "request",
        "children",
        "extra",
    }
)
STOPPED_OR_STOPPING = {"cancelled", "terminated", "stopping"}


class _Base:
    @pytest.fixture
    def world(self) -> World:
        msg = "a conformance class needs a `world` fixture returning the provider's World"
        raise NotImplementedError(msg)

    @pytest.fixture(autouse=True)
    def audit_log(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        """No jobctl settings from outside; the audit log and TAB's cache in tmp_path."""
        for name in ("JOBCTL_PROVIDER", "JOBCTL_OUTPUT", "JOBCTL_CONFIG", "JOBCTL_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "jobctl-config"))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "jobctl-cache"))
        log = tmp_path / "jobctl-audit.jsonl"
        monkeypatch.setenv("JOBCTL_AUDIT_LOG", str(log))
        return log

    @pytest.fixture
    def jobctl(
        self, world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> Runner:
        return runner(world, capsys, monkeypatch)

    @pytest.fixture
    def provider(self, world: World) -> Provider:
        from jobctl import providers

        config = ProviderConfig(region=world.region, endpoint_url=world.endpoint_url)
        return providers.create(world.provider, config)


class PlanAndJudge(_Base):
    """The pure side: plan() against INFO.matrix, judge() against the rules, reasons."""

    def test_the_matrix_shown_is_what_plan_does(self, provider: Provider) -> None:
        contract.check_matrix(provider)

    def test_a_state_not_mapped_is_never_acted_on(self, provider: Provider) -> None:
        contract.check_unknown_states_refused(provider)

    def test_judge_never_claims_a_stop_that_did_not_happen(self, provider: Provider) -> None:
        contract.check_judge(provider)

    def test_the_reason_goes_where_info_says(self, provider: Provider) -> None:
        contract.check_reasons(provider)

    def test_notices_are_single_lines(self, provider: Provider) -> None:
        contract.check_notices_are_lines(provider)


class StopScenarios(_Base):
    """cancel and terminate in every phase, through the command line."""

    def test_terminate_stops_queued_and_running_jobs(self, jobctl: Runner, world: World) -> None:
        queued, running = world.add("queued"), world.add("running")
        ran = jobctl("terminate", queued, running)
        assert ran.code == 0, ran.stderr
        assert {r["outcome"] for r in ran.by_job().values()} <= {"terminated", "stopping"}
        assert world.stopped(queued)
        assert world.stopped(running)

    def test_cancel_stops_a_queued_job(self, jobctl: Runner, world: World) -> None:
        job = world.add("queued")
        ran = jobctl("cancel", job, "-r", "conformance")
        assert ran.code == 0, ran.stderr
        assert ran.by_job()[job]["outcome"] in {"cancelled", "stopping"}
        assert world.stopped(job)

    def test_cancel_of_a_running_job_does_what_the_matrix_says(
        self, jobctl: Runner, world: World, provider: Provider
    ) -> None:
        job = world.add("running")
        base, forced = contract.read_cell(provider.info.matrix["cancel"]["running"])
        ran = jobctl("cancel", job)
        if base.kind is ActionKind.REFUSE:
            assert ran.code == 1, ran.stderr
            assert ran.by_job()[job]["outcome"] == "refused"
            assert world.stop_requests() == 0
            assert not world.stopped(job)
            assert forced is not None, "a refused cancel says what --force does"
            ran = jobctl("cancel", "--force", job)
        assert ran.code == 0, ran.stderr
        assert ran.by_job()[job]["outcome"] in STOPPED_OR_STOPPING
        assert ran.by_job()[job]["operation"] == (forced or base).operation

    def test_a_finished_job_gets_no_stop_request(self, jobctl: Runner, world: World) -> None:
        job = world.add("finished")
        for verb in ("cancel", "terminate"):
            ran = jobctl(verb, job)
            assert ran.code == 0, ran.stderr
            assert ran.by_job()[job]["outcome"] == "already-finished"
        assert world.stop_requests() == 0

    def test_an_unknown_job_is_not_found(self, jobctl: Runner, world: World) -> None:
        ran = jobctl("terminate", world.unknown_id)
        assert ran.code == 1
        assert ran.by_job()[world.unknown_id]["outcome"] == "not-found"
        assert jobctl("terminate", "--ignore-not-found", world.unknown_id).code == 0
        assert world.stop_requests() == 0

    def test_some_ok_and_some_failed_is_exit_3(self, jobctl: Runner, world: World) -> None:
        ran = jobctl("terminate", world.add("queued"), world.unknown_id)
        assert ran.code == 3
        assert ran.json()["summary"] == {"total": 2, "ok": 1, "failed": 1}

    def test_dry_run_plans_and_sends_nothing(self, jobctl: Runner, world: World) -> None:
        queued, running = world.add("queued"), world.add("running")
        ran = jobctl("terminate", "-n", queued, running)
        assert ran.code == 0, ran.stderr
        assert {r["outcome"] for r in ran.by_job().values()} == {"planned"}
        assert all(r["request"] and r["operation"] for r in ran.by_job().values())
        assert world.stop_requests() == 0
        assert not world.stopped(queued)

    def test_bad_input_exits_2_before_any_request(
        self, jobctl: Runner, world: World, provider: Provider
    ) -> None:
        job = world.add("queued")
        seen = world.requests()
        bad = [
            ("terminate", job, "--reason-code", "lower_case"),
            ("terminate", job, "-r", "two\nlines"),
            ("terminate", job, "-r", "bidi \u202e trick"),
            ("terminate", job, "has space"),
            ("terminate", job, ""),
        ]
        if provider.info.reason_limit is not None:
            bad.append(("terminate", job, "-r", "x" * (provider.info.reason_limit + 1)))
        for args in bad:
            ran = jobctl(*args)
            assert ran.code == 2, (args, ran.stderr)
            assert ran.stdout == ""
            assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
        assert world.requests() == seen
        assert not world.stopped(job)

    def test_each_result_has_the_envelope_fields(self, jobctl: Runner, world: World) -> None:
        ran = jobctl("cancel", world.add("queued"), world.add("finished"), world.unknown_id)
        document = ran.json()
        assert (document["schema_version"], document["command"]) == (1, "cancel")
        for result in document["results"]:
            assert set(result) == RESULT_FIELDS, sorted(result)
            assert (result["provider"], result["action"]) == (world.provider, "cancel")
            assert result["target"] is None


class StatusAndList(_Base):
    """status of jobs in every phase; list and its phase filters."""

    def test_status_gives_each_jobs_phase(self, jobctl: Runner, world: World) -> None:
        jobs = {phase: world.add(phase) for phase in ("queued", "running", "finished")}
        ran = jobctl("status", *jobs.values())
        assert ran.code == 0, ran.stderr
        rows = ran.by_job()
        assert {phase: rows[job]["phase"] for phase, job in jobs.items()} == {p: p for p in jobs}
        unknown = jobctl("status", world.unknown_id)
        assert unknown.code == 1
        assert unknown.by_job()[world.unknown_id]["phase"] == "not-found"

    def test_list_filters_by_phase(self, jobctl: Runner, world: World) -> None:
        jobs = {phase: world.add(phase) for phase in ("queued", "running", "finished")}

        def listed(*args: str) -> set[str]:
            ran = jobctl("list", *args)
            assert ran.code == 0, ran.stderr
            return set(ran.by_job())

        queued = listed("--status", "queued")
        assert jobs["queued"] in queued
        assert not {jobs["running"], jobs["finished"]} & queued
        running = listed("--status", "running")
        assert jobs["running"] in running
        assert not {jobs["queued"], jobs["finished"]} & running
        unfinished = listed()
        assert {jobs["queued"], jobs["running"]} <= unfinished
        assert jobs["finished"] not in unfinished


class Selections(_Base):
    """Stopping what a filter selects, and only that."""

    def test_a_selection_stops_what_it_matches_only(self, jobctl: Runner, world: World) -> None:
        queued, running = world.add("queued"), world.add("running")
        ran = jobctl("terminate", "--status", "queued", "--yes")
        assert ran.code == 0, ran.stderr
        assert queued in ran.by_job()
        assert running not in ran.by_job()
        assert world.stopped(queued)
        assert not world.stopped(running)

    def test_a_selection_without_yes_and_terminal_sends_nothing(
        self, jobctl: Runner, world: World
    ) -> None:
        queued = world.add("queued")
        ran = jobctl("terminate", "--status", "queued")
        assert ran.code == 2
        assert "--yes" in ran.stderr
        assert world.stop_requests() == 0
        assert not world.stopped(queued)


class Waiting(_Base):
    """--wait turns `stopping` into the final outcome, or says it timed out (exit 5)."""

    def test_wait_reports_the_final_outcome(self, jobctl: Runner, world: World) -> None:
        if not world.delay_stops(2):
            pytest.skip(f"{world.provider}'s stops take effect at once")
        job = world.add("queued")
        ran = jobctl("terminate", "--wait", "--poll-interval", "0.1s", job)
        assert ran.code == 0, ran.stderr
        result = ran.by_job()[job]
        assert result["outcome"] == "terminated"
        assert world.stopped(job)

    def test_a_wait_that_times_out_is_exit_5(self, jobctl: Runner, world: World) -> None:
        if not world.hold_stops():
            pytest.skip(f"{world.provider}'s stops cannot be held")
        job = world.add("queued")
        ran = jobctl("terminate", "--wait", "--timeout", "1s", "--poll-interval", "0.1s", job)
        assert ran.code == 5, ran.stderr
        result = ran.by_job()[job]
        assert result["outcome"] == "stopping"
        assert "wait_timed_out" not in result["extra"]
        assert "--wait timed out after 1s" in ran.stderr


class Auditing(_Base):
    """The audit log: a request, an answer and a final record per stop sent; nothing for a
    dry run."""

    def test_each_stop_sent_has_its_request_answer_and_final_record(
        self, jobctl: Runner, world: World, audit_log: Path
    ) -> None:
        job = world.add("queued")
        ran = jobctl("terminate", job, "-r", "conformance audit")
        assert ran.code == 0, ran.stderr
        told = ran.by_job()[job]
        records = _records(audit_log)
        assert [r["record"] for r in records] == ["request", "answer", "final"]
        assert records[0]["outcome"] is None  # written before the request left
        for record in records:
            assert (record["provider"], record["job"]) == (world.provider, job)
            assert (record["verb"], record["reason"]) == ("terminate", "conformance audit")
            assert record["operation"] == told["operation"]
        assert records[-1]["outcome"] == told["outcome"]

    def test_dry_run_and_no_audit_write_nothing(
        self, jobctl: Runner, world: World, audit_log: Path
    ) -> None:
        job = world.add("queued")
        assert jobctl("terminate", "-n", job).code == 0
        assert jobctl("terminate", "--no-audit", job).code == 0
        assert _records(audit_log) == []


class ProviderConformance(
    PlanAndJudge, StopScenarios, StatusAndList, Selections, Waiting, Auditing
):
    """Every scenario; subclass it and give it a `world` fixture."""


def _records(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
