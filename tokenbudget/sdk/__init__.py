"""sdk face of TokenBudget."""
