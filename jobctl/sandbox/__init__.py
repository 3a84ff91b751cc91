"""Local emulators that let jobctl run without a cloud account (see DESIGN.md section 9)."""
