"""The flowbot error tree.

``FlowbotError`` is what a user caused and can fix (a bad bot, a bad request); anything else
that escapes is a bug in flowbot and is reported as an internal error.
"""

from __future__ import annotations


class FlowbotError(Exception):
    """Base of every error flowbot reports to a user."""
