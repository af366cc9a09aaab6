"""Block Kit within Slack's limits: one actions block per item with unique block ids, escaped
text, and a queue batch that stays under 50 blocks."""

from __future__ import annotations

from adapters.slack.render import (
    MAX_BLOCKS,
    blocks,
    input_modal,
    message_payload,
    read_input_button,
)
from bot.kernel.i18n import Translator
from bot.kernel.outbound import Button, Field, InputSpec, OutboundMessage, Section


def item(number: int) -> Section:
    return Section(
        key=f"item:{number}",
        title=f"#{number} <Checkout> & payments",
        text="Customers cannot pay",
        fields=tuple(Field(label=f"F{n}", value="v") for n in range(12)),
        buttons=(
            Button(label="Approve (top)", action_id="approve_top", value=str(number)),
            Button(
                label="Decline",
                action_id="decline",
                value=str(number),
                style="danger",
                input=InputSpec(kind="text", label="Reason for the stakeholder"),
            ),
        ),
    )


def test_a_batch_of_fifteen_items_fits_in_one_message() -> None:
    message = OutboundMessage(text="Triage queue", sections=tuple(item(n) for n in range(15)))

    rendered = message_payload(message)["blocks"]

    assert len(rendered) <= MAX_BLOCKS
    block_ids = [block["block_id"] for block in rendered if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))
    body = rendered[1]
    assert body["text"]["text"].startswith("*#0 &lt;Checkout&gt; &amp; payments*")
    assert len(body["fields"]) == 10  # Slack's most; the rest joins the text
    assert "F11" in body["text"]["text"]


def test_a_button_with_input_carries_what_its_modal_asks() -> None:
    [actions] = [
        b
        for b in blocks(OutboundMessage(text="", sections=(item(3),)), 50)
        if b["type"] == "actions"
    ]
    approve, decline = actions["elements"]

    assert (approve["action_id"], approve["value"]) == ("approve_top", "3")
    assert decline["action_id"] == "input:decline"
    asked = read_input_button(decline["action_id"], decline["value"])
    assert asked is not None
    assert (asked.action_id, asked.value, asked.spec.kind) == ("decline", "3", "text")

    modal = input_modal(Translator("nl"), asked, {"a": "decline", "v": "3"})
    assert modal["submit"]["text"] == "Versturen"
    assert modal["blocks"][0]["label"]["text"] == "Reason for the stakeholder"


def test_a_decided_section_shows_its_outcome_without_buttons() -> None:
    decided = item(4).model_copy(update={"buttons": (), "outcome": "Approved by Petra"})

    rendered = blocks(OutboundMessage(text="x", sections=(decided,)), 50)

    assert [block["type"] for block in rendered] == ["section", "section", "context"]
    assert "Approved by Petra" in rendered[-1]["elements"][0]["text"]
