"""The message ids of the reasons the triage gives (English, str.format placeholders).

They are gettext-style ids: the bot's catalog translates them; ``Reason.render`` gives English.
"""

from __future__ import annotations

from bot.kernel.i18n import N_

EMPTY = N_("The request is empty")
TRUNCATED = N_("Only the first {chars} characters were analysed")

# The type, with the nearest labelled examples of it.
LIKE_EXAMPLES = {
    "incident": N_('Closest to earlier incidents such as "{example}" (certainty {p})'),
    "bug": N_('Closest to earlier bugs such as "{example}" (certainty {p})'),
    "feature": N_('Closest to earlier feature requests such as "{example}" (certainty {p})'),
    "question": N_('Closest to earlier questions such as "{example}" (certainty {p})'),
}
# The type, where the workspace's own corrections weighed in.
TEAM_LABELLED = {
    "incident": N_('Your team marked a similar request as an incident: "{example}"'),
    "bug": N_('Your team marked a similar request as a bug: "{example}"'),
    "feature": N_('Your team marked a similar request as a feature request: "{example}"'),
    "question": N_('Your team marked a similar request as a question: "{example}"'),
}
OUTAGE = N_('Mentions an outage: "{cue}"')
SECURITY = N_('Mentions a security or privacy problem: "{cue}"')

URGENT = N_("Urgent ({p}): it reads like something that cannot wait, so it goes to the PO at once")
NOT_URGENT = N_("Not urgent ({p}): nothing says it cannot wait for the next review")
URGENT_ASKED = N_(
    "Not sure it can wait ({p}): the stakeholder is asked whether it is blocking people now"
)
URGENT_NOT_ASKED = N_(
    "Not sure it can wait ({p}); enough questions were asked lately, so the stakeholder can "
    "still mark it urgent"
)
URGENT_UNASKED_SAFE = N_(
    "Not sure it can wait ({p}), and enough questions were asked lately: it goes to the PO at "
    "once, to be safe"
)
QUESTION_NOT_URGENT = N_("A question for information is never urgent")
QUESTION_ASKED = N_(
    "Reads like a question, and also like something that cannot wait ({p}): the stakeholder is "
    "asked whether it is blocking people now"
)

DUPLICATE = N_('Looks like a duplicate of {id} (similarity {score}): "{title}"')
DUPLICATE_VIA = N_("{id} is itself a duplicate of {original}, so this points to {original}")
DUPLICATE_ASKED = N_(
    'Might be the same as {id} (similarity {score}): "{title}"; the stakeholder is asked'
)
NO_DUPLICATE = N_("No earlier item is similar enough (closest: {id}, similarity {score})")
INHERITED = N_("Takes the type and urgency of the request it repeats")

HAS_WHY = N_('Gives a reason: "{cue}"')
HAS_CONTEXT = N_("Explains what it is for (certainty {p})")
NEEDS_INFO = N_("Gives no reason or benefit: ask what problem it solves, and for whom")

# Added later to an item's reasons, by the stakeholder's answer or the PO's correction.
STAKEHOLDER_URGENT = N_("The stakeholder says it is blocking people now")
STAKEHOLDER_CAN_WAIT = N_("The stakeholder says it can wait")
STAKEHOLDER_ESCALATED = N_("The stakeholder marked it urgent")
STAKEHOLDER_SAME = N_("The stakeholder confirmed it is the same as #{id}")
STAKEHOLDER_OTHER = N_("The stakeholder says it is not the same as #{id}")
STAKEHOLDER_WHY = N_('The stakeholder explained why: "{answer}"')
STAKEHOLDER_NO_WHY = N_("Asked why, the stakeholder gave no reason")
CORRECTED_TYPE = N_("{who} corrected it: {type}")
CORRECTED_URGENT = N_("{who} marked it urgent")
CORRECTED_NOT_URGENT = N_("{who} marked it not urgent")
CORRECTED_NOT_DUPLICATE = N_("{who} marked it as not a duplicate of #{id}")

# The reasons about one thing, which a later answer or correction of that thing replaces: the
# card shows only the latest word on it.
ABOUT_URGENCY = frozenset(
    {
        URGENT,
        NOT_URGENT,
        URGENT_ASKED,
        URGENT_NOT_ASKED,
        URGENT_UNASKED_SAFE,
        QUESTION_NOT_URGENT,
        QUESTION_ASKED,
        STAKEHOLDER_URGENT,
        STAKEHOLDER_CAN_WAIT,
        STAKEHOLDER_ESCALATED,
        CORRECTED_URGENT,
        CORRECTED_NOT_URGENT,
    }
)
ABOUT_TYPE = frozenset(
    {*LIKE_EXAMPLES.values(), *TEAM_LABELLED.values(), INHERITED, CORRECTED_TYPE}
)
ABOUT_WHY = frozenset({HAS_WHY, HAS_CONTEXT, NEEDS_INFO, STAKEHOLDER_WHY, STAKEHOLDER_NO_WHY})
ABOUT_DUPLICATE = frozenset(
    {
        DUPLICATE,
        DUPLICATE_VIA,
        DUPLICATE_ASKED,
        NO_DUPLICATE,
        STAKEHOLDER_SAME,
        STAKEHOLDER_OTHER,
        CORRECTED_NOT_DUPLICATE,
    }
)

LATER = frozenset(
    {
        STAKEHOLDER_URGENT,
        STAKEHOLDER_CAN_WAIT,
        STAKEHOLDER_ESCALATED,
        STAKEHOLDER_SAME,
        STAKEHOLDER_OTHER,
        STAKEHOLDER_WHY,
        STAKEHOLDER_NO_WHY,
        CORRECTED_TYPE,
        CORRECTED_URGENT,
        CORRECTED_NOT_URGENT,
        CORRECTED_NOT_DUPLICATE,
    }
)

ALL = (
    EMPTY,
    TRUNCATED,
    *LIKE_EXAMPLES.values(),
    *TEAM_LABELLED.values(),
    OUTAGE,
    SECURITY,
    URGENT,
    NOT_URGENT,
    URGENT_ASKED,
    URGENT_NOT_ASKED,
    URGENT_UNASKED_SAFE,
    QUESTION_NOT_URGENT,
    QUESTION_ASKED,
    DUPLICATE,
    DUPLICATE_VIA,
    DUPLICATE_ASKED,
    NO_DUPLICATE,
    INHERITED,
    HAS_WHY,
    HAS_CONTEXT,
    NEEDS_INFO,
    STAKEHOLDER_URGENT,
    STAKEHOLDER_CAN_WAIT,
    STAKEHOLDER_ESCALATED,
    STAKEHOLDER_SAME,
    STAKEHOLDER_OTHER,
    STAKEHOLDER_WHY,
    STAKEHOLDER_NO_WHY,
    CORRECTED_TYPE,
    CORRECTED_URGENT,
    CORRECTED_NOT_URGENT,
    CORRECTED_NOT_DUPLICATE,
)
