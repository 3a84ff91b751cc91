"""The AWS CLI (v1, from PyPI) in a virtualenv of its own, taught botocore 1.44's Batch model.

awscli pins an exact botocore, older than the one jobctl needs for CancelJobs, TerminateJobs
and service jobs (awscli 1.46 pins botocore 1.43), so it can share no environment with jobctl.
It is built once per checkout (`.venv-awscli`, git-ignored; the benchmarks use it too), under a
file lock so parallel test workers build it once. The newer Batch commands come the way a user
of an older CLI gets them: `aws configure add-model` with the service model of the botocore
jobctl runs on, written into the given HOME.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VENV = ROOT / ".venv-awscli"
SPEC = "awscli>=1.46,<2"


class AwsCliUnavailable(RuntimeError):
    """The AWS CLI could not be installed (no package index reachable)."""


def aws_cli() -> Path:
    """The `aws` executable, installing it on first use."""
    aws = VENV / "bin" / "aws"
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".venv-awscli.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not aws.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            done = subprocess.run(
                [str(VENV / "bin" / "pip"), "install", "-q", SPEC],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise AwsCliUnavailable(f"pip install {SPEC} failed:\n{done.stderr[-2000:]}")
    return aws


def add_batch_model(aws: Path, home: Path) -> None:
    """`aws configure add-model` with botocore's own Batch model, into `home`/.aws/models."""
    import botocore

    packed = Path(botocore.__file__).parent / "data" / "batch" / "2016-08-10" / "service-2.json.gz"
    model = home / "batch-service-2.json"
    model.write_bytes(gzip.decompress(packed.read_bytes()))
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(
        [
            str(aws),
            "configure",
            "add-model",
            "--service-name",
            "batch",
            "--service-model",
            f"file://{model}",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
