"""Click's completion rules, replayed over `table`: which command, and what is being completed.

Mirrors `_resolve_context` / `_resolve_incomplete` of Typer's vendored Click
(typer/_click/shell_completion.py) and its resilient option parser (typer/_click/parser.py):
a parse error ends parsing quietly, the words after it are dropped, and completion goes on
with what was understood. Anything the table cannot model raises `Defer`, and Typer answers.
"""

from __future__ import annotations

from jobctl.complete import Defer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobctl.complete.spec import Argument, Command, Option


class _Stop(Exception):
    """Click's resilient parser hit a usage error: stop parsing, keep what was parsed."""


class Context:
    """What completion knows of one command on the line (Click's Context, reduced)."""

    def __init__(self, command: Command, path: tuple[str, ...], prefixes: set[str]) -> None:
        self.command = command
        self.path = path
        # Click's ctx._opt_prefixes: the parent's, then the command's own.
        self.prefixes = prefixes | set(command["prefixes"])
        # Option name -> raw value(s), for options given on the line.
        self.given: dict[str, object] = {}
        self.rest: list[str] = []

    def starts_option(self, word: str) -> bool:
        return bool(word) and word[0] in self.prefixes

    def value(self, name: str, environ: Mapping[str, str]) -> str | None:
        """An option's value as Typer's ctx.params holds it: the line, else its envvar."""
        given = self.given.get(name)
        if isinstance(given, str):
            return given
        if isinstance(given, list):
            return str(given[-1]) if given else None
        for option in self.command["options"]:
            if option["name"] == name:
                return next((environ[v] for v in option["envvar"] if environ.get(v)), None)
        return None


def resolve(app: Command, args: list[str], incomplete: str) -> tuple[Context, object, str]:
    """(context, what completes, the incomplete word): the object is the Command, an Option
    or an Argument spec, as Click's `_resolve_incomplete` picks it."""
    ctx = _context(app, args)
    args = list(args)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and ctx.starts_option(incomplete):
        name, _, incomplete = incomplete.partition("=")
        args.append(name)
    if "--" not in args and ctx.starts_option(incomplete):
        return ctx, ctx.command, incomplete
    for option in ctx.command["options"]:
        # Click looks at the last complete word only (every option here takes one value).
        last = args[-1] if args else ""
        if option["takes_value"] and ctx.starts_option(last) and last in option["opts"]:
            return ctx, option, incomplete
    for argument in ctx.command["arguments"]:
        if argument["nargs"] == -1 or argument["name"] not in ctx.given:
            return ctx, argument, incomplete
    return ctx, ctx.command, incomplete


def _context(app: Command, args: list[str]) -> Context:
    ctx = Context(app, (), set())
    _parse(ctx, args)
    rest = ctx.rest
    while rest and ctx.command["group"]:
        sub = ctx.command["commands"].get(rest[0])
        if sub is None:
            break
        ctx = Context(sub, (*ctx.path, rest[0]), ctx.prefixes)
        _parse(ctx, rest[1:])
        rest = ctx.rest
    return ctx


def _parse(ctx: Context, args: list[str]) -> None:
    """Click's _OptionParser.parse_args under resilient parsing, recording what was given."""
    command = ctx.command
    if not command["supported"]:
        raise Defer
    prefixes = set(command["prefixes"])
    by_name = {name: o for o in command["options"] for name in (*o["opts"], *o["secondary"])}
    rargs = list(args)
    largs: list[str] = []
    try:
        while rargs:
            arg = rargs.pop(0)
            if arg == "--":
                break
            if arg[:1] in prefixes and len(arg) > 1:
                _option_word(ctx, arg, rargs, by_name, prefixes)
            elif command["interspersed"]:
                largs.append(arg)
            else:
                rargs.insert(0, arg)
                break
        largs = _arguments(ctx, command["arguments"], largs + rargs)
    except _Stop:
        pass
    # A group's leftovers start with its subcommand's name; a command's are unused words.
    ctx.rest = largs


def _option_word(
    ctx: Context, arg: str, rargs: list[str], by_name: dict[str, Option], prefixes: set[str]
) -> None:
    explicit = None
    long_opt = arg
    if "=" in arg:
        long_opt, explicit = arg.split("=", 1)
    option = by_name.get(long_opt)
    if option is not None and not _is_short(long_opt):
        if option["takes_value"]:
            if explicit is not None:
                rargs.insert(0, explicit)
            _take(ctx, option, rargs)
        elif explicit is not None:
            raise _Stop
        else:
            _flag(ctx, option)
        return
    if arg[:2] in prefixes:
        raise _Stop  # an unknown long option: Click stops there
    # Short options, possibly clustered (-fq) or with a glued value (-paws-batch).
    for index, char in enumerate(arg[1:], start=2):
        short = by_name.get(f"{arg[0]}{char}")
        if short is None or not _is_short(f"{arg[0]}{char}"):
            raise _Stop
        if short["takes_value"]:
            if index < len(arg):
                rargs.insert(0, arg[index:])
            _take(ctx, short, rargs)
            return
        _flag(ctx, short)


def _is_short(opt: str) -> bool:
    # Click's _Option: one prefix character and one name character make a short option.
    first = opt[:1]
    return len(opt) == 2 and not first.isalnum() and opt[1:2] != first


def _take(ctx: Context, option: Option, rargs: list[str]) -> None:
    if not rargs:
        raise _Stop  # "Option requires an argument."
    if option["callback"]:
        raise Defer
    value = rargs.pop(0)
    if option["multiple"]:
        values = ctx.given.setdefault(option["name"], [])
        assert isinstance(values, list)
        values.append(value)
    else:
        ctx.given[option["name"]] = value


def _flag(ctx: Context, option: Option) -> None:
    if option["callback"]:
        raise Defer
    ctx.given[option["name"]] = True


def _arguments(ctx: Context, arguments: list[Argument], words: list[str]) -> list[str]:
    """Click's _unpack_args for the nargs this app uses (1 and -1); returns leftovers."""
    if any(a["nargs"] not in (1, -1) for a in arguments):
        raise Defer
    words = list(words)
    variadic = next((i for i, a in enumerate(arguments) if a["nargs"] == -1), None)
    after = arguments[variadic + 1 :] if variadic is not None else []
    before = arguments if variadic is None else arguments[:variadic]
    for argument in before:
        if words:
            ctx.given[argument["name"]] = words.pop(0)
    tail = [words.pop() if words else None for _ in after]
    for argument, word in zip(reversed(after), tail, strict=True):
        if word is not None:
            ctx.given[argument["name"]] = word
    if variadic is not None:
        if words:
            ctx.given[arguments[variadic]["name"]] = words
        return []
    return words
