"""HTTP surfaces: thin routers over the answering service."""
