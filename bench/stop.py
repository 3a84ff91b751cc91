"""Start-up and one stop: jobctl beside the `aws` CLI (bench/bulk.py measures many stops).

Runs everything against the sandbox's moto server on 127.0.0.1 in one run and prints a
markdown table of medians and ratios:

    python bench/stop.py            # the README's figures
    python bench/stop.py --quick    # fewer repetitions
    python bench/stop.py --startup  # start-up only (the README's "Start-up")

One stop is a whole `jobctl cancel` (lookup, CancelJob, verification: three requests) against
a whole `aws batch cancel-job` (one request).
"""

from __future__ import annotations

import argparse
import os
import sys

from _tools import aws_cli, jobctl, machine, median_of, table, timed

from jobctl.sandbox.world import Sandbox


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--startup", action="store_true", help="start-up rows only")
    args = parser.parse_args()
    runs = 5 if args.quick else 15
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

    print(table(["what", "median" if runs > 1 else "time", "ratio"], rows))
    print(f"machine: {machine()}; {runs} runs each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
