"""The web surface: the chat page and the /diff page."""
