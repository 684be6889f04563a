"""cli face of TokenBudget."""
