"""The message ids of the reasons the triage engine gives (English, str.format placeholders).

They are gettext-style ids: the bot's catalog translates them; ``Reason.render`` gives English.
"""

from __future__ import annotations

EMPTY = "The request is empty"
TRUNCATED = "Only the first {chars} characters were analysed"

OUTAGE = 'Mentions an outage signal: "{cue}"'
SECURITY = 'Mentions a security signal: "{cue}"'
FAILURE_BREADTH = 'Something stopped working ("{failure}") for many people: "{cue}"'
FAILURE_LIKE_INCIDENT = (
    'Something stopped working ("{failure}") and it reads like an incident (similarity {score})'
)
FAILURE_TIME = 'Something stopped working ("{failure}") and time presses: "{cue}"'
QUESTION_FORM = 'Phrased as a question: "{cue}"'
INFO_REQUEST = 'Asks for information: "{cue}"'
DEFECT = 'Describes wrong behaviour: "{cue}"'
REQUEST = 'Asks for something new or changed: "{cue}"'
NEAREST_TYPE = "Reads most like a {type} (similarity {score}, {other} {other_score})"

URGENT = "Urgent: an incident goes to the Product Owner at once"
NOT_URGENT = "Not urgent: no sign that something is down or people are blocked"

DUPLICATE = 'Looks like a duplicate of {id} (similarity {score}): "{title}"'
DUPLICATE_VIA = "{id} is itself a duplicate of {original}, so this points to {original}"
NO_DUPLICATE = "No earlier item is similar enough (closest: {id}, similarity {score})"

HAS_WHY = 'Gives a reason: "{cue}"'
HAS_CONTEXT = 'Explains the situation: "{cue}"'
NEEDS_INFO = "Gives no reason or benefit: ask what problem it solves, and for whom"

ALL = (
    EMPTY,
    TRUNCATED,
    OUTAGE,
    SECURITY,
    FAILURE_BREADTH,
    FAILURE_TIME,
    FAILURE_LIKE_INCIDENT,
    QUESTION_FORM,
    INFO_REQUEST,
    DEFECT,
    REQUEST,
    NEAREST_TYPE,
    URGENT,
    NOT_URGENT,
    DUPLICATE,
    DUPLICATE_VIA,
    NO_DUPLICATE,
    HAS_WHY,
    HAS_CONTEXT,
    NEEDS_INFO,
)
