"""AWS Batch array jobs, the pure part: child ranges, a parent's children from DescribeJobs, and
a parent's plan and judgement (providers/_batch_arrays.py, providers/_batch_rules.py)."""

from __future__ import annotations

from typing import Any

import pytest

from jobctl.errors import UsageError
from jobctl.models import ActionKind, Children, JobState, Outcome, StopOptions, Verb
from jobctl.providers._batch_arrays import children_of, expand_range
from jobctl.providers.aws_batch import INFO, judge, plan

ID = "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"
OURS = "jobctl: cancel by me@host"
CANCEL, TERMINATE = "CancelJob", "TerminateJob"


def parent(state: str, summary: dict[str, int], size: int | None = None, **extra: Any) -> JobState:
    raw = {"arrayProperties": {"size": size or sum(summary.values()), "statusSummary": summary}}
    return JobState(
        job_id=ID,
        native_state=state,
        phase=INFO.phase_of(state),
        succeeded=state in INFO.success_states,
        extra=extra,
        children=children_of(raw, INFO.phase_of),
    )


def options(verb: Verb = Verb.CANCEL, *, force: bool = False) -> StopOptions:
    return StopOptions(verb=verb, reason=OURS, force=force)


# -- ranges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_id", "expanded"),
    [
        (f"{ID}:0-2", [f"{ID}:0", f"{ID}:1", f"{ID}:2"]),
        (f"{ID}:7-7", [f"{ID}:7"]),
        (f"{ID}:09-10", [f"{ID}:9", f"{ID}:10"]),
        (f"{ID}:9998-9999", [f"{ID}:9998", f"{ID}:9999"]),
        # Not ranges: left to the id check.
        (ID, None),
        (f"{ID}:3", None),
        (f"{ID}#0-3", None),
        ("job-abc", None),
        ("x:job-abc", None),
    ],
)
def test_ranges_expand_to_children(job_id: str, expanded: list[str] | None) -> None:
    assert expand_range(job_id) == expanded


@pytest.mark.parametrize(
    ("job_id", "said"),
    [
        (f"{ID}:3-1", f"runs backwards: START must not be past END; write {ID}:1-3"),
        (f"{ID}:20000-10", "goes past index 9999"),
        (f"{ID}:0-" + "9" * 5000, "goes past index 9999"),
        (f"{ID}:0-10000", "goes past index 9999: an AWS Batch array job has at most 10,000"),
        (f"{ID}:3-", f"malformed array child range '{ID}:3-': write ID:START-END"),
        (f"{ID}:1-2-3", "malformed array child range"),
        ("1d82-aa:0-3", "'1d82-aa' is not an AWS Batch job id; write the array job's UUID"),
    ],
)
def test_bad_ranges_are_refused_in_jobctls_words(job_id: str, said: str) -> None:
    with pytest.raises(UsageError) as refused:
        expand_range(job_id)
    assert said in str(refused.value)


def test_the_expansion_limit_is_one_whole_array() -> None:
    assert INFO.ranges is not None
    assert INFO.ranges.limit == 10_000
    assert len(expand_range(f"{ID}:0-9999") or []) == 10_000


# -- children from DescribeJobs ----------------------------------------------------------------


def test_children_are_counted_by_phase_and_uncounted_ones_are_queued() -> None:
    raw = {
        "arrayProperties": {
            "size": 100,
            "statusSummary": {"RUNNABLE": 30, "RUNNING": 10, "SUCCEEDED": 45, "FAILED": 5},
        }
    }
    children = children_of(raw, INFO.phase_of)
    assert children == Children(
        label="array",
        total=100,
        queued=40,
        running=10,
        finished=50,
        states={"RUNNABLE": 30, "RUNNING": 10, "SUCCEEDED": 45, "FAILED": 5},
    )
    assert children.words() == "array of 100: 40 queued, 10 running, 50 finished"


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"arrayProperties": {"index": 3}},  # a child
        {"arrayProperties": {"size": 3}},  # a listing's summary: no counts
        {"arrayProperties": {"size": "3", "statusSummary": {}}},
    ],
)
def test_only_a_parent_with_a_summary_has_children(raw: dict[str, Any]) -> None:
    assert children_of(raw, INFO.phase_of) is None


def test_a_state_aws_adds_later_is_counted_unknown() -> None:
    raw = {"arrayProperties": {"size": 2, "statusSummary": {"RUNNING": 1, "PAUSED": 1}}}
    children = children_of(raw, INFO.phase_of)
    assert children is not None
    assert (children.running, children.unknown, children.done) == (1, 1, False)
    assert children.words().endswith("1 running, 0 finished, 1 in an unknown state")


# -- a parent's plan ---------------------------------------------------------------------------


def test_a_parent_whose_children_all_ended_gets_no_call_though_it_lags() -> None:
    action = plan(job=parent("PENDING", {"SUCCEEDED": 2, "FAILED": 1}), options=options())
    assert action.kind is ActionKind.NOOP
    assert action.message.startswith("array of 3: 0 queued, 0 running, 3 finished; ")


def test_cancel_of_a_parent_with_running_children_says_what_it_leaves() -> None:
    job = parent("PENDING", {"RUNNABLE": 2, "RUNNING": 1})
    action = plan(job=job, options=options())
    assert (action.kind, action.operation) == (ActionKind.SEND, CANCEL)
    assert "CancelJob stops only the children not started yet" in action.message
    forced = plan(job=job, options=options(force=True))
    assert forced.operation == TERMINATE
    assert terminate_request(forced.request)


def terminate_request(request: Any) -> bool:
    return dict(request) == {"jobId": ID, "reason": OURS}


def test_a_finished_parent_keeps_the_plain_rows_with_its_counts_first() -> None:
    action = plan(job=parent("SUCCEEDED", {"SUCCEEDED": 2}), options=options())
    assert action.kind is ActionKind.NOOP
    assert (
        action.message
        == "array of 2: 0 queued, 0 running, 2 finished; already SUCCEEDED; nothing sent"
    )


# -- a parent's judgement ----------------------------------------------------------------------

QUEUED_PARENT = parent("PENDING", {"RUNNABLE": 2})


@pytest.mark.parametrize(
    ("after", "verb", "operation", "outcome", "said"),
    [
        # Children left: stopping, whatever the parent says.
        (parent("FAILED", {"FAILED": 1, "RUNNABLE": 1}, status_reason=OURS), Verb.CANCEL,
         CANCEL, Outcome.STOPPING, "stop accepted; array of 2: 1 queued, 0 running, 1 finished"),
        (parent("PENDING", {"RUNNING": 2}), Verb.TERMINATE, TERMINATE, Outcome.STOPPING,
         "stop accepted; array of 2: 0 queued, 2 running, 0 finished"),
        # Every child ended: final, though the parent still says PENDING.
        (parent("PENDING", {"FAILED": 2}), Verb.CANCEL, CANCEL, Outcome.CANCELLED,
         "array of 2: 0 queued, 0 running, 2 finished; every child finished (the parent still "
         "says PENDING)"),
        (parent("PENDING", {"SUCCEEDED": 2}), Verb.CANCEL, CANCEL, Outcome.ALREADY_FINISHED,
         "every child succeeded on its own before the stop took effect"),
        # The parent ended too: its own judgement, the counts first.
        (parent("FAILED", {"FAILED": 2}, status_reason=OURS), Verb.TERMINATE, TERMINATE,
         Outcome.TERMINATED, f"array of 2: 0 queued, 0 running, 2 finished; {OURS}"),
        (parent("SUCCEEDED", {"SUCCEEDED": 2}), Verb.CANCEL, CANCEL, Outcome.ALREADY_FINISHED,
         "every child succeeded on its own before the stop took effect"),
    ],
)  # fmt: skip
def test_a_parent_is_final_when_its_children_are(after, verb, operation, outcome, said) -> None:
    judged = judge(before=QUEUED_PARENT, after=after, operation=operation, options=options(verb))
    assert judged.outcome is outcome
    assert said in judged.message


@pytest.mark.parametrize(
    ("before", "after", "outcome", "said"),
    [
        # Every child succeeded: on its own, whatever the parent says, even jobctl's reason.
        ({"RUNNING": 2}, parent("PENDING", {"SUCCEEDED": 2}), Outcome.ALREADY_FINISHED,
         "every child succeeded on its own"),
        ({"RUNNING": 2}, parent("FAILED", {"SUCCEEDED": 2}, status_reason=OURS),
         Outcome.ALREADY_FINISHED, "every child succeeded on its own"),
        # The one FAILED child had failed before the stop: the stop touched none.
        ({"RUNNING": 1, "SUCCEEDED": 8, "FAILED": 1},
         parent("PENDING", {"SUCCEEDED": 9, "FAILED": 1}),
         Outcome.ALREADY_FINISHED, "every child finished on its own"),
        ({"RUNNING": 1, "SUCCEEDED": 8, "FAILED": 1},
         parent("FAILED", {"SUCCEEDED": 9, "FAILED": 1}, status_reason=OURS),
         Outcome.ALREADY_FINISHED, "every child finished on its own"),
        # A child reached FAILED after the stop: the stop's doing, parent PENDING or FAILED.
        ({"RUNNABLE": 1, "SUCCEEDED": 9}, parent("PENDING", {"SUCCEEDED": 9, "FAILED": 1}),
         Outcome.CANCELLED, "every child finished (the parent still says PENDING)"),
        ({"RUNNABLE": 1, "SUCCEEDED": 9},
         parent("FAILED", {"SUCCEEDED": 9, "FAILED": 1}, status_reason=OURS),
         Outcome.CANCELLED, OURS),
    ],
)  # fmt: skip
def test_a_parent_is_cancelled_only_if_a_child_failed_after_the_stop(
    before, after, outcome, said
) -> None:
    judged = judge(
        before=parent("PENDING", before), after=after, operation=CANCEL, options=options()
    )
    assert judged.outcome is outcome
    assert said in judged.message


def test_cancel_leaves_running_children_and_says_how_to_stop_them() -> None:
    after = parent("PENDING", {"RUNNING": 1, "FAILED": 1})
    judged = judge(before=QUEUED_PARENT, after=after, operation=CANCEL, options=options())
    assert judged.outcome is Outcome.STOPPING
    assert judged.still_running == {"children": 1}
    assert judged.message.endswith(f"run 'jobctl terminate -p aws-batch {ID}'")
    assert judged.escalate is None
    forced = judge(before=QUEUED_PARENT, after=after, operation=CANCEL, options=options(force=True))
    assert forced.escalate is not None
    assert forced.escalate.operation == TERMINATE
    assert terminate_request(forced.escalate.request)


# -- the live view's words -----------------------------------------------------------------------


def test_the_live_view_shows_a_parents_children_while_it_waits() -> None:
    from jobctl.models import Result
    from jobctl.progress import children_progress, one_job

    stopping = parent("FAILED", {"FAILED": 1, "RUNNABLE": 3})
    result = Result(
        provider="aws-batch",
        region="us-east-1",
        job_id=ID,
        action="cancel",
        outcome=Outcome.STOPPING,
        state_after="FAILED",
        children=stopping.children,
    )
    assert one_job(result) == f"{ID}: stopping (FAILED) array of 4: 3 queued, 0 running, 1 finished"
    plain = Result("aws-batch", "us-east-1", "j", "cancel", Outcome.CANCELLED)
    assert children_progress([result, plain, result]) == " · children 2/8 finished"
    assert children_progress([plain]) == ""


def test_providers_says_what_cancel_does_to_an_array(cli) -> None:
    batch = next(
        p for p in cli("providers", "-o", "json").json()["providers"] if p["name"] == "aws-batch"
    )
    assert "running ones go on (--force: TerminateJob)" in batch["limitations"]["array_parent"]
