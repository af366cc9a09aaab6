"""The triage commands of `heatshield`: a dry run over a file, training, labels and re-embedding.

``heatshield triage FILE`` is the dry run (the group treats an unknown first word as the file),
so the subcommands read ``heatshield triage train``, ``... labels``, ``... reembed``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from bot.cli.common import with_database, with_runtime
from bot.kernel.errors import HeatshieldError


class FileOrCommand(click.Group):
    """A group whose first argument is either a subcommand or the FILE of the dry run."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "FILE | COMMAND [ARGS]...")


@click.group(cls=FileOrCommand)
def triage() -> None:
    """Triage: `heatshield triage FILE` dry-runs it on past requests (JSON lines with "id" and
    "text"), exactly like live intake, and writes nothing."""


@triage.command("run", hidden=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def triage_run(file: Path) -> None:
    """Dry-run the triage on FILE."""
    from handlers.triage import TriageInputError, summary, triage_batch

    records = _read_json_lines(file)
    triager, embed, close = _engine()
    rows: list[dict[str, object]] = []
    try:
        for row in triage_batch(records, triager, embed=embed):
            rows.append(row)
            click.echo(json.dumps(row, ensure_ascii=False))
    except TriageInputError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        close()
    click.echo(summary(rows), err=True)


def _read_json_lines(file: Path) -> list[Any]:
    records = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{file}:{number}: not valid JSON ({exc.msg})") from exc
    return records


def _engine() -> tuple[Any, Any, Any]:
    """The triager live intake uses, with the embeddings endpoint when one is configured."""
    from bot.runtime.app import configured_triager
    from handlers.triage.service import TriageService

    try:
        service = TriageService(*configured_triager())
    except HeatshieldError as exc:
        raise click.ClickException(f"Configuration error: {exc}") from exc
    if service.remote is None:
        return service.triager, None, lambda: None
    loop = asyncio.new_event_loop()

    def embed(texts: Sequence[str]) -> Any:
        return loop.run_until_complete(service.vectors(texts))

    def close() -> None:
        loop.run_until_complete(service.close())
        loop.close()

    return service.triager, embed, close


@triage.command("train")
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A labelled JSON-lines file, or a folder of them (repeatable; default: the shipped "
    "corpus). Add a team's own labels with `heatshield triage labels`.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the model; use it with HEATSHIELD_TRIAGE_MODEL. (The model the "
    "package ships is handlers/triage/trained/triage-model.npz in a checkout.)",
)
def triage_train(corpora: tuple[Path, ...], out: Path) -> None:
    """Train the triage model from labelled requests of at least two domains."""
    from handlers.triage import corpus, training
    from handlers.triage.embedding import builtin
    from handlers.triage.types import TriageInputError

    try:
        records = corpus.load(corpora)
    except (TriageInputError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    domains = corpus.domains(records)
    if len(domains) < 2:
        found = ", ".join(domains) or "none"
        raise click.ClickException(
            f"training needs requests from at least two domains; found {found}"
        )
    click.echo(f"{len(records)} requests from {len(domains)} domains; embedding them", err=True)
    vectors, sentences = training.embed_records(records, builtin())
    model = training.train(
        records, vectors, sentences, progress=lambda step: click.echo(step, err=True)
    )
    target = out
    model.save(target)
    limits = model.thresholds
    click.echo(
        f"Wrote {target}: model {model.version}, urgent when p >= {limits.urgent_auto:.2f}, "
        f"asked when {limits.urgent_ask:.2f} <= p < {limits.urgent_auto:.2f}; duplicate at "
        f">= {limits.duplicate_auto:.2f}, asked from {limits.duplicate_ask:.2f}."
    )


@triage.command("info")
def triage_info() -> None:
    """The model in use: its version, training data, thresholds and embedder."""
    from bot.runtime.app import configured_triager

    try:
        triager, remote = configured_triager()
        model = triager.model
    except (HeatshieldError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    about = dict(model.about)
    click.echo(
        json.dumps(
            {
                "version": model.version,
                "encoder": model.encoder,
                "trained_at": about.get("trained_at"),
                "requests": about.get("requests"),
                "domains": about.get("domains"),
                "thresholds": vars(model.thresholds),
                "similarity_model": remote.model_id if remote else model.encoder,
            },
            indent=2,
        )
    )


@triage.command("labels")
@click.option("--workspace", required=True, help="The workspace's external id.")
@click.option("--platform", default=None, help="Needed when the id is on two platforms.")
def triage_labels(workspace: str, platform: str | None) -> None:
    """The workspace's own labels (the PO's corrections) as corpus lines, to train with."""
    from handlers.people import find_workspace

    async def collect(uow: Any, _: Any) -> list[dict[str, Any]]:
        found = await find_workspace(uow, workspace, platform)
        rows = []
        for label in await uow.triage.labels(workspace_id=found.id):
            item = await uow.backlog.get(workspace_id=found.id, item_id=label.item_id)
            rows.append(
                {
                    "id": f"{found.platform}-{found.external_id}-{label.item_id}",
                    "domain": f"workspace-{found.external_id}",
                    "text": label.text,
                    "expect": {
                        "type": label.type,
                        "urgent": label.urgent,
                        "duplicate_of": None,
                        "needs_info": bool(item and item.needs_info and label.type == "feature"),
                    },
                }
            )
        return rows

    for row in with_database(collect):
        click.echo(json.dumps(row, ensure_ascii=False))


@triage.command("reembed")
@click.option("--workspace", default=None, help="Only this workspace's external id.")
@click.option("--platform", default=None, help="Needed when the id is on two platforms.")
def triage_reembed(workspace: str | None, platform: str | None) -> None:
    """Compute the stored embeddings again with the embedder now configured (after switching
    to or from an embeddings endpoint), so that old and new requests compare."""
    from handlers.triage_admin import reembed

    async def go(runtime: Any) -> tuple[int, str]:
        return await reembed(
            runtime.db, runtime.services.triage, workspace=workspace, platform=platform
        )

    try:
        count, model = with_runtime(go)
    except HeatshieldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Re-embedded {count} items with {model}.")


COMMANDS = (triage,)
