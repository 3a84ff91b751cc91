"""Job references: plain ids, PROVIDER:ID, a provider's own references (AWS ARNs, parsed by
the provider that declares them in `ProviderInfo.references`), and `-` for standard input.
An id that names several jobs (Batch's array child range `ID:0-99`, `ProviderInfo.ranges`)
becomes one reference a job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, BinaryIO

from jobctl.errors import UsageError
from jobctl.models import JobRef, Outcome, Phase
from jobctl.validate import shown

if TYPE_CHECKING:
    from jobctl.providers.base import IdRanges, References


@dataclass(frozen=True)
class Row:
    """A reference read from standard input, with where its job is when the line is a row
    jobctl printed with `-o plain`: a `list`/`status` row (ID, PROVIDER, REGION, STATE,
    PHASE, ...) or a stop's result row (ID, PROVIDER, REGION, OUTCOME, ..., TARGET)."""

    token: str
    number: int  # the line's number, for messages
    provider: str | None = None
    region: str | None = None
    # A stop's result row for one sub-target (an IoT thing's execution): that one only.
    target: str | None = None


# The PHASE column of `list` and `status` rows: a phase, or what a lookup found instead.
_ROW_PHASES = frozenset({*map(str, Phase), "not-found", "failed"})
_OUTCOMES = frozenset(map(str, Outcome))


def read_stdin_refs(stream: BinaryIO, known: Sequence[str] = ()) -> list[Row]:
    """One reference a line; blank lines and `#` comments skipped.

    The first tab-separated field is the reference. A row jobctl printed with `-o plain`,
    recognised by a known provider's name second and a phase fifth (`list`, `status`) or an
    outcome fourth and a target ninth (a stop's results), names where its job is: that
    provider's, in the third field's region when it is one (`-` or empty: the provider's
    configured region, as for a plain id), and for a result about one IoT thing, that thing's
    execution only. The run that printed it may have had another --region than this one. Any
    other line counts by its first field alone.
    """
    from jobctl.render import LIST_COLUMNS, STOP_COLUMNS
    from jobctl.validate import REGION

    # Read where `-o plain` prints them: ID, PROVIDER and REGION lead every kind of row, and
    # `list` and `status` put PHASE in one place (tests/test_refs.py holds them to it); a stop
    # row without TARGET is from a jobctl that did not print it.
    phase_at = LIST_COLUMNS.index("phase")
    outcome_at, target_at = STOP_COLUMNS.index("outcome"), STOP_COLUMNS.index("target")
    data = stream.read()
    rows = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            msg = f"standard input line {number} is not valid UTF-8"
            raise UsageError(msg) from None
        fields = [field.strip() for field in line.split("\t")]
        if not fields[0] or fields[0].startswith("#"):
            continue
        listed = len(fields) > phase_at and fields[phase_at] in _ROW_PHASES
        stopped = len(fields) == len(STOP_COLUMNS) and fields[outcome_at] in _OUTCOMES
        if fields[1:2] == [] or fields[1] not in known or not (listed or stopped):
            rows.append(Row(fields[0], number))
            continue
        region = fields[2] if REGION.fullmatch(fields[2]) else None
        # `-` is how a missing value is printed.
        said = fields[target_at] if stopped and not listed else "-"
        target = None if said in ("", "-") else said
        rows.append(Row(fields[0], number, fields[1], region, target))
    return rows


def _from_row(
    row: Row,
    *,
    provider: str | None,
    known: Sequence[str],
    pinned: tuple[str | None, str | None] = (None, None),
) -> JobRef:
    """The job a line of standard input names: a row's provider and region are the job's own,
    as an ARN's are, and win over the configured ones. A row is data from another run: one
    that contradicts its own reference, or what this run was told outright (`pinned`: -p
    and --region), is an error, not a guess."""
    ref = parse_ref(row.token, provider=row.provider or provider, known=known)
    if row.provider is None:
        return ref
    if ref.provider != row.provider or (ref.region and row.region and ref.region != row.region):
        msg = (
            f"standard input line {row.number}: {shown(row.token)} is for "
            f"{_where(ref.provider, ref.region)}, but its row says "
            f"{_where(row.provider, row.region)}"
        )
        raise UsageError(msg)
    region = ref.region or row.region
    pinned_provider, pinned_region = pinned
    if pinned_provider is not None and pinned_provider != row.provider:
        told = f"-p/--provider (or JOBCTL_PROVIDER) says {pinned_provider}"
        drop = "leave -p out and unset JOBCTL_PROVIDER"
    elif pinned_region is not None and region is not None and pinned_region != region:
        told, drop = f"--region says {pinned_region}", "leave --region out"
    else:
        return replace(ref, region=region, target=row.target or ref.target)
    msg = (
        f"standard input line {row.number}: {shown(row.token)} is a job of "
        f"{_where(row.provider, region)}, but {told}: {drop} to take each job where its line "
        "says, or keep only the lines you mean"
    )
    raise UsageError(msg)


def _where(provider: str, region: str | None) -> str:
    return f"{provider} in {region}" if region else provider


def references(known: Sequence[str]) -> list[tuple[str, References]]:
    """The reference syntaxes the known providers declare, with each provider's name."""
    from jobctl import providers

    found = []
    for name in known:
        try:
            declared = providers.info(name).references
        except ImportError:
            continue  # a plug-in that cannot load says so when it is used, not here
        if declared is not None:
            found.append((name, declared))
    return found


def _by_reference(token: str, known: Sequence[str]) -> JobRef | None:
    """The job a provider's own reference names; UsageError for one no provider takes."""
    if ":" not in token:
        return None  # every reference syntax has a colon; plain ids skip the registry
    syntaxes = [(name, r) for name, r in references(known) if token.startswith(r.prefix)]
    for name, syntax in syntaxes:
        parsed = syntax.parse(token)
        if parsed is not None:
            job_id, region = parsed
            return JobRef(provider=name, job_id=job_id, region=region)
    if syntaxes:
        noun = syntaxes[0][1].noun
        owners = [r.owner for _, r in syntaxes if r.noun == noun]
        takes = owners[-1] if len(owners) == 1 else f"{', '.join(owners[:-1])} and {owners[-1]}"
        msg = f"unsupported {noun} {shown(token)}: jobctl takes {takes} job {noun}s"
        raise UsageError(msg)
    return None


def parse_ref(token: str, *, provider: str | None, known: Sequence[str]) -> JobRef:
    referenced = _by_reference(token, known)
    if referenced is not None:
        return referenced
    prefix, sep, rest = token.partition(":")
    if sep and prefix in known:
        if not rest:
            msg = f"empty job id in {shown(token)}"
            raise UsageError(msg)
        return JobRef(provider=prefix, job_id=rest)
    if sep and rest:
        _refuse_misspelt_prefix(token, prefix, rest, known)
    if provider is None:
        msg = (
            f"no provider for job {shown(token)}: pass -p/--provider, set JOBCTL_PROVIDER, "
            f"or write it as PROVIDER:ID (one of {', '.join(known)})"
        )
        raise UsageError(msg)
    return JobRef(provider=provider, job_id=token)


def _refuse_misspelt_prefix(token: str, prefix: str, rest: str, known: Sequence[str]) -> None:
    """`tencnet:job-abc` is no id of any provider (none has a name before a colon: Batch's
    array children are UUID:N): a prefix close to a provider's name was meant as one."""
    import difflib

    close = difflib.get_close_matches(prefix.lower(), known, n=1)
    if close:
        msg = (
            f"unknown provider prefix {shown(prefix, 20)} in {shown(token)}: "
            f"did you mean {close[0]}:{rest}?"
        )
        raise UsageError(msg)


def resolve(
    tokens: Iterable[str],
    *,
    provider: str | None,
    known: Sequence[str],
    stdin: BinaryIO | None,
    targets: Sequence[str] = (),
    pinned: tuple[str | None, str | None] = (None, None),
    whole_jobs: bool = False,
) -> list[JobRef]:
    """Every reference as a JobRef, `-` expanded, duplicates removed (first one wins).

    `pinned`: the provider and region the caller gave outright (-p, --region), which a row of
    standard input may not contradict. `whole_jobs`: a stop's result row about one sub-target
    names its whole job (for `status`, which looks at jobs)."""
    if provider is not None and provider not in known:
        msg = f"unknown provider {shown(provider)}: choose one of {', '.join(known)}"
        raise UsageError(msg)
    expanded: list[str | Row] = []
    stdin_used = False
    for token in tokens:
        if token == "-":
            if stdin is None or stdin_used:
                msg = "'-' (read job ids from standard input) may be given once"
                raise UsageError(msg)
            stdin_used = True
            expanded.extend(read_stdin_refs(stdin, known))
        else:
            expanded.append(token)
    refs: dict[tuple[str, str | None, str, str | None], JobRef] = {}
    ranges = _Ranges()
    for item in expanded:
        if isinstance(item, Row):
            parsed = _from_row(item, provider=provider, known=known, pinned=pinned)
            token = item.token
        else:
            if not item.strip():
                msg = "empty job id"
                raise UsageError(msg)
            token, parsed = item, parse_ref(item, provider=provider, known=known)
        for ref in ranges.expand(parsed, token):
            if ref.target is not None and targets:
                msg = (
                    f"{shown(token)} on standard input is a result about one "
                    f"{ref.provider} sub-target ({shown(ref.target)}) already: leave "
                    "--thing out, or pass the job's id instead"
                )
                raise UsageError(msg)
            per_target: list[str | None] = [*targets] or [None if whole_jobs else ref.target]
            for target in per_target:
                with_target = JobRef(ref.provider, ref.job_id, ref.region, target)
                refs.setdefault(with_target.key, with_target)
    return list(refs.values())


class _Ranges:
    """Ids naming several jobs (`ProviderInfo.ranges`: Batch's `ID:0-99`), one reference a
    job, and the count of them a run's ranges reach, bounded by the provider's limit."""

    def __init__(self) -> None:
        self._declared: dict[str, IdRanges | None] = {}
        self._seen: dict[str, set[tuple[str | None, str]]] = {}

    def expand(self, ref: JobRef, token: str) -> list[JobRef]:
        declared = self._of(ref.provider)
        ids = declared.expand(ref.job_id) if declared is not None else None
        if declared is None or ids is None:
            return [ref]
        seen = self._seen.setdefault(ref.provider, set())
        seen.update((ref.region, job_id) for job_id in ids)
        if len(seen) > declared.limit:
            msg = (
                f"{declared.noun} name more than {declared.limit:,} {ref.provider} jobs in one "
                f"run ({shown(token)} goes past it): {declared.instead}"
            )
            raise UsageError(msg)
        return [JobRef(ref.provider, job_id, ref.region, ref.target) for job_id in ids]

    def _of(self, name: str) -> IdRanges | None:
        from jobctl import providers

        if name not in self._declared:
            try:
                self._declared[name] = providers.info(name).ranges
            except ImportError:
                self._declared[name] = None  # a plug-in that cannot load says so when used
        return self._declared[name]
