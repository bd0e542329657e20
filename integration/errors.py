"""The one base class of a user's mistake: ``chub`` says it in one line, no traceback.

Every room of `integration/` raises a subclass (a review answer on a pair that is gone,
a golden id that does not exist, a token that is already revoked, ...); the CLI turns any
of them into ``chub: <message>`` and exit code 2, the web app into a 4xx with the message.
"""

from __future__ import annotations

__all__ = ["ChubError"]


class ChubError(Exception):
    """A user's mistake or a refused action; the message says what and why in one sentence."""
