"""Coaching in chat: see the contract, propose a change (the other party confirms), set shares
and one's own messaging rhythm."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.kernel.errors import InvalidInputError
from bot.kernel.events import ActionEvent, MessageEvent
from bot.kernel.i18n import N_
from bot.kernel.outbound import Button, Field, OutboundMessage, Section
from handlers import outbox
from handlers.audit import audit_refusal
from handlers.coaching.change_words import describe
from handlers.coaching.contract import ContractSpec, parse_every, set_contract, validate, view
from handlers.coaching.preferences import (
    PreferencesSpec,
    parse_shares,
    set_preferences,
    set_shares,
)
from handlers.coaching.timing import parse_quiet_hours, parse_working_days
from handlers.context import Context, timezone_of
from handlers.registry import on_action
from handlers.routing import EVERYONE, Patterns, leading, route
from handlers.texts import moment_text
from storage.coaching_models import CoachingContract, ContractProposal
from storage.models import Person, Role

# "coaching" is the same word in Dutch.
COACHING = re.compile(r"^\s*coaching\b\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
COACHING_PARTIES = (Role.PO, Role.COACH)
FIELDS = {
    "every": "every", "elke": "every", "iedere": "every",
    "sessions": "sessions", "sessies": "sessions",
    "confidentiality": "confidentiality", "vertrouwelijkheid": "confidentiality",
    "start": "start",
    "themes": "themes", "thema's": "themes", "themas": "themes",
    "email": "email", "e-mail": "email",
    "reflection": "reflection", "reflectie": "reflection",
}  # fmt: skip


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    """Whether the words after a preference's name are a value for it."""

    def accepts(text: str) -> bool:
        try:
            parse(text.strip())
        except InvalidInputError:
            return False
        return True

    return accepts


# For anyone but the PO and the coach these words are the start of an ordinary request.
@route(
    "coaching",
    Patterns(en=(COACHING,)),
    roles=COACHING_PARTIES,
    refuse_others=False,
    help=(
        N_("coaching: your coaching contract; 'coaching start 2026-12-01' starts one."),
        N_(
            "coaching every 2 weeks, coaching sessions 5, coaching confidentiality names, "
            "coaching themes role, stakeholders: a change the other party confirms."
        ),
        N_("coaching reflection fri 16:00: when the PO gets the weekly reflection question."),
    ),
)
async def coaching_command(event: MessageEvent, ctx: Context, rest: str) -> None:
    contract = await _contract_of(ctx)
    if contract is None:
        if await _workspace_contract(ctx) is not None:
            await _refuse_outsider(event, ctx)
        else:
            await _guarded(event, ctx, _start_contract, rest)
        return
    rest = rest.strip()
    if not rest or rest.lower() in ("status", "show", "toon"):
        await _show(event, ctx, contract)
    else:
        await _guarded(event, ctx, lambda e, c, r: _propose(e, c, contract, r), rest)


@route(
    "shares",
    Patterns(en=(leading("shares"),), nl=(leading("verdeling"),)),
    roles=(Role.PO,),
    refuse_others=False,
    help=(
        N_(
            "shares Finance=30, Marketing=20: the share of the requests you want from each "
            "stakeholder group."
        ),
    ),
)
async def shares_command(event: MessageEvent, ctx: Context, rest: str) -> None:
    await _guarded(event, ctx, _shares, rest)


async def _workspace_contract(ctx: Context) -> CoachingContract | None:
    return await ctx.uow.coaching.contract(workspace_id=ctx.workspace.id)


async def _refuse_outsider(event: MessageEvent, ctx: Context) -> None:
    """A PO or coach of the workspace who is not a party to its contract cannot change it."""
    await audit_refusal(ctx, "coaching", None, "not a party to the coaching contract")
    await outbox.answer(
        ctx, event, ctx.tr.t("Only the PO and the coach of the contract can change it.")
    )


async def _guarded(event: MessageEvent, ctx: Context, handler: object, rest: str) -> None:
    try:
        await handler(event, ctx, rest)  # type: ignore[operator]
    except InvalidInputError as exc:
        await outbox.answer(
            ctx, event, ctx.tr.t("I couldn't use that: {problem}", problem=str(exc))
        )


async def _contract_of(ctx: Context) -> CoachingContract | None:
    contracts = await ctx.uow.coaching.contracts_involving(person_id=ctx.actor.id)
    return contracts[0] if contracts else None


async def _show(event: MessageEvent, ctx: Context, contract: CoachingContract) -> None:
    tr = ctx.tr
    shown = await view(ctx.uow, contract)
    fields = [
        Field(
            label=tr.t("Coach"), value=contract.coach.name if contract.coach else shown.email or "—"
        ),
        Field(label=tr.t("Start"), value=shown.start),
        Field(label=tr.t("Sessions"), value=str(shown.planned_sessions)),
        Field(label=tr.t("Confidentiality"), value=shown.confidentiality),
        Field(label=tr.t("Themes"), value=", ".join(shown.themes) or "—"),
        Field(label=tr.t("Reflection"), value=shown.reflection),
    ]
    if shown.every_days:
        fields.append(
            Field(label=tr.t("Every"), value=tr.n("{count} day", "{count} days", shown.every_days))
        )
    zone = timezone_of(ctx.actor, ctx.workspace)
    fields += [
        Field(label=moment_text(tr, session.starts_at, zone), value=session.scope or "—")
        for session in await ctx.uow.coaching.sessions(contract_id=contract.id)
    ]
    for proposal in await ctx.uow.coaching.pending_proposals(contract_id=contract.id):
        awaiting = await ctx.uow.people.by_id(person_id=proposal.awaiting_id)
        fields.append(
            Field(
                label=tr.t(
                    "Waiting for {name} to confirm", name=awaiting.name if awaiting else "?"
                ),
                value=describe(tr, proposal.changes),
            )
        )
    message = OutboundMessage(
        text=tr.t("Your coaching contract:"),
        sections=(Section(title=tr.t("Coaching"), fields=tuple(fields)),),
    )
    await outbox.reply(ctx, event.conversation, message)


def parse_change(rest: str) -> ContractSpec:
    """ "every 2 weeks", "sessions 5", "confidentiality names", "themes role, value", ..."""
    word, _, value = rest.strip().partition(" ")
    field = FIELDS.get(word.lower())
    value = value.strip()
    if field is None or not value:
        raise InvalidInputError(
            "coaching", "say e.g. 'coaching every 2 weeks', 'coaching sessions 5', "
            "'coaching confidentiality names' or 'coaching themes role, value'"
        )  # fmt: skip
    if field == "every":
        return ContractSpec(every_days=parse_every(value))
    if field == "sessions":
        if not value.isdigit():
            raise InvalidInputError("sessions", f"'{value}' is not a number")
        return ContractSpec(sessions=int(value))
    if field == "start":
        try:
            return ContractSpec(start=date.fromisoformat(value))
        except ValueError as exc:
            raise InvalidInputError("start", f"'{value}' is not a date like 2026-12-01") from exc
    if field == "themes":
        return ContractSpec(themes=[t.strip() for t in value.split(",")])
    if field == "confidentiality":
        return ContractSpec(confidentiality=value.lower())
    if field == "email":
        return ContractSpec(email=value)
    return ContractSpec(reflection=value)


async def _propose(
    event: MessageEvent, ctx: Context, contract: CoachingContract, rest: str
) -> None:
    spec = parse_change(rest)
    validate(spec)
    other = contract.coach if ctx.actor.id == contract.po_id else contract.po
    if spec.changes().keys() == {"reflection"} and ctx.actor.id == contract.po_id:
        other = None  # when to reflect is the PO's own choice
    if other is None:
        await set_contract(ctx.uow, ctx.services, ctx.workspace, spec)
        await outbox.answer(ctx, event, ctx.tr.t("Done: the coaching contract is updated."))
        return
    proposal = ContractProposal(
        contract_id=contract.id,
        proposed_by_id=ctx.actor.id,
        awaiting_id=other.id,
        changes=spec.changes(),
        status="pending",
        created_at=ctx.clock.now(),
    )
    await ctx.uow.coaching.add(proposal)
    await _ask_confirmation(ctx, other, proposal)
    text = ctx.tr.t(
        "I've asked {name} to confirm: {changes}. Until then the contract stays as it is; "
        "'coaching' shows what waits.",
        name=other.name,
        changes=describe(ctx.tr, proposal.changes),
    )
    await outbox.answer(ctx, event, text)


async def _start_contract(event: MessageEvent, ctx: Context, rest: str) -> None:
    """The PO or the coach starts the contract ("coaching start 2026-12-01"); the other hears."""
    spec = parse_change(rest) if rest.strip() else ContractSpec()
    if spec.start is None:
        await outbox.answer(ctx, event, ctx.tr.t(
            "There is no coaching contract yet. Start one with 'coaching start 2026-12-01', "
            "then set its cadence with 'coaching every 2 weeks'."))  # fmt: skip
        return
    coaches = await ctx.uow.people.with_roles(workspace_id=ctx.workspace.id, roles=[Role.COACH])
    coach = ctx.actor if ctx.actor.role == Role.COACH else (coaches[0] if coaches else None)
    start = spec.start
    spec = ContractSpec(start=start, coach=coach.platform_user_id if coach else None)
    contract = await set_contract(ctx.uow, ctx.services, ctx.workspace, spec)
    await outbox.answer(ctx, event, ctx.tr.t("Done: the coaching contract is updated."))
    other = contract.coach if ctx.actor.id == contract.po_id else contract.po
    if other is not None and other.id != ctx.actor.id:
        tr = ctx.translator_for(other)
        text = tr.t(
            "{name} started a coaching contract from {start}; say 'coaching' to see it.",
            name=ctx.actor.name,
            start=start.isoformat(),
        )
        await outbox.send_direct(ctx, other, OutboundMessage(text=text))


async def _ask_confirmation(ctx: Context, other: Person, proposal: ContractProposal) -> None:
    tr = ctx.translator_for(other)
    value = str(proposal.id)
    message = OutboundMessage(
        text=tr.t(
            "{name} proposes a change to the coaching contract: {changes}",
            name=ctx.actor.name,
            changes=describe(tr, proposal.changes),
        ),
        sections=(
            Section(
                key=f"proposal:{proposal.id}",
                buttons=(
                    Button(label=tr.t("Confirm"), action_id="contract_confirm", value=value,
                           style="primary"),
                    Button(label=tr.t("Decline"), action_id="contract_reject", value=value),
                ),
            ),
        ),
    )  # fmt: skip
    card = await outbox.send_direct(ctx, other, message)
    proposal.card_id = card.id


@on_action("contract_confirm", "contract_reject", roles=EVERYONE)
async def answer_proposal(event: ActionEvent, ctx: Context) -> None:
    proposal = await ctx.uow.coaching.pending_proposal(
        proposal_id=int(event.value) if event.value.isdigit() else -1
    )
    tr = ctx.tr
    if proposal is None or proposal.awaiting_id != ctx.actor.id:
        await audit_refusal(ctx, event.action_id, event.value, "not the party asked to confirm")
        await outbox.answer(
            ctx, event, tr.t("Only the other party of the contract can confirm this change.")
        )
        return
    if proposal.status != "pending":
        await outbox.answer(ctx, event, tr.t("That change was already answered."))
        return
    proposal.status = "accepted" if event.action_id == "contract_confirm" else "rejected"
    proposal.decided_at = ctx.clock.now()
    if proposal.status == "accepted":
        await set_contract(
            ctx.uow, ctx.services, ctx.workspace, ContractSpec.from_changes(proposal.changes)
        )
    accepted = proposal.status == "accepted"
    await _close_proposal_card(ctx, proposal, accepted)
    proposer = await ctx.uow.people.by_id(person_id=proposal.proposed_by_id)
    if proposer is not None:
        tr_p = ctx.translator_for(proposer)
        changes = describe(tr_p, proposal.changes)
        text = (
            tr_p.t(
                "{name} confirmed your change to the coaching contract: {changes}.",
                name=ctx.actor.name,
                changes=changes,
            )
            if accepted
            else tr_p.t(
                "{name} declined your change to the coaching contract ({changes}); "
                "the contract stays as it was.",
                name=ctx.actor.name,
                changes=changes,
            )
        )
        await outbox.send_direct(ctx, proposer, OutboundMessage(text=text))
    name = proposer.name if proposer else "?"
    changes = describe(tr, proposal.changes)
    reply = (
        tr.t("Done: the coaching contract now has {changes}. {name} has been told.",
             changes=changes, name=name)
        if accepted
        else tr.t("Declined: the contract stays as it was. {name} has been told.", name=name)
    )  # fmt: skip
    await outbox.answer(ctx, event, reply)


async def _close_proposal_card(ctx: Context, proposal: ContractProposal, accepted: bool) -> None:
    """The card that asked shows the answer, and when, instead of its buttons."""
    card = await ctx.uow.outbox.get(message_id=proposal.card_id) if proposal.card_id else None
    if card is None:
        return
    now = ctx.clock.now()

    def rewrite(message: OutboundMessage, reader: Person | None) -> OutboundMessage:
        tr = ctx.translator_for(reader) if reader else ctx.tr
        zone = timezone_of(reader, ctx.workspace) if reader else ctx.workspace.timezone
        outcome = (
            tr.t("You confirmed this change.") if accepted else tr.t("You declined this change.")
        )
        outcome = f"{outcome} ({moment_text(tr, now, zone)})"
        key = f"proposal:{proposal.id}"
        for section in message.sections:
            if section.key == key:
                answered = section.model_copy(update={"buttons": (), "outcome": outcome})
                return message.replace_section(key, answered)
        return message

    await outbox.rewrite_card(ctx, card, rewrite)


async def _shares(event: MessageEvent, ctx: Context, rest: str) -> None:
    shares = parse_shares(rest)
    await set_shares(ctx.uow, ctx.workspace, shares)
    listed = ", ".join(f"{group} {percent}%" for group, percent in shares.items())
    await outbox.answer(ctx, event, ctx.tr.t("Desired shares set: {shares}", shares=listed))


@route(
    "quiet hours",
    Patterns(
        en=(leading("quiet hours"),),
        nl=(leading("stille uren"),),
        accepts=_parses(parse_quiet_hours),
    ),
    help=(
        N_("quiet hours 18:00-08:00: when I send you no reminders or other scheduled messages."),
    ),
)
async def quiet_hours_command(event: MessageEvent, ctx: Context, rest: str) -> None:
    spec = PreferencesSpec(quiet_hours=rest.strip())
    await set_preferences(ctx.uow, ctx.workspace, ctx.actor.platform_user_id, spec, ctx.clock.now())
    await outbox.answer(
        ctx, event, ctx.tr.t("Your quiet hours are set: {hours}", hours=rest.strip())
    )


@route(
    "working days",
    Patterns(
        en=(leading("working days"),),
        nl=(leading("werkdagen"),),
        accepts=_parses(parse_working_days),
    ),
    help=(N_("working days mon-fri: the days I send you reminders and other scheduled messages."),),
)
async def working_days_command(event: MessageEvent, ctx: Context, rest: str) -> None:
    spec = PreferencesSpec(working_days=rest.strip())
    await set_preferences(ctx.uow, ctx.workspace, ctx.actor.platform_user_id, spec, ctx.clock.now())
    await outbox.answer(
        ctx, event, ctx.tr.t("Your working days are set: {days}", days=rest.strip())
    )
