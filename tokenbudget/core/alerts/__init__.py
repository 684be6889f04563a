"""Budget alerts: detection (exactly once per budget, period and threshold), channels and the delivery outbox."""
