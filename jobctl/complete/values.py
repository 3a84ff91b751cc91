"""The values TAB offers for --provider, --status and --region; both completion paths call these.

Each function returns (value, description) pairs already narrowed to the word being
completed, as Typer's own `autocompletion` adapter would narrow them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from jobctl.complete.catalog import Catalog, Facts

    Pair = tuple[str, str | None]
    # Option name -> its value on the line (or its envvar), as Typer's ctx.params has it.
    Params = Mapping[str, str | None]

# The options whose values say which provider and account a TAB is about, by parameter name.
SCOPE_PARAMS = ("provider", "region", "profile", "endpoint_url")
# Longer descriptions would wrap in Typer's path (it wraps at the terminal's width).
_DESCRIPTION_WIDTH = 60


def describe(*parts: str | None) -> str:
    """One short line that every shell shows as is and rich leaves alone."""
    text = ", ".join(part for part in parts if part)
    text = "".join(c if c.isprintable() else " " for c in text)
    # Rich would read [word] as markup and drop it; fish turns every blank into a space.
    text = " ".join(text.replace("[", "(").replace("]", ")").split())
    if len(text) > _DESCRIPTION_WIDTH:
        text = text[: _DESCRIPTION_WIDTH - 3] + "..."
    return text


def narrow(pairs: Iterable[Pair], incomplete: str) -> list[Pair]:
    return [(value, help) for value, help in pairs if value.startswith(incomplete)]


def effective_provider(line_value: str | None) -> str | None:
    """The provider the command would use: the line (or JOBCTL_PROVIDER), else the config."""
    from jobctl.complete.scope import default_provider

    return default_provider(line_value)


def in_scope(catalog: Catalog, params: Params) -> list[Facts]:
    """The provider on the line, or every provider when there is none."""
    name = effective_provider(params.get("provider"))
    if name is not None:
        facts = catalog.facts(name)
        return [facts] if facts is not None else []
    return [f for f in (catalog.facts(n) for n in catalog.names()) if f is not None]


def providers(catalog: Catalog, params: Params, incomplete: str) -> list[Pair]:
    pairs = []
    for name in catalog.names():
        facts = catalog.facts(name)
        pairs.append((name, describe(facts.title) if facts is not None else None))
    return narrow(pairs, incomplete)


def statuses(catalog: Catalog, params: Params, incomplete: str) -> list[Pair]:
    """Phase words first (queued, running), then each native state with its phase."""
    scope = in_scope(catalog, params)
    natives: dict[str, str] = {}
    for facts in scope:
        for state, phase in facts.states.items():
            natives.setdefault(state, phase)
    pairs: list[Pair] = []
    for word in catalog.phase_words() if scope else []:
        members = [state for state, phase in natives.items() if phase == word]
        pairs.append((word, describe(f"phase: {' '.join(members)}")))
    pairs.extend((state, describe(phase)) for state, phase in natives.items())
    # States are taken in any case (`--status running` is RUNNING's phase, `runnable` is
    # RUNNABLE): `r` offers both spellings, each as the provider writes it.
    lower = incomplete.lower()
    return [(value, help) for value, help in pairs if value.lower().startswith(lower)]


def regions(catalog: Catalog, params: Params, incomplete: str) -> list[Pair]:
    seen: dict[str, None] = {}
    for facts in in_scope(catalog, params):
        seen.update(dict.fromkeys(facts.regions))
    return narrow(((region, None) for region in seen), incomplete)
