"""The message ids of the reasons the triage engine gives (English, str.format placeholders).

They are gettext-style ids: the bot's catalog translates them; ``Reason.render`` gives English.
"""

from __future__ import annotations

from bot.i18n import N_

EMPTY = N_("The request is empty")
TRUNCATED = N_("Only the first {chars} characters were analysed")

OUTAGE = N_('Mentions an outage signal: "{cue}"')
SECURITY = N_('Mentions a security signal: "{cue}"')
FAILURE_BREADTH = N_('Something stopped working ("{failure}") for many people: "{cue}"')
FAILURE_TIME = N_('Something stopped working ("{failure}") and time presses: "{cue}"')
QUESTION_FORM = N_('Phrased as a question: "{cue}"')
INFO_REQUEST = N_('Asks for information: "{cue}"')
DEFECT = N_('Describes wrong behaviour: "{cue}"')
REQUEST = N_('Asks for something new or changed: "{cue}"')
NEAREST_TYPE = N_("Reads most like a {type} (similarity {score}, {other} {other_score})")

URGENT = N_("Urgent: an incident goes to the Product Owner at once")
NOT_URGENT = N_("Not urgent: no sign that something is down or people are blocked")

DUPLICATE = N_('Looks like a duplicate of {id} (similarity {score}): "{title}"')
DUPLICATE_VIA = N_("{id} is itself a duplicate of {original}, so this points to {original}")
NO_DUPLICATE = N_("No earlier item is similar enough (closest: {id}, similarity {score})")

HAS_WHY = N_('Gives a reason: "{cue}"')
HAS_CONTEXT = N_('Explains the situation: "{cue}"')
NEEDS_INFO = N_("Gives no reason or benefit: ask what problem it solves, and for whom")

ALL = (
    EMPTY,
    TRUNCATED,
    OUTAGE,
    SECURITY,
    FAILURE_BREADTH,
    FAILURE_TIME,
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
