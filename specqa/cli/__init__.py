"""The ``specqa`` command: the top layer, over the server's read domain and the write path."""
