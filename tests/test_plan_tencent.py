"""The tencent rows of the matrix, as a table."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobctl.models import ActionKind, JobState, StopOptions, Verb
from jobctl.providers.tencent import INFO, plan

SEND, NOOP, REFUSE = ActionKind.SEND, ActionKind.NOOP, ActionKind.REFUSE
QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE")
RUNNING = ("STARTING", "RUNNING")
FINISHED = ("SUCCEED", "FAILED", "FAILED_INTERRUPTED")


def job(state: str) -> JobState:
    return JobState(job_id="job-rybewp57", native_state=state, phase=INFO.phase_of(state))


@pytest.mark.parametrize(
    ("verb", "force", "state", "kind"),
    [
        *[(Verb.CANCEL, f, s, SEND) for s in QUEUED for f in (False, True)],
        *[(Verb.CANCEL, False, s, REFUSE) for s in RUNNING],
        *[(Verb.CANCEL, True, s, SEND) for s in RUNNING],
        *[(v, f, s, NOOP) for v in Verb for s in FINISHED for f in (False, True)],
        *[(Verb.TERMINATE, f, s, SEND) for s in (*QUEUED, *RUNNING) for f in (False, True)],
        (Verb.TERMINATE, False, "SOMETHING_NEW", REFUSE),
        (Verb.CANCEL, True, "SOMETHING_NEW", REFUSE),
    ],
)
def test_matrix(verb: Verb, force: bool, state: str, kind: ActionKind) -> None:
    action = plan(job=job(state), options=StopOptions(verb=verb, reason="why", force=force))
    assert action.kind is kind
    if kind is SEND:
        assert action.operation == "TerminateJob"
        # TerminateJob takes JobId and nothing else: the reason travels beside the request.
        assert action.request == {"JobId": "job-rybewp57"}
        assert action.extra == {"reason": "why"}
    else:
        assert (action.operation, action.request) == (None, {})


def test_every_native_state_has_a_phase() -> None:
    assert {str(p) for p in INFO.state_map.values()} == {"queued", "running", "finished"}
    assert set(INFO.state_map) == {*QUEUED, *RUNNING, *FINISHED}
    assert INFO.success_states == frozenset({"SUCCEED"})


def test_reason_code_is_kept_beside_the_request() -> None:
    options = StopOptions(verb=Verb.TERMINATE, reason="bad input", reason_code="DATA_BUG")
    action = plan(job=job("RUNNING"), options=options)
    assert action.request == {"JobId": "job-rybewp57"}
    assert action.extra == {"reason": "bad input", "reason_code": "DATA_BUG"}


def test_submitted_says_it_will_be_retried() -> None:
    action = plan(job=job("SUBMITTED"), options=StopOptions(verb=Verb.CANCEL, reason="x"))
    assert "leaves SUBMITTED" in action.message


def test_refusal_says_why_and_how() -> None:
    action = plan(job=job("RUNNING"), options=StopOptions(verb=Verb.CANCEL, reason="x"))
    assert "no cancel for a started job" in action.message
    assert "--force" in action.message


def test_force_escalation_is_said() -> None:
    options = StopOptions(verb=Verb.CANCEL, reason="x", force=True)
    assert "--force" in plan(job=job("STARTING"), options=options).message


@pytest.mark.parametrize("good", ["job-rybewp57", "job-00000000", "job-a1b2c3d4"])
def test_job_id_pattern_accepts(good: str) -> None:
    assert INFO.job_id_pattern.fullmatch(good)


@pytest.mark.parametrize(
    "bad", ["job-RYBEWP57", "job-rybewp5", "job-rybewp578", "rybewp57", "job_rybewp57", ""]
)
def test_job_id_pattern_refuses(bad: str) -> None:
    assert INFO.job_id_pattern.fullmatch(bad) is None


def test_info_does_not_import_the_sdk() -> None:
    code = (
        "import sys, jobctl.providers.tencent as t; t.INFO.phase_of('RUNNING'); "
        "assert 'tencentcloud' not in sys.modules, 'SDK imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
