"""The aws-iot rows of the matrix, as tables; what IoT's answers become; the notices."""

from __future__ import annotations

import datetime as dt

import pytest

from jobctl.models import Action, ActionKind, JobRef, JobState, PlannedStop, StopOptions, Verb
from jobctl.providers.aws_iot import (
    EXECUTION_STATE_MAP,
    INFO,
    AwsIotProvider,
    execution_state,
    job_state,
    plan,
)
from jobctl.providers.base import ProviderConfig

SEND, NOOP, REFUSE = ActionKind.SEND, ActionKind.NOOP, ActionKind.REFUSE
JOB_FINISHED = ("CANCELED", "COMPLETED", "DELETION_IN_PROGRESS")
EXECUTION_FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED")


def job(state: str, **extra: object) -> JobState:
    return JobState(job_id="fw-1", native_state=state, phase=INFO.phase_of(state), extra=extra)


def execution(state: str) -> JobState:
    phase = EXECUTION_STATE_MAP[state]
    return JobState(job_id="fw-1", native_state=state, phase=phase, extra={"thing": "dev-1"})


JOB = JobRef("aws-iot", "fw-1")
ON_DEV_1 = JobRef("aws-iot", "fw-1", target="dev-1")


def options(
    verb: Verb = Verb.CANCEL, *, force: bool = False, reason_code: str | None = None
) -> StopOptions:
    return StopOptions(verb=verb, reason="bad firmware", force=force, reason_code=reason_code)


@pytest.mark.parametrize(
    ("verb", "force", "state", "kind", "sent_force"),
    [
        (Verb.CANCEL, False, "SCHEDULED", SEND, False),
        (Verb.CANCEL, False, "IN_PROGRESS", SEND, False),
        (Verb.CANCEL, True, "SCHEDULED", SEND, True),
        (Verb.CANCEL, True, "IN_PROGRESS", SEND, True),
        *[
            (Verb.TERMINATE, f, s, SEND, True)
            for s in ("SCHEDULED", "IN_PROGRESS")
            for f in (False, True)
        ],
        *[(v, f, s, NOOP, None) for v in Verb for f in (False, True) for s in JOB_FINISHED],
        # Not an IoT job status (moto's new jobs show it): never acted on.
        (Verb.TERMINATE, False, "QUEUED", REFUSE, None),
    ],
)
def test_job_matrix(
    verb: Verb, force: bool, state: str, kind: ActionKind, sent_force: bool | None
) -> None:
    action = plan(ref=JOB, job=job(state), options=options(verb, force=force))
    assert action.kind is kind
    if kind is SEND:
        assert action.operation == "CancelJob"
        assert action.request == {"jobId": "fw-1", "force": sent_force, "comment": "bad firmware"}
    else:
        assert (action.operation, action.request) == (None, {})


@pytest.mark.parametrize(
    ("verb", "force", "state", "kind", "sent_force"),
    [
        (Verb.CANCEL, False, "QUEUED", SEND, False),
        (Verb.CANCEL, False, "IN_PROGRESS", REFUSE, None),
        (Verb.CANCEL, True, "QUEUED", SEND, True),
        (Verb.CANCEL, True, "IN_PROGRESS", SEND, True),
        *[(Verb.TERMINATE, False, s, SEND, True) for s in ("QUEUED", "IN_PROGRESS")],
        *[(v, f, s, NOOP, None) for v in Verb for f in (False, True) for s in EXECUTION_FINISHED],
    ],
)
def test_execution_matrix(
    verb: Verb, force: bool, state: str, kind: ActionKind, sent_force: bool | None
) -> None:
    action = plan(ref=ON_DEV_1, job=execution(state), options=options(verb, force=force))
    assert action.kind is kind
    if kind is SEND:
        assert action.operation == "CancelJobExecution"
        # Only fields CancelJobExecution has: no comment, no reasonCode, no expectedVersion.
        assert action.request == {"jobId": "fw-1", "thingName": "dev-1", "force": sent_force}
        assert action.extra == {"reason": "bad firmware"}
    assert "dev-1" in action.message


def test_reason_code_is_its_own_field() -> None:
    action = plan(ref=JOB, job=job("SCHEDULED"), options=options(reason_code="DEPLOY_ROLLBACK"))
    assert action.request == {
        "jobId": "fw-1",
        "force": False,
        "comment": "bad firmware",
        "reasonCode": "DEPLOY_ROLLBACK",
    }


def test_reason_and_code_an_execution_cancel_cannot_carry_stay_in_the_result() -> None:
    coded = options(Verb.TERMINATE, reason_code="DEPLOY_ROLLBACK")
    action = plan(ref=ON_DEV_1, job=execution("QUEUED"), options=coded)
    assert action.request == {"jobId": "fw-1", "thingName": "dev-1", "force": True}
    assert action.extra == {"reason": "bad firmware", "reason_code": "DEPLOY_ROLLBACK"}


def test_cancel_in_progress_says_started_executions_keep_running() -> None:
    action = plan(ref=JOB, job=job("IN_PROGRESS"), options=options())
    assert "keep running" in action.message
    assert "--force" in action.message


def test_cancel_in_progress_execution_without_force_says_how() -> None:
    action = plan(ref=ON_DEV_1, job=execution("IN_PROGRESS"), options=options())
    assert "InvalidStateTransition" in action.message
    assert "--force" in action.message


def test_comment_with_an_invisible_format_character_is_never_sent() -> None:
    # U+200B passes jobctl's shared text check, but not IoT's comment pattern [^\p{C}]+.
    bad = StopOptions(verb=Verb.CANCEL, reason="zero\u200bwidth")
    action = plan(ref=JOB, job=job("SCHEDULED"), options=bad)
    assert action.kind is REFUSE
    assert "\\u200b" in action.message


def test_id_and_thing_patterns() -> None:
    assert INFO.job_id_pattern.fullmatch("a" * 64)
    assert not INFO.job_id_pattern.fullmatch("a" * 65)
    assert not INFO.job_id_pattern.fullmatch("fw:1")
    assert INFO.target_pattern is not None
    assert INFO.target_pattern.fullmatch("arn-like:thing_1-" + "x" * 111)
    assert not INFO.target_pattern.fullmatch("x" * 129)
    assert not INFO.target_pattern.fullmatch("dev 1")


def test_job_answer_becomes_state() -> None:
    created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    state = job_state(
        {
            "jobId": "fw-1",
            "status": "CANCELED",
            "reasonCode": "DEPLOY_ROLLBACK",
            "comment": "bad firmware",
            "isConcurrent": False,
            "createdAt": created,
            "jobProcessDetails": {"numberOfInProgressThings": 3, "numberOfQueuedThings": 0},
        }
    )
    assert (state.native_state, state.phase, state.succeeded) == ("CANCELED", "finished", False)
    assert state.created_at == created.timestamp()
    assert state.extra == {
        "in_progress_executions": 3,
        "queued_executions": 0,
        "is_concurrent": False,
        "status_reason": "DEPLOY_ROLLBACK: bad firmware",
    }


def test_running_job_has_nothing_still_running_after_it() -> None:
    state = job_state(
        {
            "jobId": "fw-1",
            "status": "IN_PROGRESS",
            "jobProcessDetails": {"numberOfInProgressThings": 2},
        }
    )
    assert state.phase == "running"
    assert "still_running" not in state.extra
    assert job_state({"jobId": "fw-1", "status": "COMPLETED"}).succeeded


def test_execution_answer_becomes_state() -> None:
    state = execution_state(
        {"status": "TIMED_OUT", "versionNumber": 4}, job_id="fw-1", thing="dev-1"
    )
    assert (state.job_id, state.native_state, state.phase) == ("fw-1", "TIMED_OUT", "finished")
    assert state.extra == {"thing": "dev-1", "version": 4}
    assert execution_state({"status": "SUCCEEDED"}, job_id="fw-1", thing="d").succeeded


def stop(ref: JobRef, action: Action) -> PlannedStop:
    return PlannedStop(ref, job("IN_PROGRESS"), action)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> AwsIotProvider:
    # A real client; the methods under test make no request with it.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return AwsIotProvider(config=ProviderConfig(region="eu-west-1"))


def test_force_is_warned_about_once(provider: AwsIotProvider) -> None:
    forced = [
        stop(JobRef("aws-iot", f"j{i}"), Action.send("CancelJob", {"force": True}))
        for i in range(3)
    ]
    notices = provider.notices(options=options(Verb.TERMINATE), stops=forced)
    assert len(notices) == 1
    assert "cannot report its status" in notices[0]
    unforced = [stop(JOB, Action.send("CancelJob", {"force": False}))]
    assert provider.notices(options=options(), stops=unforced) == []


def test_reason_on_an_execution_cancel_is_a_notice_unless_it_is_jobctls_default(
    provider: AwsIotProvider,
) -> None:
    stops = [stop(ON_DEV_1, Action.send("CancelJobExecution", {"force": False}))]
    notices = provider.notices(options=options(), stops=stops)
    assert notices == [
        "CancelJobExecution has no comment or reasonCode field: "
        "--reason and --reason-code are kept in the audit log only"
    ]
    default = StopOptions(
        verb=Verb.CANCEL, reason="jobctl: cancel by me@host", reason_is_default=True
    )
    assert provider.notices(options=default, stops=stops) == []
    coded = StopOptions(
        verb=Verb.CANCEL, reason="jobctl: default", reason_is_default=True, reason_code="X"
    )
    assert len(provider.notices(options=coded, stops=stops)) == 1
