"""Tab completion that answers before Typer, rich or any cloud SDK is imported.

See docs/ARCHITECTURE.md, "Tab completion".

    shell script ─► jobctl.__main__ ─► fast.answer ─┬─► parse (Click's rules over `table`)
                                                     ├─► values (providers, statuses, regions)
                                                     └─► jobs ─► cache ─► remote (cold cache)
                    └─ (anything fast cannot answer) ─► cli.app: Typer's completion ─► hooks ─┘

`table` is generated from the Typer app (scripts/gen_completions.py); Typer's own completion
calls the same value functions through `hooks`, and a test proves both paths answer alike.
Every module on the fast path imports the standard library only.
"""

# The variable the shell scripts set to ask for completions (Click's complete_var).
COMPLETE_VAR = "_JOBCTL_COMPLETE"


class Defer(Exception):
    """The fast path cannot answer this request exactly; Typer's own completion will."""
