"""The Teams app package: manifest.json with the bot and the "Send to Product Owner" message
action, and the two icons (drawn here), zipped, ready to upload to Teams."""

from __future__ import annotations

import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.kernel.errors import InvalidInputError

MANIFEST_VERSION = "1.17"
SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
COMMAND_ID = "sendToProductOwner"
ACCENT = (0xC2, 0x41, 0x0C)  # a heat-shield orange
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
Pixel = tuple[int, int, int, int]


def manifest(app_id: str, host: str, *, version: str = "1.0.0") -> dict[str, Any]:
    app_id = _app_id(app_id)
    host = _host(host)
    website = f"https://{host}/"
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Heatshield",
            "websiteUrl": website,
            "privacyUrl": website,
            "termsOfUseUrl": website,
        },
        "name": {"short": "Heatshield", "full": "Heatshield: the Product Owner's heat shield"},
        "description": {
            "short": "Send your requests to the PO; hear the outcome.",
            "full": (
                "Heatshield takes in stakeholders' ad-hoc requests, triages them into the "
                "product backlog and brings them to the Product Owner in batches at review "
                "times; real incidents break through at once. The PO decides with one click "
                "and the requester always hears the outcome. Message the bot, mention it in "
                'a channel, or use "Send to Product Owner" on any message.'
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": "help", "description": "What I can do"},
                            {"title": "status", "description": "The status of your requests"},
                            {"title": "queue", "description": "Requests waiting for the PO"},
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": COMMAND_ID,
                        "type": "action",
                        "title": "Send to Product Owner",
                        "description": "Pass this request on to the PO; its author hears back",
                        "context": ["message"],
                        "fetchTask": False,
                        "parameters": [
                            {
                                "name": "note",
                                "title": "Note for the PO (optional)",
                                "description": "Anything the PO should know",
                                "inputType": "textarea",
                            }
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host.split(":")[0]],
    }


def _app_id(app_id: str) -> str:
    try:
        return str(uuid.UUID(app_id.strip()))
    except ValueError as exc:
        raise InvalidInputError(
            "app-id", "must be the Azure Bot's Microsoft App ID (a GUID)"
        ) from exc


def _host(host: str) -> str:
    host = host.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not HOST_PATTERN.match(host):
        raise InvalidInputError("host", "must be a host name like heatshield.example.org")
    return host


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG, written by hand (zlib and struct are all it takes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _in_shield(u: float, v: float) -> bool:
    """A shield in the unit square: straight top, sides curving into a point at the bottom."""
    if v < 0.12 or v > 0.92:
        return False
    half = 0.36 if v < 0.5 else 0.36 * (1 - ((v - 0.5) / 0.42) ** 1.6)
    return abs(u - 0.5) <= half


def _in_flame(u: float, v: float) -> bool:
    """A flame inside the shield: a drop shape, widest low down."""
    if v < 0.3 or v > 0.75:
        return False
    t = (v - 0.3) / 0.45
    half: float = 0.15 * (t**0.8) * (1 - t) ** 0.35 * 1.6
    return abs(u - 0.5) <= half


def color_icon() -> bytes:
    """192×192, full colour: a white shield with an orange flame on the accent colour."""
    size = 192

    def pixel(x: int, y: int) -> Pixel:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if _in_flame(u, v):
            return (*ACCENT, 255)
        if _in_shield(u, v):
            return (255, 255, 255, 255)
        return (*ACCENT, 255)

    return png(size, size, pixel)


def outline_icon() -> bytes:
    """32×32, white on transparent, as Teams asks: the shield's outline with the flame."""
    size = 32

    def pixel(x: int, y: int) -> Pixel:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        edge = 1.6 / size
        inside = _in_shield(u, v)
        border = inside and not all(
            _in_shield(u + du, v + dv) for du, dv in ((edge, 0), (-edge, 0), (0, edge), (0, -edge))
        )
        if border or _in_flame(u, v):
            return (255, 255, 255, 255)
        return (0, 0, 0, 0)

    return png(size, size, pixel)


def package(app_id: str, host: str) -> bytes:
    """The zip Teams takes: manifest.json, color.png and outline.png at its root."""
    content = json.dumps(manifest(app_id, host), indent=2, ensure_ascii=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", content)
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


def write_package(app_id: str, host: str, out: Path) -> Path:
    out.write_bytes(package(app_id, host))
    return out
