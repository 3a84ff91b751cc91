"""Local emulators that let jobctl run without a cloud account.

See docs/ARCHITECTURE.md, "The sandbox".
"""
