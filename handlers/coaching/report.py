"""The digest and the final evaluation as a chart, an HTML page and a chat message."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Field, Image, OutboundMessage, Section
from handlers.cards import TYPE_NAMES, status_name
from handlers.coaching.digest import Digest, parse_week
from handlers.texts import duration_text
from storage.models import ItemType

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new_figure(height: float = 3.6) -> Figure:
    """A Figure of its own, not pyplot's global state: charts are drawn in worker threads.
    matplotlib loads on the first chart (a digest a week), not with the server."""
    return _figure_class()(figsize=(9, height), dpi=100)


@cache
def _figure_class() -> type[Figure]:
    import matplotlib
    from matplotlib.figure import Figure

    # Labels are people's words: "$" must not start mathematical notation.
    matplotlib.rcParams["text.parse_math"] = False
    return Figure


@dataclass(frozen=True)
class WeekTrend:
    week: str
    received: int
    back_door: int
    approved: int
    declined: int
    median_hours: float | None


def digest_chart(tr: Translator, digest: Digest) -> bytes:
    return _png(digest_figure(tr, digest))


def digest_figure(tr: Translator, digest: Digest) -> Figure:
    """Each group's share of requests and of approvals against the share the PO wants, the
    week's decisions, and the trajectory's weeks: every word in the reader's language, counts
    on whole-number axes, an empty week said in words rather than drawn as an empty axis."""
    from matplotlib.ticker import MaxNLocator

    figure = _new_figure(height=6.4)
    panels = figure.subplot_mosaic([["shares", "decisions"], ["trend", "trend"]])
    shares, decisions, trend = panels["shares"], panels["decisions"], panels["trend"]
    _draw_shares(tr, shares, digest)
    actions = list(digest.decisions)
    decisions.bar([_action(tr, a) for a in actions], [digest.decisions[a] for a in actions],
                  color="#f59e0b")  # fmt: skip
    decisions.set_title(tr.t("Decisions"), fontsize=10)
    decisions.tick_params(axis="x", labelsize=8, rotation=15)
    decisions.yaxis.set_major_locator(MaxNLocator(integer=True))
    decisions.set_ylim(bottom=0, top=max(1, *digest.decisions.values()) * 1.15)
    if not any(digest.decisions.values()):
        _say(decisions, tr.t("No decisions this week"))
    _draw_trend(tr, trend, digest)
    trend.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(
        tr.t("Heatshield digest, {period}", period=period_text(tr, digest)), fontsize=11
    )
    figure.tight_layout()
    return figure


def _draw_shares(tr: Translator, axis: Any, digest: Digest) -> None:
    axis.set_title(tr.t("Shares by stakeholder group"), fontsize=10)
    axis.set_ylim(0, 100)
    axis.set_ylabel("%", fontsize=8)
    if not digest.shares:
        axis.set_xticks([])
        _say(axis, tr.t("No requests this week"))
        return
    groups = [share.group for share in digest.shares]
    positions = range(len(groups))
    width = 0.27
    axis.bar([p - width for p in positions], [s.request_share for s in digest.shares], width,
             label=tr.t("Requests %"), color="#3b82f6")  # fmt: skip
    axis.bar(list(positions), [s.approval_share for s in digest.shares], width,
             label=tr.t("Approvals %"), color="#10b981")  # fmt: skip
    axis.bar([p + width for p in positions], [s.desired or 0 for s in digest.shares], width,
             label=tr.t("Desired %"), color="#d1d5db")  # fmt: skip
    axis.set_xticks(list(positions), groups, rotation=20, ha="right", fontsize=8)
    axis.legend(fontsize=7)


def _draw_trend(tr: Translator, axis: Any, digest: Digest) -> None:
    axis.set_title(tr.t("The trajectory, week by week"), fontsize=10)
    weeks = [tr.t("week {number}", number=int(t.week.split("-W")[1])) for t in digest.trend]
    if not weeks:
        axis.set_xticks([])
        _say(axis, tr.t("The trajectory has not started yet"))
        return
    axis.plot(weeks, [t.received for t in digest.trend], marker="o", label=tr.t("Requests"))
    axis.plot(weeks, [t.back_door for t in digest.trend], marker="o",
              label=tr.t("Through the back door"))  # fmt: skip
    axis.plot(weeks, [t.approved for t in digest.trend], marker="o", label=tr.t("Approved"))
    axis.plot(weeks, [t.declined for t in digest.trend], marker="o", label=tr.t("Declined"))
    highest = max(max(t.received, t.approved, t.declined) for t in digest.trend)
    axis.set_ylim(bottom=0, top=max(1, highest) * 1.15)
    axis.tick_params(axis="x", labelsize=8)
    axis.legend(fontsize=7, ncols=4, loc="upper left")


def _say(axis: Any, text: str) -> None:
    """Words in the middle of an empty panel, instead of an axis around nothing."""
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes,
              fontsize=10, color="#6b7280")  # fmt: skip


def period_text(tr: Translator, digest: Digest) -> str:
    """ "Monday 30 November to Sunday 6 December 2026 (week 49)"."""
    year, number = parse_week(digest.week)
    first = date.fromisocalendar(year, number, 1)
    return tr.t(
        "{first} to {last} (week {number})",
        first=format_date(first, "EEEE d MMMM", locale=tr.language),
        last=format_date(first + timedelta(days=6), "EEEE d MMMM y", locale=tr.language),
        number=number,
    )


def trend_chart(tr: Translator, trends: list[WeekTrend]) -> bytes:
    figure = _new_figure()
    axis = figure.subplots()
    weeks = [trend.week for trend in trends]
    axis.plot(weeks, [t.received for t in trends], marker="o", label=tr.t("Requests"))
    axis.plot(weeks, [t.back_door for t in trends], marker="o", label=tr.t("Through the back door"))
    axis.plot(weeks, [t.approved for t in trends], marker="o", label=tr.t("Approved"))
    axis.plot(weeks, [t.declined for t in trends], marker="o", label=tr.t("Declined"))
    axis.set_title(tr.t("The trajectory, week by week"), fontsize=11)
    axis.tick_params(axis="x", labelsize=7, rotation=30)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # the Agg canvas: no screen, rendered to memory
    return buffer.getvalue()


def digest_message(tr: Translator, digest: Digest, chart: bytes) -> OutboundMessage:
    """The digest for the coach, a report to forward: the week's dates and the workspace, what
    the shield did, where requests came from and what they were, the decisions, influence
    against the desired shares, the trend; the same in chat, in the e-mail and in --out."""
    sections = [
        shield_section(tr, digest),
        Section(
            title=tr.t("Where the requests came from"),
            fields=tuple(
                Field(label=_source(tr, k), value=str(v)) for k, v in digest.by_source.items()
            ),
        ),
        Section(
            title=tr.t("What they were"),
            fields=tuple(
                Field(label=_type(tr, k), value=str(v)) for k, v in digest.by_type.items()
            ),
        ),
        Section(
            title=tr.t("Decisions"),
            fields=(
                *(Field(label=_action(tr, k), value=str(v)) for k, v in digest.decisions.items()),
                Field(label=tr.t("Median time to a decision"), value=median_text(tr, digest)),
            ),
        ),
        shares_section(tr, digest),
    ]
    if digest.trend:
        sections.append(trend_section(tr, digest))
    if digest.escalations:
        sections.append(
            Section(
                title=tr.t(
                    "Marked urgent by the stakeholders themselves: {count}",
                    count=sum(digest.escalations.values()),
                ),
                fields=tuple(
                    Field(label=group, value=str(count))
                    for group, count in digest.escalations.items()
                ),
            )
        )
    if digest.items:
        sections.append(
            Section(
                title=tr.t("Requests"),
                fields=tuple(
                    Field(
                        label=f"#{i.id} {i.title}",
                        value=f"{i.stakeholder} · {status_name(tr, i.status)}",
                    )
                    for i in digest.items
                ),
            )
        )
    if digest.reflections:
        sections.append(
            Section(
                title=tr.t("The PO's reflections"),
                fields=tuple(Field(label=r.question, value=r.answer) for r in digest.reflections),
            )
        )
    return OutboundMessage(
        text=tr.t("Weekly digest for {workspace}: {period}.", workspace=digest.workspace,
                  period=period_text(tr, digest)),
        sections=tuple(sections),
        image=Image(png_base64=base64.b64encode(chart).decode(), alt=tr.t("Digest chart")),
    )  # fmt: skip


def shield_section(tr: Translator, digest: Digest) -> Section:
    """What the shield did: held for the review against broken through, the back door, and
    whether stakeholders heard by the day they were promised."""
    if digest.received == 0:
        quiet = tr.t("A quiet week: no requests came in.")
        return Section(
            title=tr.t("What the shield did"), text=quiet, fields=shipped_fields(tr, digest)
        )
    decided = digest.heard_in_time + digest.heard_late
    heard = (
        tr.t("{count} of {total}", count=digest.heard_in_time, total=decided)
        if decided
        else tr.t("no decisions yet")
    )
    back_door = tr.t(
        "{count} ({share}%)",
        count=digest.by_source.get("back_door", 0),
        share=tr.number(digest.back_door_share, digits=0),
    )
    return Section(
        title=tr.t("What the shield did"),
        fields=(
            Field(label=tr.t("Requests received"), value=str(digest.received)),
            Field(label=tr.t("Held for the review"), value=str(digest.held_for_review)),
            Field(label=tr.t("Broke through at once"), value=str(digest.broke_through)),
            Field(label=tr.t("Reached the PO through the back door"), value=back_door),
            Field(label=tr.t("Stakeholders who heard by the promised day"), value=heard),
            *shipped_fields(tr, digest),
        ),
    )


def shipped_fields(tr: Translator, digest: Digest) -> tuple[Field, ...]:
    """Shipped, by the team's tracker: how many, and how long from request to shipped."""
    if not digest.shipped:
        return ()
    days = digest.median_days_to_shipped or 0.0
    return (
        Field(
            label=tr.t("Shipped (the tracker says done)"),
            value=tr.t(
                "{count}, a median {time} after the request",
                count=digest.shipped,
                time=duration_text(tr, days * 24),
            ),
        ),
    )


def shares_section(tr: Translator, digest: Digest) -> Section:
    return Section(
        title=tr.t("Influence: shares by stakeholder group"),
        fields=tuple(
            Field(
                label=share.group,
                value=tr.t(
                    "{requests}% of requests, {approvals}% of approvals (desired: {desired})",
                    requests=tr.number(share.request_share, digits=1),
                    approvals=tr.number(share.approval_share, digits=1),
                    desired=f"{share.desired}%" if share.desired is not None else "—",
                ),
            )
            for share in digest.shares
        ),
        text=None if digest.shares else tr.t("No requests this week"),
    )


def trend_section(tr: Translator, digest: Digest) -> Section:
    return Section(
        title=tr.t("The trajectory, week by week"),
        fields=tuple(
            Field(
                label=tr.t("week {number}", number=int(week.week.split("-W")[1])),
                value=tr.t(
                    "{received} requests ({back_door} through the back door), "
                    "{approved} approved, {declined} declined",
                    received=week.received,
                    back_door=week.back_door,
                    approved=week.approved,
                    declined=week.declined,
                ),
            )
            for week in digest.trend
        ),
    )


def median_text(tr: Translator, digest: Digest) -> str:
    hours = digest.median_hours_to_decision
    return duration_text(tr, hours) if hours is not None else tr.t("no decisions yet")


SOURCE_NAMES = {
    "direct": N_("Direct to the bot"),
    "channel": N_("In a channel"),
    "back_door": N_("Through the back door"),
}
ACTION_NAMES = {
    "approve": N_("Approved"),
    "defer": N_("Deferred"),
    "decline": N_("Declined"),
    "merge": N_("Merged"),
    "ask": N_("Questions asked"),
}


def _source(tr: Translator, key: str) -> str:
    return tr.t(SOURCE_NAMES.get(key, key))


def _type(tr: Translator, key: str) -> str:
    return tr.t(TYPE_NAMES[ItemType(key)])


def _action(tr: Translator, key: str) -> str:
    return tr.t(ACTION_NAMES.get(key, key))
