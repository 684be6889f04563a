"""server face of TokenBudget."""
