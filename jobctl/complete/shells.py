"""What each shell's completion script sends, and what it expects back, exactly as Typer does.

Mirrors typer/_completion_classes.py (Bash/Zsh/Fish/PowerShellComplete) and Click's
`split_arg_string`; the equivalence test holds the two to the same output.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from jobctl.complete.spec import Help

    # A completion candidate: its value and its description as each shell shows it.
    Item = tuple[str, Help | None]

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


_BLANK = " \t\r\n"
_QUOTES = "'\""


def split_arg_string(string: str) -> list[str]:
    """Click's `split_arg_string`: POSIX shlex words, an unfinished quote's partial word kept.

    The state machine of `shlex.shlex(posix=True, whitespace_split=True, commenters="")`,
    written out because importing shlex imports `re`, the largest cost left on a TAB;
    a property test holds the two to the same words.
    """
    words: list[str] = []
    state: str | None = " "  # " " between words, "a" in one, a quote or a backslash
    at = 0
    while True:
        token, quoted, escaped_from = "", False, " "
        while True:
            char = string[at : at + 1]
            at += 1
            if state is None:
                break
            if state in (" ", "a"):
                if not char:
                    state = None
                    break
                if char in _BLANK:
                    state = " "
                    if token or quoted:
                        break
                elif char in _QUOTES:
                    state = char
                elif char == "\\":
                    escaped_from, state = "a", char
                else:
                    token, state = token + char, "a"
            elif state in _QUOTES:
                quoted = True
                if not char:  # shlex: "No closing quotation"; Click keeps the partial word
                    return [*words, token]
                if char == state:
                    state = "a"
                elif char == "\\" and state == '"':
                    escaped_from, state = state, char
                else:
                    token += char
            else:
                if not char:  # shlex: "No escaped character"
                    return [*words, token]
                # Inside double quotes only a quote or a backslash can be escaped.
                if escaped_from in _QUOTES and char not in (state, escaped_from):
                    token += state
                token, state = token + char, escaped_from
        if not token and not quoted:
            return words
        words.append(token)


def request(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """(complete words after the program name, the word being completed)."""
    if shell == "bash":
        cwords = split_arg_string(environ["COMP_WORDS"])
        cword = int(environ["COMP_CWORD"])
        incomplete = cwords[cword] if cword < len(cwords) else ""
        return cwords[1:cword], incomplete
    line = environ.get("_TYPER_COMPLETE_ARGS", "")
    cwords = split_arg_string(line)
    if shell in ("powershell", "pwsh"):
        incomplete = environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return (cwords[1:-1] if incomplete else cwords[1:]), incomplete
    args = cwords[1:]
    if args and not line.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


def zsh_escape(text: str) -> str:
    return (
        text.replace('"', '""')
        .replace("'", "''")
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace(":", r"\\:")
    )


def plain_help(text: str | None) -> Help | None:
    """A description made by a value function, as Typer would show it.

    Value functions only produce text rich leaves alone (`values.describe`), so Typer's
    markup stripping is the identity and need not run here.
    """
    if not text:
        return None
    return (zsh_escape(text), text, text)


def response(shell: str, items: Sequence[Item], environ: Mapping[str, str]) -> tuple[str, int]:
    """(what to print, exit code) for the completion script of `shell`."""
    if shell == "bash":
        return "\n".join(value for value, _ in items) + "\n", 0
    if shell == "zsh":
        if not items:
            return "_files\n", 0
        lines = [
            f'"{zsh_escape(value)}":"{help[0]}"' if help else f'"{zsh_escape(value)}"'
            for value, help in items
        ]
        joined = "\n".join(lines)
        return f"_arguments '*: :(({joined}))'\n", 0
    if shell == "fish":
        action = environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":
            # The script asks first whether to offer these instead of file names.
            return "", 0 if items else 1
        if action == "get-args" and items:
            lines = [f"{value}\t{help[1]}" if help else value for value, help in items]
            return "\n".join(lines) + "\n", 0
        return "\n", 0
    lines = [f"{value}:::{help[2] if help else ' '}" for value, help in items]
    return "\n".join(lines) + "\n", 0
