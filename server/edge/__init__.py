"""What every surface shares: dependencies, authorisation, error bodies, rendering, metrics."""
