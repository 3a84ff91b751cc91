"""`jobctl sandbox`: serve, run a command against, or tour the local emulators."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Annotated

import typer

from jobctl.cli_help import Command, Group
from jobctl.errors import ConfigError, UsageError

sandbox_app = typer.Typer(
    cls=Group,
    help="Local emulators of all three providers on 127.0.0.1, for trying jobctl and "
    "rehearsing scripts (needs the sandbox extra). 'jobctl sandbox serve' (or bare "
    "'jobctl sandbox') serves them until Ctrl-C; 'run' runs one command against them; "
    "'demo' is the guided tour.",
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
    rich_markup_mode=None,
)

EnvFileOpt = Annotated[
    str | None,
    typer.Option(
        "--env-file",
        metavar="PATH",
        help="Also write the exports to PATH once serving ('. PATH' in another shell); "
        "removed when the sandbox stops.",
    ),
]
ExtraJobsOpt = Annotated[
    str | None,
    typer.Option(
        "--extra-jobs",
        metavar="N",
        help="Also seed N queued jobs per provider (aws-batch RUNNABLE in queue extra-q, "
        "aws-iot SCHEDULED, tencent RUNNABLE), to rehearse or time bulk stops; 0 to 10000.",
    ),
]
PortOpt = Annotated[
    int,
    typer.Option(
        "--port",
        metavar="PORT",
        help="moto (AWS Batch and IoT) on PORT, the Tencent emulator on PORT+1; 0: free ports.",
    ),
]


def require_extra() -> None:
    try:
        import moto  # noqa: F401 - only asking whether it is there
    except ImportError as exc:
        msg = "jobctl sandbox needs the sandbox extra (moto): pip install 'jobctl[sandbox]'"
        raise ConfigError(msg) from exc


def extra_jobs_count(given: str | None, ctx: typer.Context | None = None) -> int:
    """--extra-jobs N, checked before anything starts; a subcommand's own wins over
    `jobctl sandbox --extra-jobs N SUBCOMMAND`'s."""
    from jobctl.sandbox.world import MAX_EXTRA_JOBS

    if given is None:
        parent = ctx.parent if ctx is not None else None
        return int(parent.obj or 0) if parent is not None else 0
    text = given.strip()
    if not text.isdigit() or int(text) > MAX_EXTRA_JOBS:
        msg = (
            f"--extra-jobs {given[:40]!r} is not a number of jobs the sandbox seeds: "
            f"give a whole number from 0 to {MAX_EXTRA_JOBS} (jobs per provider)"
        )
        raise UsageError(msg)
    return int(text)


@sandbox_app.callback()
def sandbox(ctx: typer.Context, extra_jobs: ExtraJobsOpt = None) -> int:
    """Bare `jobctl sandbox` serves, as `jobctl sandbox serve` does."""
    count = extra_jobs_count(extra_jobs)
    if ctx.invoked_subcommand is not None:
        ctx.obj = count
        return 0
    return serve(ctx, extra_jobs=str(count))


@sandbox_app.command(cls=Command)
def serve(
    ctx: typer.Context,
    env_file: EnvFileOpt = None,
    port: PortOpt = 0,
    extra_jobs: ExtraJobsOpt = None,
) -> int:
    """Start the emulators, print the exports and the seeded jobs, and serve until Ctrl-C."""
    count = extra_jobs_count(extra_jobs, ctx)
    require_extra()
    from jobctl.sandbox.serving import serving

    return serving(env_file=env_file, port=port, extra_jobs=count)


@sandbox_app.command(cls=Command, context_settings={"allow_interspersed_args": False})
def run(
    ctx: typer.Context,
    command: Annotated[
        list[str], typer.Argument(metavar="COMMAND", help="The command to run, after --.")
    ],
    extra_jobs: ExtraJobsOpt = None,
) -> int:
    """Run COMMAND with the sandbox's environment, then stop everything; exit with its code."""
    count = extra_jobs_count(extra_jobs, ctx)
    require_extra()
    if not command:
        msg = "nothing to run: jobctl sandbox run -- COMMAND [ARGS…]"
        raise UsageError(msg)
    from jobctl.sandbox.world import Sandbox

    with Sandbox(extra_jobs=count) as sandbox:
        env = {**os.environ, **sandbox.env}
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as exc:
            msg = f"cannot run {command[0]!r}: {exc.strerror}"
            raise UsageError(msg) from exc
        # Ctrl-C reaches the child from the terminal; wait for it to finish its own way.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            code = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
    return 128 - code if code < 0 else code


@sandbox_app.command(cls=Command)
def demo(ctx: typer.Context, extra_jobs: ExtraJobsOpt = None) -> int:
    """A guided tour of the main job against the emulators; exits 0 if every step did."""
    count = extra_jobs_count(extra_jobs, ctx)
    require_extra()
    from jobctl.sandbox.demo import run_demo

    return run_demo(extra_jobs=count)
