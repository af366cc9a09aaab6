"""How often the stakeholders may be asked: on no more than one request in five.

Counted over a workspace's latest requests (a sliding window), so a burst of unsure requests
cannot turn the bot into a questionnaire; the first request of a new workspace may still ask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

WINDOW = 20
SHARE = 0.2


def room(recent: Sequence[bool]) -> int:
    """How many questions the window has room for, counting the next request, given which of
    the latest requests (oldest first; the newest WINDOW - 1 count) carried one. The triage asks
    about urgency with room for one, about a duplicate only with room for two: the last place
    is kept for a request that may be urgent."""
    window = list(recent)[-(WINDOW - 1) :]
    allowed = math.ceil((len(window) + 1) * SHARE)
    return max(0, allowed - sum(window))
