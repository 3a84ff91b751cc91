"""How long a TAB takes: jobctl's fast path beside a minimal Typer app and aws-cli's completer.

    python bench/completion.py               # 30 timed runs of each, after 3 warm-ups
    python bench/completion.py --runs 100
    python bench/completion.py --only cold   # the cold TAB alone (10 runs)

Each candidate runs in a clean virtualenv of its own, as a user would have it installed
(bench/.venv-jobctl: `pip install -e '.[aws]'`, which brings Typer for the minimal app too;
bench/.venv-awscli: `pip install awscli`, whose botocore pin conflicts with jobctl's). They
are built on the first run and reused after (`--rebuild` starts over). The runs are
interleaved, so a busy moment slows every candidate alike. Prints a markdown table of
median wall times, each against the minimal Typer app's.

Then a cold TAB: `jobctl cancel -p aws-batch <TAB>` with an empty cache, so it makes its one
live lookup under the default 1 s deadline (DescribeJobQueues, then one ListJobs per queue and
unfinished state), against moto with 3 queues behind the tests' recording proxy
(tests/support/proxy.py), which holds every request 25 ms: a 25 ms round trip. It reports how
many of the runs answered (every seeded id offered; a TAB out of time offers nothing), the
median wall time, and the requests the proxy saw per TAB.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

MINIMAL_APP = '''\
import typer

app = typer.Typer()


@app.command()
def cancel(jobs: list[str], provider: str = typer.Option(None, "-p", "--provider")) -> None:
    """Cancel jobs."""


@app.command()
def status(jobs: list[str]) -> None:
    """Show jobs."""


if __name__ == "__main__":
    app(prog_name="minimal")
'''

# The cold TAB case: queues, the round trip the proxy adds to every request, and runs.
COLD_QUEUES = ("prod-q", "etl-q", "gpu-q")
ROUND_TRIP = 0.025
COLD_RUNS = 10
DEADLINE = 1.0  # jobctl's default (jobctl/complete/remote.py); the case leaves it unset

# Job ids a warm cache holds for the job-id case.
SEEDED = 20
SEED = f"""\
from jobctl.complete.jobs import remember
remember("aws-batch", None, None, None,
         [(f"{{n:08d}}-7a6d-42a3-b5c6-8d2fa5b4e5e1", "RUNNABLE", f"etl-{{n}}", "prod-q")
          for n in range({SEEDED})])
"""


@dataclass
class Case:
    label: str
    argv: list[str]
    env: dict[str, str]
    # A word the answer must contain (a fast but wrong answer is no result); None: no output.
    expect: str | None
    # Untimed, before every run: the warm-cache case re-seeds, so a slow run (30 of each
    # case can outlast the cache's 60 s TTL) still measures a warm cache.
    prepare: list[str] | None = None
    times: list[float] = field(default_factory=list)

    def run(self) -> float:
        if self.prepare is not None:
            subprocess.run(self.prepare, env=self.env, check=True)
        started = time.perf_counter()
        done = subprocess.run(self.argv, env=self.env, capture_output=True, text=True, check=False)
        took = time.perf_counter() - started
        wrong = (
            done.stdout.strip() != ""
            if self.expect is None
            else (self.expect not in done.stdout.split())
        )
        if done.returncode != 0 or wrong:
            msg = f"{self.label}: expected {self.expect!r}, got {done.stdout!r} {done.stderr!r}"
            raise SystemExit(msg)
        return took


def venv(name: str, requirement: list[str], *, rebuild: bool, needs: str = "sys") -> Path:
    """The candidate's virtualenv, (re)built when missing or when it cannot import `needs`."""
    path = BENCH / f".venv-{name}"
    python = path / "bin" / "python"
    if rebuild and path.exists():
        shutil.rmtree(path)
    if python.exists():
        probe = subprocess.run(
            [str(python), "-c", f"import {needs}"], capture_output=True, check=False
        )
        if probe.returncode != 0:  # built before it needed `needs`: start over
            shutil.rmtree(path)
    if not python.exists():
        print(f"building {path.relative_to(ROOT)} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q", *requirement]
        subprocess.run(pip, check=True)
    return path / "bin"


def bash_request(words: list[str]) -> dict[str, str]:
    return {"COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1)}


def aws_request(base: dict[str, str], line: str) -> dict[str, str]:
    # What aws_completer reads (bash's `complete -C aws_completer aws` sets these).
    return {**base, "COMP_LINE": line, "COMP_POINT": str(len(line))}


def cases(jobctl_bin: Path, aws_bin: Path, scratch: Path) -> list[Case]:
    # Clean environment: no credentials or settings of the person running the bench.
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(scratch),
        "XDG_CACHE_HOME": str(scratch / "cache"),
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "JOBCTL_COMPLETE_REMOTE": "0",
    }
    jobctl = {**base, "_JOBCTL_COMPLETE": "complete_bash"}
    minimal = scratch / "minimal.py"
    minimal.write_text(MINIMAL_APP)
    seed = [str(jobctl_bin / "python"), "-c", SEED]
    job = "00000007-7a6d-42a3-b5c6-8d2fa5b4e5e1"
    return [
        Case("python -c pass (the floor)", [str(jobctl_bin / "python"), "-c", "pass"], base, None),
        Case(
            "minimal Typer app: `minimal ca`",
            [str(jobctl_bin / "python"), str(minimal)],
            {**base, "_MINIMAL_COMPLETE": "complete_bash", **bash_request(["minimal", "ca"])},
            "cancel",
        ),
        Case(
            "aws_completer: `aws bat`",
            [str(aws_bin / "aws_completer")],
            aws_request(base, "aws bat"),
            "batch",
        ),
        Case(
            "aws_completer: `aws batch cancel-job --j`",
            [str(aws_bin / "aws_completer")],
            aws_request(base, "aws batch cancel-job --j"),
            "--job-id",
        ),
        Case(
            "jobctl, Typer's path: `jobctl ca`",
            [str(jobctl_bin / "jobctl")],
            {**jobctl, "JOBCTL_COMPLETE_FAST": "0", **bash_request(["jobctl", "ca"])},
            "cancel",
        ),
        Case(
            "jobctl fast path: `jobctl ca`",
            [str(jobctl_bin / "jobctl")],
            {**jobctl, **bash_request(["jobctl", "ca"])},
            "cancel",
        ),
        Case(
            "jobctl fast path: `jobctl cancel -p `",
            [str(jobctl_bin / "jobctl")],
            {**jobctl, **bash_request(["jobctl", "cancel", "-p", ""])},
            "aws-batch",
        ),
        Case(
            f"jobctl fast path: job id, warm cache ({SEEDED} ids)",
            [str(jobctl_bin / "jobctl")],
            {**jobctl, **bash_request(["jobctl", "cancel", "-p", "aws-batch", "000000"])},
            job,
            prepare=seed,
        ),
    ]


@dataclass
class ColdRuns:
    answered: int
    times: list[float]
    # The operations the proxy saw in one TAB (the first run's), and the count of every run's.
    requests: collections.Counter[str]
    per_tab: list[int]


def cold_tab(jobctl_bin: Path, scratch: Path, runs: int) -> ColdRuns:
    """`jobctl cancel -p aws-batch <TAB>`, cache emptied before each run, 25 ms a request."""
    sys.path.insert(0, str(ROOT))  # the tests' recording proxy
    from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY, BatchWorld, moto_server
    from tests.support.proxy import Proxy

    with moto_server() as moto, BatchWorld(endpoint=moto.url) as batch:
        jobs = [batch.add_job("RUNNABLE", name=f"etl-{q}", queue=q) for q in COLD_QUEUES]
        jobs.append(batch.add_job("RUNNING", name="train", queue=COLD_QUEUES[0]))
        operations = ("describejobqueues", "listjobs")
        proxy = Proxy(moto.url, delays=dict.fromkeys(operations, ROUND_TRIP)).start()
        try:
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(scratch),
                "XDG_CACHE_HOME": str(scratch / "cold-cache"),
                "XDG_CONFIG_HOME": str(scratch / "config"),
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ENDPOINT_URL": proxy.url,
                "_JOBCTL_COMPLETE": "complete_bash",
                **bash_request(["jobctl", "cancel", "-p", "aws-batch", ""]),
            }
            answered, times, per_tab = 0, [], []
            requests: collections.Counter[str] = collections.Counter()
            for n in range(runs):
                shutil.rmtree(scratch / "cold-cache", ignore_errors=True)
                proxy.clear()
                argv = [str(jobctl_bin / "jobctl")]
                started = time.perf_counter()
                done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
                times.append(time.perf_counter() - started)
                if done.returncode != 0 or done.stderr:
                    raise SystemExit(f"cold TAB: exit {done.returncode}, {done.stderr!r}")
                answered += sorted(done.stdout.split()) == sorted(jobs)
                # The TAB has exited; a request it left behind may still be held (25 ms).
                time.sleep(0.2)
                per_tab.append(len(proxy.seen))
                if n == 0:
                    requests = collections.Counter(proxy.operations())
        finally:
            proxy.stop()
    return ColdRuns(answered, times, requests, per_tab)


def report_cold(cold: ColdRuns) -> None:
    queues, runs = len(COLD_QUEUES), len(cold.times)
    print(
        f"| cold TAB: `jobctl cancel -p aws-batch `, {queues} queues, "
        f"{ROUND_TRIP * 1000:.0f} ms round trip | value |"
    )
    print("|---|---:|")
    print(f"| answered within the {DEADLINE:.0f} s deadline | {cold.answered} of {runs} |")
    print(
        f"| median wall time (whole TAB: start-up, SDK import, lookup) | "
        f"{statistics.median(cold.times) * 1000:.0f} ms |"
    )
    print(f"| slowest | {max(cold.times) * 1000:.0f} ms |")
    asked = ", ".join(f"{count} {op}" for op, count in sorted(cold.requests.items()))
    print(f"| requests per TAB | {statistics.median(cold.per_tab):.0f} ({asked}) |")
    print()
    print(
        f"{runs} runs, the completion cache emptied before each; moto behind the recording "
        f"proxy, which holds each request {ROUND_TRIP * 1000:.0f} ms before forwarding it."
    )


def version(bin_dir: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    argv = [str(bin_dir / "python"), "-c", code]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each candidate")
    parser.add_argument("--rebuild", action="store_true", help="recreate the virtualenvs")
    parser.add_argument("--cold-runs", type=int, default=COLD_RUNS, help="runs of the cold TAB")
    parser.add_argument("--only", choices=["cold"], help="run only this case")
    args = parser.parse_args()

    # The aws extra: the cold TAB's live lookup needs boto3 (no other case imports it).
    jobctl_bin = venv("jobctl", ["-e", f"{ROOT}[aws]"], rebuild=args.rebuild, needs="boto3")
    if args.only == "cold":
        with tempfile.TemporaryDirectory(prefix="jobctl-bench-") as tmp:
            report_cold(cold_tab(jobctl_bin, Path(tmp), args.cold_runs))
        print(
            f"{os.cpu_count()} CPUs (nproc), {platform.python_implementation()} "
            f"{platform.python_version()}, {platform.system()} {platform.machine()}."
        )
        return 0
    aws_bin = venv("awscli", ["awscli"], rebuild=args.rebuild)
    with tempfile.TemporaryDirectory(prefix="jobctl-bench-") as tmp:
        todo = cases(jobctl_bin, aws_bin, Path(tmp))
        for case in todo:
            # Bytecode caches written, the page cache warm: what a user's second TAB sees.
            for _ in range(3):
                case.run()
        for _ in range(args.runs):
            for case in todo:
                case.times.append(case.run())

    reference = statistics.median(todo[1].times)
    print("| TAB | median ms | vs minimal Typer app |")
    print("|---|---:|---:|")
    for case in todo:
        median = statistics.median(case.times)
        print(f"| {case.label} | {median * 1000:.1f} | {median / reference:.2f} |")
    print()
    print(
        f"{args.runs} runs each, interleaved, after 3 warm-ups; {os.cpu_count()} CPUs "
        f"(nproc), {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; typer {version(jobctl_bin, 'typer')}, "
        f"awscli {version(aws_bin, 'awscli')}."
    )
    print()
    with tempfile.TemporaryDirectory(prefix="jobctl-bench-") as tmp:
        report_cold(cold_tab(jobctl_bin, Path(tmp), args.cold_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
