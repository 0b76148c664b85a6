"""The read domain, grouped by what it does: retrieval/, answering/ (the gateway every surface
calls), releases/, precedents/, feedback/, evaluation/, audit/; schemas (the Answer types every
surface shares) and watchdog at the top."""
