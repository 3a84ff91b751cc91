"""Local emulators that let jobctl run without a cloud account (docs/ARCHITECTURE.md, "The sandbox")."""
