"""Job ids TAB can offer without asking a cloud: what `list`, `status` and stop runs last saw.

One file per scope (provider, region, profile, endpoint) under
$XDG_CACHE_HOME/jobctl/completion/: a header line, the scope, then one line per job:

    jobctl-completion 1
    aws-batch	us-east-1		http://127.0.0.1:5000
    1d828f65-…	RUNNABLE	nightly-etl	prod-q	1732186201.5

Tab-separated text, not JSON: the json module imports `re`, a third of a warm TAB. Every row
carries the time it was seen; rows older than TTL are neither offered nor kept. Writes go to
a temporary file renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Set
    from typing import Protocol

    from jobctl.complete.scope import Scope

    class Listed(Protocol):
        """What a listing selected (jobctl.models.Selection): the rows it answers for."""

        @property
        def states(self) -> Set[str]: ...
        @property
        def queue(self) -> str | None: ...
        @property
        def name_glob(self) -> str | None: ...
        @property
        def created_before(self) -> float | None: ...

    # (job id, native state, name, queue)
    Row = tuple[str, str, str | None, str | None]
    # A state of None: the provider does not know the job (any more); forget it.
    Seen = tuple[str, str | None, str | None, str | None]
    # job id -> (state, name, queue, seen at)
    Entries = dict[str, tuple[str, str | None, str | None, float]]

TTL = 60.0
# Queues come and go far more rarely than jobs: one DescribeJobQueues serves ten minutes.
QUEUE_TTL = 600.0
# A TAB reads the whole file: keep it small enough to stay instant.
MAX_ROWS = 2000
_HEADER = "jobctl-completion 1"


def directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jobctl", "completion")


def _header(scope: Scope) -> str:
    """The scope as the file records it: an endpoint's user-info and query may be credentials,
    so they are written as `***` and a tag (a short hash), which keeps two endpoints that
    differ only there in files of their own."""
    from jobctl.sanitize import redact_url

    name, region, profile, endpoint = scope
    if endpoint is not None and redact_url(endpoint) != endpoint:
        import hashlib

        tag = hashlib.sha256(endpoint.encode()).hexdigest()[:8]
        endpoint = f"{redact_url(endpoint)} {tag}"
    return _line((name, region, profile, endpoint))


def path_for(scope: Scope) -> str:
    import zlib

    digest = zlib.crc32(_header(scope).encode())
    label = "-".join("".join(c if c.isalnum() else "_" for c in p or "default") for p in scope[:2])
    return os.path.join(directory(), f"{label}-{digest:08x}.txt")


def _field(value: str | None) -> str:
    # Ids, states and queues never hold these; a name that does loses nothing TAB shows.
    return "" if value is None else value.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _line(values: Iterable[str | None]) -> str:
    return "\t".join(_field(value) for value in values)


def _entries(scope: Scope, now: float) -> Entries:
    """The scope's fresh rows; an unreadable or foreign file is an empty one."""
    try:
        with open(path_for(scope), encoding="utf-8") as file:
            lines = file.read().split("\n")
    except (OSError, ValueError):
        return {}
    # The file name is a hash: make sure this is the scope's own file.
    if lines[:2] != [_HEADER, _header(scope)]:
        return {}
    entries: Entries = {}
    for line in lines[2:]:
        fields = line.split("\t")
        if len(fields) != 5 or not fields[0] or not fields[1]:
            continue
        job_id, state, name, queue, seen = fields
        try:
            age = now - float(seen)
        except ValueError:
            continue
        if 0 <= age <= TTL:
            entries[job_id] = (state, name or None, queue or None, float(seen))
    return entries


def load(scope: Scope, *, now: float | None = None) -> list[Row]:
    now = time.time() if now is None else now
    return [(job_id, s, n, q) for job_id, (s, n, q, _) in _entries(scope, now).items()]


def store(
    scope: Scope,
    rows: Iterable[Seen],
    *,
    now: float | None = None,
    forget: Callable[[Row], bool] | None = None,
) -> None:
    """Merge what a run saw into the scope's file, first dropping the cached rows `forget`
    picks (what a listing answered for). Raises OSError when it cannot write."""
    now = time.time() if now is None else now
    entries = _entries(scope, now)
    if forget is not None:
        entries = {i: e for i, e in entries.items() if not forget((i, e[0], e[1], e[2]))}
    for job_id, state, name, queue in rows:
        if state is None:
            entries.pop(job_id, None)
            continue
        # A stop run knows states, not names: keep what `list` saw.
        _, old_name, old_queue, _ = entries.get(job_id, (state, None, None, now))
        entries[job_id] = (state, name or old_name, queue or old_queue, now)
    newest = sorted(entries.items(), key=lambda item: item[1][3], reverse=True)[:MAX_ROWS]
    lines = [_HEADER, _header(scope)]
    lines += [f"{_line((i, s, n, q))}\t{seen!r}" for i, (s, n, q, seen) in newest]
    _write(path_for(scope), "\n".join(lines) + "\n")


def _queues_path(scope: Scope) -> str:
    return path_for(scope)[: -len(".txt")] + "-queues.txt"


def load_queues(scope: Scope, *, now: float | None = None) -> list[str] | None:
    """The scope's queue names as last listed, or None: not listed in the last QUEUE_TTL."""
    now = time.time() if now is None else now
    try:
        with open(_queues_path(scope), encoding="utf-8") as file:
            lines = file.read().split("\n")
        age = now - float(lines[2])
    except (OSError, ValueError, IndexError):
        return None
    if lines[:2] != [_HEADER, _header(scope)] or not 0 <= age <= QUEUE_TTL:
        return None
    return [line for line in lines[3:] if line]


def store_queues(scope: Scope, names: Iterable[str], *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    lines = [_HEADER, _header(scope), repr(now), *(_field(name) for name in names)]
    _write(_queues_path(scope), "\n".join(lines) + "\n")


def _write(path: str, text: str) -> None:
    import contextlib
    import tempfile

    folder = os.path.dirname(path)
    # Job names can be private: the cache is the user's alone.
    os.makedirs(folder, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".jobs-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
