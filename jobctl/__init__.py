"""jobctl: stop batch jobs on any cloud, and be told the truth about every one of them."""

from __future__ import annotations

__version__ = "0.1.0"
