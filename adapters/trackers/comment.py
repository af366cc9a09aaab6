"""What a tracker's webhook says about a new comment, read the same way for every tracker."""

from __future__ import annotations

from typing import NamedTuple


class Comment(NamedTuple):
    key: str  # the item's key
    author: str
    text: str
    # The comment's own id in the tracker ("" when the delivery does not name one): a comment
    # delivered again under a new delivery id is still the same comment, relayed once.
    comment_id: str
