"""Which third-party providers may be installed, without importlib.metadata.

importlib.metadata costs ~25 ms (its own imports, then every distribution's metadata): more than
the rest of a TAB, and a tenth of a run's start. Reading each installed distribution's
entry_points.txt for the group's header costs ~1 ms. This scan can only see too much (a stale
dist-info, a name under another header's line, or UNSEEN for a place on sys.path it cannot
read: a zip or an egg): a caller that finds a name goes on to the exact reading; one that
finds none knows there is no plug-in.
"""

from __future__ import annotations

import os
import sys

from jobctl import ENTRY_POINT_GROUP

# Stands for the names a place on sys.path this scan cannot read may hold.
UNSEEN = "?"


def registered_names() -> list[str]:
    """Names in the entry-point group, read from installed distributions' entry_points.txt."""
    header = f"[{ENTRY_POINT_GROUP}]"
    names = []
    for folder in sys.path:
        if folder.endswith(".egg") or os.path.isfile(folder):
            names.append(UNSEEN)  # a zip or an egg: only importlib.metadata reads those
            continue
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, entry, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if header in text:
                section = text.split(header, 1)[1].split("\n[", 1)[0]
                names += [
                    line.split("=")[0].strip() for line in section.splitlines() if "=" in line
                ]
    return names
