"""Built-in defaults more than one layer needs; a leaf: it imports nothing, so anything may.

The settings resolver (jobctl/settings.py) re-exports them and says where each value came from.
"""

# Longest --wait, and the retry budget of one request: 10 minutes.
DEFAULT_TIMEOUT = 600.0
