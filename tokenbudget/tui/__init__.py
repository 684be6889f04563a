"""tui face of TokenBudget."""
