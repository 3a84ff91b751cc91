"""Build time: read the Typer app and the provider registry into `table`'s literals.

Run by scripts/gen_completions.py and by the test that proves the checked-in files current.
Descriptions are rendered here exactly as Typer renders them at TAB time (rich markup
removed, zsh escaping applied), so the fast path prints them without importing rich.
"""

from __future__ import annotations

import os
import pprint
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer import rich_utils
from typer._param_types import choice_as_str
from typer.core import TyperArgument, TyperGroup, TyperOption

from jobctl import providers
from jobctl.complete import COMPLETE_VAR, hooks
from jobctl.complete.scripts import FILES
from jobctl.complete.shells import zsh_escape

if TYPE_CHECKING:
    from typer._click.core import Context

    from jobctl.complete.spec import Argument, Command, Help, Option, Provider, Values

PROG = "jobctl"
# The file each shell's script is installed from (README, "Tab completion"), in the package
# so that `jobctl completion SHELL` prints it from a wheel too.
SCRIPTS = FILES
SCRIPT_DIR = Path("jobctl") / "completions"
TABLE = Path("jobctl") / "complete" / "table.py"

# The scripts speak Typer's protocol (so Typer's own completion can answer any line the fast
# path defers), but never fall back to file names: no jobctl value is a local path, and in
# Typer's protocol an empty answer ("nothing fits") reads as "complete file names".
_BASH = """\
_jobctl_completion() {
    local IFS=$'\\n' words=() cword=0 i word rest=$COMP_LINE trimmed glued
    # Readline splits PROVIDER:ID and ARNs at COMP_WORDBREAKS' ':'; join the pieces again.
    for (( i = 0; i < ${#COMP_WORDS[@]}; i++ )); do
        word=${COMP_WORDS[i]}
        trimmed=${rest#"${rest%%[![:space:]]*}"}
        glued=$(( i > 0 && ${#trimmed} == ${#rest} ))
        rest=${trimmed:${#word}}
        if (( glued )) && [[ $word == :* || ${words[-1]} == *: ]]; then
            words[-1]+=$word
        else
            words+=("$word")
        fi
        (( i == COMP_CWORD )) && cword=$(( ${#words[@]} - 1 ))
    done
    COMPREPLY=( $( env COMP_WORDS="${words[*]}" \\
                   COMP_CWORD=$cword \\
                   %(var)s=complete_bash $1 ) )
    # Readline replaces only what follows the last ':' of the word.
    local current=${words[cword]}
    if [[ $current == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon=${current%"${current##*:}"}
        COMPREPLY=( "${COMPREPLY[@]#"$colon"}" )
    fi
    return 0
}

complete -F _jobctl_completion jobctl
"""
_ZSH = """\
#compdef jobctl

# Installed as `_jobctl` on $fpath, zsh autoloads this file as the function `_jobctl` and runs
# it at the first TAB: that run defines the `_jobctl` below in its place, for every later TAB,
# and completes with it. (Click's idiom, a helper function plus `compdef` when not autoloaded,
# left the second TAB of each shell completing nothing.) Sourced, it defines it and registers it.
_jobctl() {
  local answer
  answer=$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(var)s=complete_zsh jobctl)
  # Nothing fits (Typer says "_files"): offer nothing rather than file names.
  [[ -z $answer || $answer == _files ]] && return 1
  # jobctl has chosen what fits, in any case (`--status runna` offers RUNNABLE); zsh would
  # filter the values again by the word typed, case-sensitively unless given a matcher.
  if [[ $answer == _arguments\\ * ]]; then
    answer="_arguments -M 'm:{a-zA-Z}={A-Za-z}' ${answer#_arguments }"
  fi
  eval ${=answer}
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _jobctl "$@"
else
  compdef _jobctl jobctl
fi
"""
# Unconditional and --no-files: fish offers jobctl's answer or nothing, never file names.
_FISH = (
    "complete --command jobctl --no-files --arguments "
    '"(env %(var)s=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args '
    '_TYPER_COMPLETE_ARGS=(commandline -cp) jobctl)"\n'
)
_POWERSHELL = """\
Import-Module PSReadLine
Set-PSReadLineKeyHandler -Chord Tab -Function MenuComplete
$scriptblock = {
    param($wordToComplete, $commandAst, $cursorPosition)
    $Env:%(var)s = "complete_powershell"
    $Env:_TYPER_COMPLETE_ARGS = $commandAst.ToString()
    $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $wordToComplete
    $results = @(jobctl | ForEach-Object {
        $commandArray = $_ -Split ":::"
        $command = $commandArray[0]
        $helpString = $commandArray[1]
        [System.Management.Automation.CompletionResult]::new(
            $command, $command, 'ParameterValue', $helpString)
    })
    $Env:%(var)s = ""
    $Env:_TYPER_COMPLETE_ARGS = ""
    $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = ""
    # Nothing fits: an empty string keeps PowerShell from completing file names instead.
    if ($results.Count -eq 0) { return "" }
    $results
}
Register-ArgumentCompleter -Native -CommandName jobctl -ScriptBlock $scriptblock
"""
_TEMPLATES = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH, "powershell": _POWERSHELL}
# Parsing these runs no code with side effects under resilient parsing (they check it).
_QUIET_CALLBACKS = {"install_completion", "show_completion"}


def script(shell: str) -> str:
    return _TEMPLATES[shell].replace("%(var)s", COMPLETE_VAR)


def render_help(text: str | None) -> Help | None:
    """(zsh, fish, powershell) as Typer's format_completion prints a description."""
    if not text:
        return None
    # Typer wraps descriptions at the terminal's width, which breaks one completion entry in
    # two; the table keeps every description on one line, as on a wide terminal.
    rich_utils.MAX_WIDTH = 100_000
    sanitize = rich_utils.rich_render_text
    return (sanitize(zsh_escape(text)), sanitize(re.sub(r"\s", " ", text)), sanitize(text))


def app_table() -> Command:
    from jobctl.cli import app

    # Typer swaps --install-completion's type under this test switch; build what users get.
    os.environ.pop("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", None)
    root = typer.main.get_command(app)
    ctx = root.make_context(PROG, [], resilient_parsing=True)
    return _command(root, ctx, help=None)


def _command(cmd: Any, ctx: Context, *, help: str | None) -> Command:
    help_option = cmd.get_help_option(ctx)
    supported = (
        ctx.token_normalize_func is None
        and not ctx.ignore_unknown_options
        and ctx.auto_envvar_prefix is None
        and not getattr(cmd, "chain", False)
    )
    options: list[Option] = []
    arguments: list[Argument] = []
    for param in cmd.get_params(ctx):
        if isinstance(param, TyperOption):
            supported = supported and param.nargs == 1
            options.append(_option(param, ctx, is_help=param is help_option))
        elif isinstance(param, TyperArgument):
            arguments.append(
                {"name": str(param.name), "nargs": param.nargs, "values": _values(param)}
            )
        else:
            supported = False
    commands: dict[str, Command] = {}
    if isinstance(cmd, TyperGroup):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None:
                continue
            sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
            commands[name] = _command(sub, sub_ctx, help=sub.get_short_help_str())
            commands[name]["hidden"] = bool(sub.hidden)
    return {
        "help": render_help(help),
        "hidden": False,
        "group": isinstance(cmd, TyperGroup),
        "interspersed": bool(ctx.allow_interspersed_args),
        "supported": supported,
        "prefixes": sorted(cmd.make_parser(ctx)._opt_prefixes),
        "options": options,
        "arguments": arguments,
        "commands": commands,
    }


def _option(param: TyperOption, ctx: Context, *, is_help: bool) -> Option:
    opts = list(param.opts)
    if is_help:
        # Click builds the help option's names from a set, so their order changes with the
        # hash seed; the table keeps the declared order (-h, --help).
        opts = [name for name in ctx.help_option_names if name in opts]
    envvar = param.envvar
    return {
        "name": str(param.name),
        "opts": opts,
        "secondary": list(param.secondary_opts),
        "takes_value": not (param.is_flag or param.count),
        "multiple": bool(param.multiple),
        "hidden": bool(param.hidden),
        "envvar": [envvar] if isinstance(envvar, str) else list(envvar or ()),
        "help": render_help(param.help),
        "values": _values(param),
        "callback": param.callback is not None
        and not is_help
        and param.name not in _QUIET_CALLBACKS,
    }


def _values(param: TyperOption | TyperArgument) -> Values:
    kind = _completer_kind(param)
    if kind is not None:
        return {"kind": kind, "choices": [], "case_sensitive": True}
    desc = param.type_descriptor
    if desc.is_choice and desc.choices is not None:
        return {
            "kind": "choice",
            "choices": [choice_as_str(c) for c in desc.choices],
            "case_sensitive": bool(desc.case_sensitive),
        }
    return {"kind": "file" if desc.is_file else "none", "choices": [], "case_sensitive": True}


def _completer_kind(param: TyperOption | TyperArgument) -> str | None:
    """Which of `hooks`' functions Typer will call for this parameter's values."""
    completer = param._custom_shell_complete
    if completer is None:
        return None
    # Typer keeps the `autocompletion=` function, wrapped, in its adapter's closure.
    for cell in getattr(completer, "__closure__", None) or ():
        target = getattr(cell.cell_contents, "__wrapped__", None)
        for kind, function in hooks.COMPLETERS.items():
            if target is function:
                return kind
    return "custom"


def provider_table() -> dict[str, Provider]:
    """The built-in providers only: third-party ones are found at TAB time."""
    table: dict[str, Provider] = {}
    for name in providers.BUILTIN:
        info = providers.info(name)
        table[name] = {
            "title": info.title,
            "states": {state: str(phase) for state, phase in info.state_map.items()},
            "regions": list(info.regions),
            "region_env": list(info.region_env),
            "profile_env": list(info.profile_env),
            "endpoint_env": list(info.endpoint_env),
            "default_concurrency": info.default_concurrency,
            "default_rate": info.default_rate,
            "queues": info.queues,
        }
    return table


_HEADER = '''\
"""GENERATED by scripts/gen_completions.py from the Typer app and the provider registry.

Do not edit: run `python scripts/gen_completions.py`. A test fails when this file is stale.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from jobctl.complete.spec import Command, Provider

# fmt: off
'''


def table_source() -> str:
    def literal(value: object) -> str:
        return pprint.pformat(value, width=99, sort_dicts=False)

    from jobctl.selection import PHASE_WORDS

    return (
        f"{_HEADER}APP: Command = {literal(app_table())}\n\n"
        f"PROVIDERS: dict[str, Provider] = {literal(provider_table())}\n\n"
        f"PHASE_WORDS: list[str] = {literal(list(PHASE_WORDS))}\n"
    )


def write(root: Path) -> list[Path]:
    """Write completions/* and the table under `root` (the repository, or a test's tmp dir)."""
    written = []
    for shell, name in SCRIPTS.items():
        path = root / SCRIPT_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script(shell))
        written.append(path)
    table = root / TABLE
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(table_source())
    written.append(table)
    return written
