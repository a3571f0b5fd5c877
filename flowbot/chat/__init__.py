"""``bot chat``: a terminal conversation with a bot (rendering in :mod:`render`, the session in :mod:`session`)."""
