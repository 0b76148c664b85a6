"""The REST surface: ``/v1/*`` routes and health."""
