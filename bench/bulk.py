"""Stopping many AWS Batch jobs: one jobctl process beside whole boto3 and AWS CLI processes.

    python bench/bulk.py                      # the README's figures: 1000 jobs, 3 runs each
    python bench/bulk.py --jobs 200 --runs 1  # a quick look

Like with like: every candidate is a whole process started from nothing (interpreter, imports,
client, credentials), given the same N queued (RUNNABLE) jobs on standard input, against
moto's server on 127.0.0.1 behind the tests' recording proxy (tests/support/proxy.py), which
holds every request `--rtt` seconds (25 ms): a round trip to a nearby region. The proxy counts
every request each run makes, failed probes included.

One sandbox, serving the bulk APIs (CancelJobs/TerminateJobs, as AWS does since botocore
1.44) for some candidates and answering them 404 for others (as moto alone does, and as a
private endpoint might). jobctl looks every job up before (DescribeJobs, 100 ids a call) and
again after (verification); the scripts do neither.

Runs are interleaved (one of each candidate per round), so a busy moment slows all alike.
Prints a markdown table: median wall time, requests per job, and each median against the
boto3 thread pool of 8 calling CancelJob (the fastest thing most people would write).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _tools import ROOT, aws_cli, jobctl, machine, table

sys.path.insert(0, str(ROOT))  # the tests' recording proxy

from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY, BatchWorld, moto_server
from tests.support.proxy import Proxy

QUEUE = "bench-q"

BOTO3 = """\
import sys
from concurrent.futures import ThreadPoolExecutor
import boto3
ids = sys.stdin.read().split()
client = boto3.client("batch")
mode = sys.argv[1]
def one(job_id):
    client.cancel_job(jobId=job_id, reason="bench")
def chunk(jobs):
    answer = client.cancel_jobs(jobs=jobs, reason="bench")
    assert not answer.get("errors"), answer["errors"]
if mode == "sequential":
    for job_id in ids:
        one(job_id)
elif mode == "threads":
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, ids))
else:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(chunk, [ids[i : i + 50] for i in range(0, len(ids), 50)]))
"""


class EveryRequest(dict[str, float]):
    """The proxy's per-action delays, the same for every action."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def get(self, key: str, default: float | None = None) -> float:  # type: ignore[override]
        return self.seconds


@dataclass
class Candidate:
    name: str
    bulk: bool  # which sandbox it runs against
    command: Callable[[list[str]], tuple[list[str], str]]  # ids -> (argv, stdin)
    times: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    operations: collections.Counter[str] = field(default_factory=collections.Counter)
    # Each run's (first request, first stop request, last stop request, end), in seconds from
    # the start of the process, read from the proxy's timestamps.
    phases: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class Endpoint:
    world: BatchWorld
    proxy: Proxy


@contextmanager
def endpoint(*, rtt: float) -> Iterator[Endpoint]:
    with moto_server() as moto, BatchWorld(endpoint=moto.url) as world:
        proxy = Proxy(moto.url, delays=EveryRequest(rtt)).start()
        try:
            yield Endpoint(world, proxy)
        finally:
            proxy.stop()


def candidates(aws: str) -> list[Candidate]:
    def jobctl_cancel(ids: list[str]) -> tuple[list[str], str]:
        argv = [*jobctl(), "cancel", "-p", "aws-batch", "--yes", "--no-audit", "-o", "json", "-"]
        return argv, "\n".join(ids)

    def boto3(mode: str) -> Callable[[list[str]], tuple[list[str], str]]:
        return lambda ids: ([sys.executable, "-c", BOTO3, mode], "\n".join(ids))

    def cli_bulk(ids: list[str]) -> tuple[list[str], str]:
        chunks = [" ".join(ids[i : i + 50]) for i in range(0, len(ids), 50)]
        call = f"{aws} batch cancel-jobs --reason bench --jobs"
        loop = "; ".join(f"{call} {chunk} >/dev/null" for chunk in chunks)
        return ["/bin/sh", "-c", loop], ""

    return [
        Candidate("`jobctl cancel`, endpoint with CancelJobs", True, jobctl_cancel),
        Candidate("boto3 script, 8 threads of CancelJobs (50 a call)", True, boto3("bulk")),
        Candidate("shell loop of `aws batch cancel-jobs` (50 a call)", True, cli_bulk),
        Candidate("`jobctl cancel`, endpoint without CancelJobs", False, jobctl_cancel),
        Candidate("boto3 script, 8 threads of CancelJob", False, boto3("threads")),
        Candidate("boto3 script, sequential CancelJob", False, boto3("sequential")),
    ]


def run_once(candidate: Candidate, where: Endpoint, n: int, env: dict[str, str]) -> None:
    where.world.bulk = candidate.bulk
    ids = [where.world.add_job("RUNNABLE", queue=QUEUE) for _ in range(n)]
    argv, stdin = candidate.command(ids)
    where.proxy.clear()
    started = time.monotonic()  # the proxy's clock
    done = subprocess.run(
        argv,
        input=stdin,
        env={**env, "AWS_ENDPOINT_URL": where.proxy.url},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{candidate.name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    if argv[0:1] == jobctl()[0:1]:
        outcomes = collections.Counter(r["outcome"] for r in json.loads(done.stdout)["results"])
        if set(outcomes) - {"cancelled", "stopping"} or sum(outcomes.values()) != n:
            sys.exit(f"{candidate.name}: unexpected outcomes {dict(outcomes)}")
    operations = where.proxy.operations()
    candidate.times.append(elapsed)
    seen = list(where.proxy.seen)
    stops = [s.at - started for s in seen if s.operation in ("canceljob", "canceljobs")]
    candidate.phases.append((seen[0].at - started, stops[0], stops[-1], elapsed))
    candidate.requests.append(len(operations))
    candidate.operations = collections.Counter(operations)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rtt", type=float, default=0.025, help="seconds held per request")
    args = parser.parse_args()
    aws = aws_cli()
    scratch = Path(tempfile.mkdtemp(prefix="jobctl-bench-"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(scratch),
        "XDG_CACHE_HOME": str(scratch / "cache"),
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "XDG_STATE_HOME": str(scratch / "state"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    from tests.support.awscli import add_batch_model

    add_batch_model(Path(aws), scratch)
    every = candidates(aws)
    with endpoint(rtt=args.rtt) as where:
        for _ in range(args.runs):
            for candidate in every:
                run_once(candidate, where, args.jobs, env)
    base = next(c for c in every if c.name.endswith("8 threads of CancelJob"))
    base_median = statistics.median(base.times)
    rows = []
    for c in every:
        median = statistics.median(c.times)
        per_job = statistics.median(c.requests) / args.jobs
        ops = ", ".join(f"{count} {op}" for op, count in sorted(c.operations.items()))
        rows.append(
            [c.name, f"{median:.2f} s", f"{per_job:.3f} ({ops})", f"{median / base_median:.2f}"]
        )
    print(table(["what", "median", "requests per job (last run)", "ratio"], rows))
    print()
    print("Where the time goes (seconds from each process's start, by the proxy's clock; medians):")
    print()
    phase_rows = []
    for c in every:
        first, first_stop, last_stop, end = (
            statistics.median(run[i] for run in c.phases) for i in range(4)
        )
        phase_rows.append([c.name, f"{first:.2f}", f"{first_stop:.2f}", f"{last_stop:.2f}",
                           f"{last_stop - first_stop:.2f}", f"{end - last_stop:.2f}"])  # fmt: skip
    headers = ["what", "first request", "first stop request", "last stop request",
               "stop phase", "after the last stop"]  # fmt: skip
    print(table(headers, phase_rows))
    print()
    print(
        f"{args.jobs} RUNNABLE AWS Batch jobs a run, {args.runs} runs each, interleaved; "
        f"every request held {args.rtt * 1000:.0f} ms; ratio: against the boto3 script with "
        f"8 threads of CancelJob. machine: {machine()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
