"""How jobctl's help reads: options in panels, examples at the end, no rich on the path.

Typer draws `rich_help_panel` only through rich (`rich_markup_mode="rich"`), which costs
`--help` the import of rich and more. These command classes read the same `rich_help_panel`
attribute and write plain Click sections instead, then the command's three examples and the
exit codes. They also give every parameter jobctl's own converter (`cli_values.prime`) before
Typer would build a pydantic one.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

from jobctl import cli_values

EXIT_CODES = """\
Exit codes: 0 every job ok · 1 every job failed, an unexpected error, or standard output
refused the results (every job was still handled: see the audit log) · 2 usage or input
error, nothing sent · 3 partial: some ok, some failed · 4 configuration or credentials error ·
5 --wait timed out with jobs still stopping · 130 interrupted. A reader that goes away
(| head) changes no exit code."""

# Options without a panel (-h/--help, a command's only option) are listed last, under this.
OTHER = "Options"

# Three examples per command, written as a person would type them, each after its comment.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "jobctl": (
        ("Try everything against local emulators", "jobctl sandbox demo"),
        ("Cancel a queued AWS Batch job, saying why",
         'jobctl cancel -p aws-batch JOB -r "bad input"'),
        ("What each provider's cancel and terminate send", "jobctl providers"),
    ),
    "cancel": (
        ("Cancel queued jobs, saying why", 'jobctl cancel -p aws-batch JOB1 JOB2 -r "bad input"'),
        ("Look first: the exact requests, none sent", "jobctl cancel -p aws-batch --dry-run JOB"),
        ("Every RUNNABLE job of a queue older than 2h, no prompt",
         "jobctl cancel -p aws-batch --queue nightly --status RUNNABLE --older-than 2h --yes"),
    ),
    "terminate": (
        ("Stop jobs whatever their state, and wait until they are",
         "jobctl terminate -p tencent job-rybewp57 --wait"),
        ("Stop one IoT job's execution on two things",
         "jobctl terminate -p aws-iot ota-canary --thing sensor-a --thing sensor-b"),
        ("Ids on standard input, JSON out",
         "jobctl list -p aws-batch --queue q | jobctl terminate -p aws-batch --yes -o json -"),
    ),
    "status": (
        ("One job's state and phase", "jobctl status -p aws-batch JOB"),
        ("Jobs of several providers at once",
         "jobctl status tencent:job-rybewp57 aws-iot:ota-canary"),
        ("As JSON, for a script", "jobctl status -p aws-batch -o json JOB"),
    ),
    "list": (
        ("Unfinished jobs of one queue", "jobctl list -p aws-batch --queue nightly"),
        ("Queued jobs older than an hour",
         "jobctl list -p tencent --status queued --older-than 1h"),
        ("Feed a selection to cancel",
         "jobctl list -p aws-batch --name 'backfill-*' | jobctl cancel -p aws-batch --yes -"),
    ),
    "completion": (
        ("TAB for bash, from ~/.bashrc", 'eval "$(jobctl completion bash)"'),
        ("TAB for zsh", "jobctl completion zsh > ~/.zfunc/_jobctl"),
        ("TAB for fish", "jobctl completion fish > ~/.config/fish/completions/jobctl.fish"),
    ),
    "providers": (
        ("The capability matrix", "jobctl providers"),
        ("As JSON", "jobctl providers -o json"),
        ("One line per provider and state, for grep", "jobctl providers -o plain | grep tencent"),
    ),
    "config": (
        ("Every setting and where it came from", "jobctl config show"),
        ("The same as JSON", "jobctl config show -o json"),
        ("The file jobctl reads", "jobctl config path"),
    ),
    "show": (
        ("Every setting and where it came from", "jobctl config show"),
        ("With another file", "JOBCTL_CONFIG=./ci.toml jobctl config show"),
        ("What a run given --region would use", "jobctl config show --region eu-west-1"),
    ),
    "path": (
        ("The file jobctl reads", "jobctl config path"),
        ("Open it", '"${EDITOR:-vi}" "$(jobctl config path)"'),
        ("Without the notice when it does not exist yet", "jobctl config path -q"),
    ),
    "sandbox": (
        ("The guided tour", "jobctl sandbox demo"),
        ("Serve in the background, then use it from this shell",
         "jobctl sandbox serve --env-file sandbox.env &  # then, once it serves: . ./sandbox.env"),
        ("Rehearse a script against the emulators", "jobctl sandbox run -- ./stop-nightly.sh"),
    ),
    "serve": (
        ("Serve until Ctrl-C, printing the exports", "jobctl sandbox serve"),
        ("Serve in the background, then use it from this shell",
         "jobctl sandbox serve --env-file sandbox.env &  # then, once it serves: . ./sandbox.env"),
        ("Fixed ports: moto on 5000, Tencent on 5001", "jobctl sandbox serve --port 5000"),
    ),
    "run": (
        ("Rehearse a script", "jobctl sandbox run -- ./stop-nightly.sh"),
        ("One command", "jobctl sandbox run -- jobctl list -p aws-batch"),
        ("A Python script using jobctl.api", "jobctl sandbox run -- python stop_backfill.py"),
    ),
    "demo": (
        ("The guided tour", "jobctl sandbox demo"),
        ("Serve instead, to try commands by hand", "jobctl sandbox serve"),
        ("The tour's exit code in a script", "jobctl sandbox demo >/dev/null && echo ok"),
    ),
}  # fmt: skip
STOPPING = {"cancel", "terminate", "status", "list", "jobctl"}


def _format_options(command: Any, ctx: Any, formatter: Any) -> None:
    arguments: list[tuple[str, str]] = []
    panels: dict[str, list[tuple[str, str]]] = {}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            # Typer appends the Python type ("JOB <list[str]>"): the metavar says it in words.
            name = param.metavar or param.human_readable_name
            arguments.append((f"{name}..." if param.nargs == -1 else name, record[1]))
        else:
            panels.setdefault(getattr(param, "rich_help_panel", None) or OTHER, []).append(record)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    other = panels.pop(OTHER, [])
    for title, rows in [*panels.items(), (OTHER if not panels else "Other", other)]:
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


def _format_epilog(command: Any, formatter: Any) -> None:
    examples = EXAMPLES.get(command.name or "")
    if examples:
        with formatter.section("Examples"):
            for comment, line in examples:
                formatter.write(f"{'':{formatter.current_indent}}# {comment}\n")
                formatter.write(f"{'':{formatter.current_indent}}{line}\n")
    if command.name in STOPPING:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(EXIT_CODES)


class _Jobctl:
    """What every jobctl command and group shares: jobctl's converters and its epilog."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        cli_values.prime(params)
        return params

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        _format_epilog(self, formatter)


class Command(_Jobctl, TyperCommand):
    """A jobctl command: panels, examples, and jobctl's converters."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_options(self, ctx, formatter)


class Group(_Jobctl, TyperGroup):
    """A jobctl command group (the root, `config`, `sandbox`): the same, and its commands."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)
