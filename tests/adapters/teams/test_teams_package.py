"""`heatshield teams package` writes an app package Teams accepts."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.cli import main

APP_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of a non-interlaced 8-bit RGBA PNG (filter 0 rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    idat = b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = body
        if kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (8, 6, 0)
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        pixels.extend(tuple(row[1 + x * 4 : 5 + x * 4]) for x in range(width))
    return width, height, pixels  # type: ignore[return-value]


def build(tmp_path: Path, *args: str) -> Any:
    out = tmp_path / "heatshield-teams.zip"
    host = "heatshield.example.org"
    command = ["teams", "package", "--app-id", APP_ID, "--host", host, *args, "--out", str(out)]
    result = CliRunner().invoke(main, command)
    return result, out


def test_the_package_holds_the_manifest_and_both_icons(tmp_path: Path) -> None:
    result, out = build(tmp_path)

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = read_png(archive.read("color.png"))
        outline = read_png(archive.read("outline.png"))

    assert manifest["manifestVersion"] == "1.17"
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    [extension] = manifest["composeExtensions"]
    [command] = extension["commands"]
    assert extension["botId"] == APP_ID
    assert command["title"] == "Send to Product Owner"
    assert command["type"] == "action"
    assert command["context"] == ["message"]
    assert command["fetchTask"] is False
    assert command["parameters"]
    assert manifest["validDomains"] == ["heatshield.example.org"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["name"]["short"]) <= 30

    assert color[:2] == (192, 192)
    assert outline[:2] == (32, 32)
    # The outline is white on transparent, and draws something.
    assert set(outline[2]) <= {(255, 255, 255, 255), (0, 0, 0, 0)}
    assert (255, 255, 255, 255) in outline[2] and (0, 0, 0, 0) in outline[2]
    assert all(pixel[3] == 255 for pixel in color[2])


def test_a_bad_app_id_or_host_is_named(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_id = runner.invoke(
        main,
        ["teams", "package", "--app-id", "x", "--host", "h.example", "--out", str(tmp_path / "a")],
    )
    bad_host = runner.invoke(
        main,
        ["teams", "package", "--app-id", APP_ID, "--host", "a b", "--out", str(tmp_path / "b")],
    )

    assert bad_id.exit_code != 0 and "app-id" in bad_id.output
    assert bad_host.exit_code != 0 and "host" in bad_host.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_package_is_a_valid_zip_in_memory() -> None:
    from adapters.teams.package import package

    data = package(APP_ID, "https://heatshield.example.org/")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert json.loads(archive.read("manifest.json"))["developer"]["websiteUrl"] == (
            "https://heatshield.example.org/"
        )
