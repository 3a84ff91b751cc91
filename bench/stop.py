"""Start-up, one stop and a bulk stop: jobctl beside the `aws` CLI and plain boto3.

Runs everything against the sandbox's moto server on 127.0.0.1 in one run and prints a
markdown table of medians and ratios:

    python bench/stop.py            # the README's figures
    python bench/stop.py --quick    # fewer repetitions, smaller bulk
    python bench/stop.py --startup  # start-up only (the README's "Start-up")

The bulk figure is wall time for stopping N queued AWS Batch jobs. jobctl looks each job up
first and again afterwards (two DescribeJobs calls per 100 jobs) on top of the N stop
requests: the price of knowing what happened, reported as its overhead over a boto3 script
with the same concurrency.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _tools import aws_cli, jobctl, machine, median_of, table, timed

from jobctl.sandbox.world import Sandbox


def boto3_loop(client: Any, ids: list[str], workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for job_id in ids:
            client.cancel_job(jobId=job_id, reason="bench")
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda j: client.cancel_job(jobId=j, reason="bench"), ids))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--startup", action="store_true", help="start-up rows only")
    args = parser.parse_args()
    runs = 5 if args.quick else 15
    bulk = 50 if args.quick else 200
    aws = aws_cli()
    rows: list[list[object]] = []
    with Sandbox(batch_stop_delay=0.0) as sandbox:
        env = {**os.environ, **sandbox.env, "JOBCTL_OUTPUT": "json"}
        batch = sandbox.batch

        version = median_of(runs, lambda: timed([*jobctl(), "--version"], env))
        helps = median_of(runs, lambda: timed([*jobctl(), "--help"], env))
        cancel_help = median_of(runs, lambda: timed([*jobctl(), "cancel", "--help"], env))
        # A real command through Typer, no SDK: what any command pays before its first request.
        matrix = median_of(runs, lambda: timed([*jobctl(), "providers", "-o", "json"], env))
        aws_version = median_of(runs, lambda: timed([aws, "--version"], env))
        rows += [
            [
                "start-up: `jobctl --version`",
                f"{version * 1000:.0f} ms",
                f"{version / aws_version:.2f}",
            ],
            ["start-up: `jobctl --help`", f"{helps * 1000:.0f} ms", f"{helps / aws_version:.2f}"],
            ["start-up: `jobctl cancel --help`", f"{cancel_help * 1000:.0f} ms",
             f"{cancel_help / aws_version:.2f}"],
            ["start-up: `jobctl providers -o json` (Typer, no SDK)", f"{matrix * 1000:.0f} ms",
             f"{matrix / aws_version:.2f}"],
            ["start-up: `aws --version`", f"{aws_version * 1000:.0f} ms", "1.00"],
        ]  # fmt: skip
        if args.startup:
            print(table(["what", "median", "ratio"], rows))
            print(f"machine: {machine()}; {runs} runs each")
            return 0

        def one_jobctl() -> float:
            job = batch.add_job("RUNNABLE", queue="bench-q")
            return timed([*jobctl(), "cancel", "-p", "aws-batch", "--no-audit", job], env)

        def one_aws() -> float:
            job = batch.add_job("RUNNABLE", queue="bench-q")
            return timed([aws, "batch", "cancel-job", "--job-id", job, "--reason", "bench"], env)

        stop_jobctl = median_of(runs, one_jobctl)
        stop_aws = median_of(runs, one_aws)
        rows += [
            ["one stop: `jobctl cancel` (lookup, cancel, verify)", f"{stop_jobctl * 1000:.0f} ms",
             f"{stop_jobctl / stop_aws:.2f}"],
            ["one stop: `aws batch cancel-job`", f"{stop_aws * 1000:.0f} ms", "1.00"],
        ]  # fmt: skip

        def fresh(n: int) -> list[str]:
            return [batch.add_job("RUNNABLE", queue="bench-q") for _ in range(n)]

        ids = fresh(bulk)
        started = time.perf_counter()
        os.system(  # the shell loop is what is measured
            f"for j in {' '.join(ids)}; do {aws} batch cancel-job --job-id $j --reason bench "
            ">/dev/null 2>&1; done"
        )
        shell_loop = time.perf_counter() - started
        ids = fresh(bulk)
        jobctl_bulk = timed(
            [*jobctl(), "cancel", "-p", "aws-batch", "--yes", "--no-audit", *ids], env
        )
        client = batch.client
        sequential = boto3_loop(client, fresh(bulk), 1)
        concurrent = boto3_loop(client, fresh(bulk), 8)
        rows += [
            [f"bulk {bulk}: one `jobctl cancel` (concurrency 8)", f"{jobctl_bulk:.2f} s",
             f"{jobctl_bulk / shell_loop:.2f}"],
            [f"bulk {bulk}: shell loop of `aws batch cancel-job`", f"{shell_loop:.2f} s", "1.00"],
            [f"bulk {bulk}: sequential boto3 script", f"{sequential:.2f} s",
             f"{sequential / shell_loop:.2f}"],
            [f"bulk {bulk}: boto3 script, 8 threads", f"{concurrent:.2f} s",
             f"{concurrent / shell_loop:.2f}"],
        ]  # fmt: skip
        overhead = jobctl_bulk / concurrent
    print(table(["what", "median" if runs > 1 else "time", "ratio"], rows))
    print()
    print(f"jobctl's bulk overhead over a boto3 script with the same concurrency: {overhead:.2f}x")
    print(f"machine: {machine()}; {runs} runs each for start-up and one stop; bulk timed once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
