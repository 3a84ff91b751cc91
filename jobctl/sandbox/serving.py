"""`jobctl sandbox serve`: the emulators until Ctrl-C, the exports, the seeded jobs, what to try.

Standard output carries the exports only (`export NAME=VALUE` lines, for a script to read);
what a person reads (where it serves, the seeded ids, a command to try next) goes to stderr.
`--env-file` writes the exports to a file once every server answers, so a shell can serve in
the background and source the file: `eval "$(jobctl sandbox serve)"` cannot work, as the
command substitution waits for a server that never ends.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from jobctl.errors import ConfigError

if TYPE_CHECKING:
    from jobctl.sandbox.world import Sandbox


def serving(*, env_file: str | None, port: int, extra_jobs: int = 0) -> int:
    from jobctl.sandbox.world import Sandbox

    if port and not 0 < port < 65535:
        msg = f"--port {port} is not a port the sandbox can use: pick 1-65534 (it takes PORT+1 too)"
        raise ConfigError(msg)
    if port:
        _check_free(port)
    path = Path(env_file) if env_file is not None else None
    # Ctrl-C is how this command ends, whenever it comes: leaving the block stops every server.
    # Handled from the start: a signal that lands while the exports are being printed (a
    # script reads them, then stops the sandbox at once) must not find it ignored.
    _stop_on_signals()
    try:
        with Sandbox(port=port, extra_jobs=extra_jobs) as sandbox:
            sys.stdout.write(sandbox.exports() + "\n")
            sys.stdout.flush()
            if path is not None:
                _write_env(path, sandbox.exports() + "\n")
            try:
                sys.stderr.write(describe(sandbox, path))
                sys.stderr.flush()
                idle = threading.Event()
                while True:  # short waits: a Ctrl-C just before an unlimited one goes unheard
                    idle.wait(0.5)
            finally:
                if path is not None:
                    path.unlink(missing_ok=True)
    except KeyboardInterrupt:
        sys.stderr.write("jobctl: sandbox stopped\n")
    except OSError as exc:
        if not port:
            raise
        msg = f"cannot serve on ports {port} and {port + 1}: {exc.strerror}; pick another --port"
        raise ConfigError(msg) from exc
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP all stop the sandbox the same clean way.

    Explicitly, because a shell script's `jobctl sandbox serve --env-file F &` starts with
    SIGINT ignored (POSIX, for background jobs without job control), where Python installs
    no Ctrl-C handler of its own; and a plain `kill PID` should remove the env file too.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


def _check_free(port: int) -> None:
    """moto's server fails in its own thread on a taken port and never says so: ask first."""
    import socket

    for each in (port, port + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", each))
            except OSError as exc:
                msg = f"cannot serve on ports {port} and {port + 1}: {each} {exc.strerror}; "
                msg += "pick another --port"
                raise ConfigError(msg) from exc


def _write_env(path: Path, text: str) -> None:
    """Whole or not at all: a shell polling for the file never sources half of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        partial.write_text(text)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        msg = f"cannot write --env-file {str(path)[:200]!a}: {exc.strerror}"
        raise ConfigError(msg) from exc


def describe(sandbox: Sandbox, env_file: Path | None) -> str:
    from jobctl.sandbox.world import EXTRA_QUEUE, SERVICE_QUEUE

    seeded = sandbox.seeded
    moto_url, tencent_url = (
        sandbox.env["AWS_ENDPOINT_URL"],
        sandbox.env["TENCENTCLOUD_ENDPOINT_URL"],
    )
    batch = "  ".join(f"{what} {job}" for what, job in seeded.batch.items() if what != "array")
    iot = "  ".join(f"{what} {job}" for what, job in seeded.iot.items())
    tencent = "  ".join(f"{what} {job}" for what, job in seeded.tencent.items())
    service = "  ".join(f"{what} {job}" for what, job in seeded.batch_service.items())
    source = (
        f". {env_file if env_file.is_absolute() else './' + str(env_file)}"
        if env_file is not None
        else "export the lines above"
    )
    running = seeded.batch["running"]
    lines = [
        f"jobctl: sandbox serving: AWS (moto) {moto_url}, Tencent {tencent_url}; Ctrl-C to stop",
        "seeded jobs (and more in queues demo-q and prod-q):",
        f"  aws-batch  {batch}",
        f"  aws-iot    {iot}",
        f"  tencent    {tencent}",
        f"service jobs (SageMaker Training) in aws-batch queue {SERVICE_QUEUE}:",
        f"  aws-batch  {service}",
    ]
    if seeded.extra:
        count = len(seeded.extra["aws-batch"])
        lines.append(
            f"extra: {count} queued jobs per provider (--extra-jobs): aws-batch RUNNABLE in "
            f"queue {EXTRA_QUEUE}, aws-iot SCHEDULED extra-0 to extra-{count - 1}, "
            f"tencent RUNNABLE named extra-0 to extra-{count - 1}"
        )
    lines += [
        f"try next, in a shell where you ran '{source}':",
        "  jobctl list -p aws-batch --queue demo-q",
        f"  jobctl cancel -p aws-batch {running}        # refused: it is RUNNING",
        f"  jobctl terminate -p aws-batch {running} --wait",
        f"  jobctl terminate -p aws-batch {seeded.batch_service['running']} --wait"
        "   # a service job: TerminateServiceJob",
    ]
    if seeded.extra:
        lines.append(
            f"  jobctl cancel -p aws-batch --queue {EXTRA_QUEUE} --all --yes"
            "   # the extra jobs, 50 to a CancelJobs request"
        )
    lines += [
        f"  aws batch describe-service-job --job-id {seeded.batch_service['running']}"
        "   # any AWS client, bulk and service-job calls included",
    ]
    if env_file is None and not sys.stdout.isatty():
        lines.append(
            "to use it from a shell: jobctl sandbox serve --env-file sandbox.env & "
            "then . ./sandbox.env"
        )
    return "\n".join(lines) + "\n"
