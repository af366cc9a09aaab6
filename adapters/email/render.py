"""Any neutral message as a small HTML page: the body of an e-mail, the digest's preview."""

from __future__ import annotations

import html

from bot.kernel.outbound import OutboundMessage


def message_html(message: OutboundMessage, image_src: str | None) -> str:
    """Any message as a small HTML page (the digest preview, an e-mail body)."""
    parts = [f"<p>{_escape(message.text)}</p>"]
    for section in message.sections:
        if section.title:
            parts.append(f"<h3>{_escape(section.title)}</h3>")
        if section.text:
            parts.append(f"<p>{_escape(section.text)}</p>")
        if section.fields:
            rows = "".join(
                f"<tr><th>{_escape(f.label)}</th><td>{_escape(f.value)}</td></tr>"
                for f in section.fields
            )
            parts.append(f"<table>{rows}</table>")
    if message.image is not None and image_src:
        parts.append(f'<p><img src="{_escape(image_src)}" alt="{_escape(message.image.alt)}"></p>')
    style = (
        "body{font-family:system-ui,sans-serif;max-width:760px;margin:24px auto;color:#1f2937}"
        "th{text-align:left;padding:2px 12px 2px 0;font-weight:600}td{padding:2px 0}"
        "img{max-width:100%}"
    )
    body = "\n".join(parts)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Heatshield</title>'
        f"<style>{style}</style></head><body>\n{body}\n</body></html>\n"
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def message_text(message: OutboundMessage) -> str:
    """The plain-text alternative of the same message."""
    lines = [message.text]
    for section in message.sections:
        lines.append("")
        if section.title:
            lines.append(section.title)
        if section.text:
            lines.append(section.text)
        lines.extend(f"  {field.label}: {field.value}" for field in section.fields)
    return "\n".join(lines) + "\n"
