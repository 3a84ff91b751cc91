"""`jobctl sandbox`: serve, run a command against, or tour the local emulators."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer

from jobctl.errors import ConfigError, UsageError

sandbox_app = typer.Typer(
    help="Local emulators of all three providers on 127.0.0.1, for trying jobctl and "
    "rehearsing scripts (needs the sandbox extra).",
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
    rich_markup_mode=None,
)


def require_extra() -> None:
    try:
        import moto  # noqa: F401 - only asking whether it is there
    except ImportError as exc:
        msg = "jobctl sandbox needs the sandbox extra (moto): pip install 'jobctl[sandbox]'"
        raise ConfigError(msg) from exc


@sandbox_app.callback()
def serve(ctx: typer.Context) -> int:
    """Start the emulators, print the environment to export, and serve until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return 0
    require_extra()
    from jobctl.sandbox.world import Sandbox

    # Ctrl-C is how this command ends, whenever it comes: leaving the block stops every server.
    try:
        with Sandbox() as sandbox:
            sys.stdout.write(sandbox.exports() + "\n")
            sys.stdout.flush()
            sys.stderr.write("jobctl: sandbox serving on 127.0.0.1; Ctrl-C to stop\n")
            threading.Event().wait()
    except KeyboardInterrupt:
        sys.stderr.write("jobctl: sandbox stopped\n")
    return 0


@sandbox_app.command(context_settings={"allow_interspersed_args": False})
def run(
    command: Annotated[list[str], typer.Argument(help="The command to run, after --.")],
) -> int:
    """Run COMMAND with the sandbox's environment, then stop everything; exit with its code."""
    require_extra()
    if not command:
        msg = "nothing to run: jobctl sandbox run -- COMMAND [ARGS…]"
        raise UsageError(msg)
    from jobctl.sandbox.world import Sandbox

    with Sandbox() as sandbox:
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


@sandbox_app.command()
def demo() -> int:
    """A guided tour of the main job against the emulators; exits 0 if every step did."""
    require_extra()
    from jobctl.sandbox.demo import run_demo

    return run_demo()
