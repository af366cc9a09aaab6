"""The digest and the final evaluation as a chart, an HTML page and a chat message."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from bot.kernel.i18n import N_, Translator
from bot.kernel.outbound import Field, Image, OutboundMessage, Section
from handlers.cards import TYPE_NAMES
from handlers.coaching.digest import Digest
from storage.models import ItemType

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new_figure() -> Figure:
    """A Figure of its own, not pyplot's global state: charts are drawn in worker threads.
    matplotlib loads on the first chart (a digest a week), not with the server."""
    return _figure_class()(figsize=(9, 3.6), dpi=100)


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
    """Each group's share of requests and of approvals, against the share the PO wants."""
    groups = [share.group for share in digest.shares] or ["—"]
    figure = _new_figure()
    left, right = figure.subplots(1, 2)
    positions = range(len(groups))
    width = 0.27
    left.bar([p - width for p in positions], [s.request_share for s in digest.shares] or [0],
             width, label=tr.t("Requests %"), color="#3b82f6")  # fmt: skip
    left.bar(list(positions), [s.approval_share for s in digest.shares] or [0], width,
             label=tr.t("Approvals %"), color="#10b981")  # fmt: skip
    left.bar([p + width for p in positions], [s.desired or 0 for s in digest.shares] or [0],
             width, label=tr.t("Desired %"), color="#d1d5db")  # fmt: skip
    left.set_xticks(list(positions), groups, rotation=20, ha="right", fontsize=8)
    left.set_title(tr.t("Shares by stakeholder group"), fontsize=10)
    left.legend(fontsize=7)
    actions = list(digest.decisions)
    right.bar(actions, [digest.decisions[a] for a in actions], color="#f59e0b")
    right.set_title(tr.t("Decisions"), fontsize=10)
    right.tick_params(axis="x", labelsize=8)
    figure.suptitle(tr.t("Heatshield digest {week}", week=digest.week), fontsize=11)
    figure.tight_layout()
    return _png(figure)


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
    """The digest for the coach in chat: the figures as sections, the chart as an image."""
    median = (
        tr.t("{hours} hours", hours=tr.number(digest.median_hours_to_decision, digits=1))
        if digest.median_hours_to_decision is not None
        else tr.t("no decisions yet")
    )
    sections = [
        Section(
            title=tr.t("Requests received: {count}", count=digest.received),
            fields=(
                *(Field(label=_source(tr, k), value=str(v)) for k, v in digest.by_source.items()),
                *(Field(label=_type(tr, k), value=str(v)) for k, v in digest.by_type.items()),
            ),
        ),
        Section(
            title=tr.t("Decisions"),
            fields=(
                *(Field(label=_action(tr, k), value=str(v)) for k, v in digest.decisions.items()),
                Field(label=tr.t("Median time to decision"), value=median),
            ),
        ),
        Section(
            title=tr.t("Shares by stakeholder group"),
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
        ),
    ]
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
                    Field(label=f"#{i.id} {i.title}", value=f"{i.stakeholder} · {i.status}")
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
        text=tr.t("Weekly digest for {workspace}, week {week}.", workspace=digest.workspace,
                  week=digest.week),
        sections=tuple(sections),
        image=Image(png_base64=base64.b64encode(chart).decode(), alt=tr.t("Digest chart")),
    )  # fmt: skip


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
