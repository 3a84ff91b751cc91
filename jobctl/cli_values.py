"""Command-line values turned into Python ones in jobctl's words, without pydantic.

Typer (0.29) converts every parameter through a pydantic `TypeAdapter`, built the first time
the parameter is processed, even `--help`'s own flag: importing pydantic doubled the start of
every command (~110 ms, see the README's "Start-up"), and its messages leaked to users
("Value error, 'yaml' is not one of …", "Input should be a valid integer"). jobctl's
parameters are all plain (text, whole numbers, numbers, flags, lists of text, a `StrEnum`), so
`prime` gives each of them a converter of its own before Typer builds one; anything else is
left to Typer.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, get_args, get_origin

import typer

# Lower bounds, kept here rather than as Typer's `min=` (whose help reads "[x>=1]").
AT_LEAST: dict[str, float] = {"concurrency": 1, "rate": 0.01, "port": 0}
_NUMBER_WORDS = {int: "a whole number", float: "a number"}
# What a value of a choice option is called in a refusal; else "a choice".
_CHOICE_WORDS = {"output": "an output format"}


class ValueRefused(typer.BadParameter):
    """A value refused with a message that names the option itself: shown as it is."""

    def format_message(self) -> str:
        return self.message


def _label(param: Any) -> str:
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if opts:
        return "/".join(opts)
    # An argument: its metavar (SHELL) or its name, as the help shows it.
    return str(getattr(param, "metavar", None) or getattr(param, "name", "") or "value").upper()


class Convert:
    """One parameter's converter: the `coerce` Typer calls on its runtime parameter."""

    def __init__(self, annotation: Any) -> None:
        self.many = get_origin(annotation) is list
        self.leaf = get_args(annotation)[0] if self.many else annotation

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if (param.multiple or param.nargs == -1) else None
        if self.many:
            items = [value] if isinstance(value, str) else list(value)
            return [self.one(item, param) for item in items]
        return self.one(value, param)

    def one(self, value: Any, param: Any) -> Any:
        leaf = self.leaf
        if isinstance(value, leaf) and not (leaf is int and isinstance(value, bool)):
            converted = value
        elif leaf is bool:
            converted = str(value).lower() in {"1", "true", "yes", "on"}
        elif leaf is str:
            converted = str(value)
        elif isinstance(leaf, type) and issubclass(leaf, Enum):
            converted = self.choice(leaf, str(value), param)
        else:
            converted = self.number(leaf, str(value), param)
        return converted

    @staticmethod
    def choice(enum: type[Enum], text: str, param: Any) -> Enum:
        for member in enum:
            if member.value == text:
                return member
        names = [str(m.value) for m in enum]
        msg = (
            f"{_label(param)} {text[:40]!a} is not {_CHOICE_WORDS.get(param.name, 'a choice')}: "
            "use "
            f"{', '.join(names[:-1])} or {names[-1]}"
        )
        raise ValueRefused(msg)

    @staticmethod
    def number(kind: type, text: str, param: Any) -> float:
        try:
            number = kind(text.strip())
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            msg = f"{_label(param)} {text[:40]!a} is not {_NUMBER_WORDS[kind]}"
            raise ValueRefused(msg) from None
        least = AT_LEAST.get(param.name)
        if least is not None and number < least:
            msg = f"{_label(param)} {text[:40]!a} is too small: use {least:g} or more"
            raise ValueRefused(msg)
        return float(number) if kind is float else int(number)


def _simple(annotation: Any) -> bool:
    leaf = get_args(annotation)[0] if get_origin(annotation) is list else annotation
    plain = leaf in (str, bool, int, float)
    return plain or (isinstance(leaf, type) and issubclass(leaf, Enum))


def prime(params: list[Any]) -> None:
    """Give each plain Typer parameter jobctl's converter, before Typer builds its own."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", "unset") is not None:
            continue
        if _simple(descriptor.annotation):
            param._runtime_param = Convert(descriptor.annotation)
