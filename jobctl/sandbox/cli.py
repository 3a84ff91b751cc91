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


@sandbox_app.callback()
def sandbox(ctx: typer.Context) -> int:
    """Bare `jobctl sandbox` serves, as `jobctl sandbox serve` does."""
    if ctx.invoked_subcommand is not None:
        return 0
    return serve()


@sandbox_app.command(cls=Command)
def serve(env_file: EnvFileOpt = None, port: PortOpt = 0) -> int:
    """Start the emulators, print the exports and the seeded jobs, and serve until Ctrl-C."""
    require_extra()
    from jobctl.sandbox.serving import serving

    return serving(env_file=env_file, port=port)


@sandbox_app.command(cls=Command, context_settings={"allow_interspersed_args": False})
def run(
    command: Annotated[
        list[str], typer.Argument(metavar="COMMAND", help="The command to run, after --.")
    ],
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


@sandbox_app.command(cls=Command)
def demo() -> int:
    """A guided tour of the main job against the emulators; exits 0 if every step did."""
    require_extra()
    from jobctl.sandbox.demo import run_demo

    return run_demo()
