"""Models arrive with the catalog issue."""
