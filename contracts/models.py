"""Models arrive with the contracts issue."""
