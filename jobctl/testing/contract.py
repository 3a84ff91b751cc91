"""Checks of a provider's pure side against what it declares: `plan` against `INFO.matrix`,
`judge` against the rules every provider keeps, the reason fields against `limitations` and
`notices`. Each raises AssertionError naming the verb, phase and state that disagree.

The matrix is words for `jobctl providers`; a cell reads one of:

    "CancelJob"                              the operation plan() sends
    "CancelJob(force=false); <note>"         ... with these request parameters
    "refused (<why>)"                        plan() refuses
    "already-finished, no call"              plan() sends nothing
    "<cell>; --force: TerminateJob"          and with --force, this instead
    "<cell>; --force: force=true"            ... the same operation with these parameters

A row for a sub-target ("cancel --thing") may lead a cell with "execution QUEUED: ". A row
for a kind of job the provider has besides its ordinary one ("cancel service-job",
`ProviderInfo.job_kinds`) is checked against that kind's states.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from jobctl.models import (
    Action,
    ActionKind,
    JobRef,
    JobState,
    Outcome,
    Phase,
    StopOptions,
    Verb,
)
from jobctl.providers.base import Provider, ProviderInfo, ReasonMode

PHASES = {"queued": Phase.QUEUED, "running": Phase.RUNNING, "finished": Phase.FINISHED}
_FORCE = "; --force: "
_LEAD = re.compile(r"^[a-z]+ [A-Z_/]+: ")
_CALL = re.compile(r"([A-Z][A-Za-z]*)(?:\(([^)]*)\))?")
_PARAM = re.compile(r"([A-Za-z_]+)=([A-Za-z0-9_-]+)")
JOB_ID, TARGET = "conformance-job", "conformance-target"


@dataclass(frozen=True)
class Expected:
    """What a matrix cell says plan() does."""

    kind: ActionKind
    operation: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def check(self, action: Action, where: str, *, params: bool = True) -> None:
        said = f"{where}: INFO.matrix says {self}, plan() returned {action}"
        assert action.kind is self.kind, said
        if self.kind is not ActionKind.SEND:
            return
        assert action.operation == self.operation, said
        for name, value in self.params.items() if params else ():
            assert name in action.request, said
            assert str(action.request[name]).lower() == value.lower(), said


def read_cell(text: str) -> tuple[Expected, Expected | None]:
    """(without --force, with --force when the cell says) for one matrix cell."""
    base_text, _, forced_text = text.partition(_FORCE)
    base = _expected(base_text, None)
    return base, (_expected(forced_text, base) if forced_text else None)


def _expected(text: str, base: Expected | None) -> Expected:
    text = _LEAD.sub("", text.strip())
    if text.startswith("already-finished"):
        return Expected(ActionKind.NOOP)
    if text.startswith("refused"):
        return Expected(ActionKind.REFUSE)
    call = _CALL.match(text)
    if call is not None:
        return Expected(ActionKind.SEND, call.group(1), dict(_PARAM.findall(call.group(2) or "")))
    unread = f"matrix cell {text!r} names no operation, refusal or already-finished"
    assert base is not None, unread
    assert _PARAM.match(text) is not None, unread
    return Expected(ActionKind.SEND, base.operation, dict(_PARAM.findall(text.split(";")[0])))


def _rows(info: ProviderInfo) -> Iterator[tuple[str, Verb, bool, str | None, Mapping[str, str]]]:
    """(row name, verb, for a sub-target, kind of job, cells) for every row of the matrix."""
    for row, cells in info.matrix.items():
        verb, *rest = row.split()
        assert verb in ("cancel", "terminate"), f"matrix row {row!r}: no verb"
        target = rest == [info.target_option] and info.target_option is not None
        kind = rest[0] if len(rest) == 1 and rest[0] in info.job_kinds else None
        said = f"matrix row {row!r}: {rest} is neither {info.target_option} nor a kind of job"
        assert target or kind is not None or not rest, said
        assert set(cells) == set(PHASES), f"matrix row {row!r} has phases {sorted(cells)}"
        yield row, Verb(verb), target, kind, cells


def options(verb: Verb, *, force: bool = False, code: str | None = None) -> StopOptions:
    return StopOptions(verb=verb, reason="conformance", reason_code=code, force=force)


def job(info: ProviderInfo, state: str, phase: Phase, kind: str | None = None) -> JobState:
    succeeded = state in info.success_states
    return JobState(job_id=JOB_ID, native_state=state, phase=phase, succeeded=succeeded, kind=kind)


def _states(info: ProviderInfo, kind: str | None) -> dict[str, Phase]:
    """The native states a job of `kind` can be in (None: the ordinary job, every state)."""
    if kind is None:
        return dict(info.state_map)
    return {s: p for s, p in info.state_map.items() if s in info.job_kinds[kind]}


def ref(info: ProviderInfo, *, target: bool = False) -> JobRef:
    return JobRef(info.name, JOB_ID, None, TARGET if target else None)


def check_matrix(provider: Provider) -> None:
    """For every row, phase and native state of that phase, with and without --force,
    plan() does what INFO.matrix says."""
    info = provider.info
    rows = list(_rows(info))
    assert {verb for _, verb, *_ in rows} == set(Verb), "the matrix needs both verbs"
    if info.target_option is not None:
        assert any(target for _, _, target, *_ in rows), "a row per verb for the sub-target"
    for named in info.job_kinds:
        assert {v for _, v, _, k, _ in rows if k == named} == set(Verb), f"both verbs for {named}"
    for row, verb, target, kind, cells in rows:
        states = info.target_state_map if target else _states(info, kind)
        for phase_name, text in cells.items():
            base, forced = read_cell(text)
            phase = PHASES[phase_name]
            in_phase = [s for s, p in states.items() if p is phase]
            assert in_phase, f"{row}/{phase_name}: no native state maps to this phase"
            for state in in_phase:
                where = f"{info.name} {row}, {phase_name} ({state})"
                planned = provider.plan(
                    ref=ref(info, target=target),
                    job=job(info, state, phase, kind),
                    options=options(verb),
                )
                base.check(planned, where)
                planned = provider.plan(
                    ref=ref(info, target=target),
                    job=job(info, state, phase, kind),
                    options=options(verb, force=True),
                )
                # A cell without "--force:" names the call --force leaves as it is.
                (forced or base).check(planned, f"{where}, --force", params=forced is not None)


def check_unknown_states_refused(provider: Provider) -> None:
    """A state the provider does not map is never acted on, whatever the verb or --force."""
    info = provider.info
    for verb in Verb:
        for force in (False, True):
            unknown = JobState(job_id=JOB_ID, native_state="NO_SUCH_STATE", phase=Phase.UNKNOWN)
            action = provider.plan(ref=ref(info), job=unknown, options=options(verb, force=force))
            assert action.kind is ActionKind.REFUSE, f"{verb} of an unknown state: {action}"


def operations(provider: Provider) -> set[str]:
    """Every operation plan() may send for a job of any kind (not a sub-target)."""
    info = provider.info
    found = set()
    for kind in (None, *info.job_kinds):
        for state, phase in _states(info, kind).items():
            for verb in Verb:
                for force in (False, True):
                    state_of = job(info, state, phase, kind)
                    opts = options(verb, force=force)
                    action = provider.plan(ref=ref(info), job=state_of, options=opts)
                    if action.kind is ActionKind.SEND:
                        found.add(str(action.operation))
    return found


def check_judge(provider: Provider) -> None:
    """What every judge keeps to, for every operation plan() sends:

    - a job not seen after the stop is `stopping`, never claimed;
    - a job that finished successfully finished on its own: `already-finished`;
    - a job still queued or running is not stopped yet: `stopping`, or `failed` when the
      stop could not reach it; never cancelled, terminated or already-finished.
    """
    info = provider.info
    stopped = {Outcome.CANCELLED, Outcome.TERMINATED}
    for operation in sorted(operations(provider)):
        for verb in Verb:
            before = job(info, *next((s, p) for s, p in info.state_map.items()))
            opts = options(verb)
            said = provider.judge(before=before, after=None, operation=operation, options=opts)
            assert said.outcome is Outcome.STOPPING, f"{operation} not seen after: {said}"
            for state, phase in info.state_map.items():
                after = job(info, state, phase)
                said = provider.judge(before=before, after=after, operation=operation, options=opts)
                where = f"{verb} by {operation}, then {state}: {said}"
                if state in info.success_states:
                    assert said.outcome is Outcome.ALREADY_FINISHED, where
                if phase in (Phase.QUEUED, Phase.RUNNING):
                    assert said.outcome in (Outcome.STOPPING, Outcome.FAILED), where
                    assert said.outcome not in stopped, where
                assert said.message, where
                assert "\n" not in said.message, where


def check_reasons(provider: Provider) -> None:
    """The reason goes where INFO says, and what the API cannot carry is said before sending:
    in `limitations` for `jobctl providers`, and as a notice when the user gave a reason."""
    info = provider.info
    queued = next(s for s, p in info.state_map.items() if p is Phase.QUEUED)
    state = job(info, queued, Phase.QUEUED)
    given = StopOptions(verb=Verb.TERMINATE, reason="because", reason_code="CODE_1")
    action = provider.plan(ref=ref(info), job=state, options=given)
    assert action.kind is ActionKind.SEND, f"terminate of a {queued} job: {action}"
    if info.reason_mode is ReasonMode.FIELD:
        assert info.reason_field is not None, "a reason sent in a field names that field"
        sent = str(action.request.get(info.reason_field))
        assert "because" in sent, f"reason not in {info.reason_field}: {action.request}"
        if info.reason_code_mode is ReasonMode.PREFIX:
            assert sent == "CODE_1: because", f"reason code not folded in: {sent!r}"
            assert any("reason_code" in k or "code" in v for k, v in info.limitations.items())
    if ReasonMode.AUDIT in (info.reason_mode, info.reason_code_mode):
        assert any("reason" in key for key in info.limitations), "say the reason is not sent"
        from jobctl.models import PlannedStop

        stops = [PlannedStop(ref(info), state, action)]
        said = provider.notices(options=given, stops=stops)
        assert any("reason" in line for line in said), f"no notice that the reason stays: {said}"
        default = StopOptions(verb=Verb.TERMINATE, reason="jobctl: x", reason_is_default=True)
        quiet = provider.notices(options=default, stops=stops)
        assert not any("reason" in line for line in quiet), f"a notice for no reason: {quiet}"


def check_notices_are_lines(provider: Provider) -> None:
    """Every notice is one printable line, for every stop plan() may send."""
    info = provider.info
    from jobctl.models import PlannedStop

    for state, phase in info.state_map.items():
        for verb in Verb:
            for force in (False, True):
                opts = StopOptions(verb=verb, reason="why", reason_code="WHY", force=force)
                action = provider.plan(ref=ref(info), job=job(info, state, phase), options=opts)
                if action.kind is not ActionKind.SEND:
                    continue
                stop = PlannedStop(ref(info), job(info, state, phase), action)
                for line in provider.notices(options=opts, stops=[stop]):
                    assert line, f"an empty notice for {verb} of {state}"
                    assert "\n" not in line, f"notice {line!r}"
                    assert all(unicodedata.category(c)[0] != "C" for c in line), line
