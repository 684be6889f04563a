"""The core: usage and cost model, price book, store, analytics. Knows nothing of CLI, HTTP or terminals."""
