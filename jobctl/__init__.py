"""jobctl: stop batch jobs on any cloud, and be told the truth about every one of them."""

from __future__ import annotations

__version__ = "0.1.0"
# Third-party providers register here (jobctl.providers reads it; TAB scans for it).
ENTRY_POINT_GROUP = "jobctl.providers"
