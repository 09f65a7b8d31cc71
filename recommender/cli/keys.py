"""``recommender keys``: create, list and revoke the API keys other platforms call with."""

from __future__ import annotations

import click

from recommender.access.keys import SCOPES, create_key, list_keys, revoke_key
from recommender.cli.context import app_context
from recommender.storage import db


@click.group("keys")
def keys_group() -> None:
    """API keys for other platforms (each shown once; stored as salted hashes)."""


@keys_group.command("create")
@click.option("--name", required=True, help="Who the key is for, e.g. the calling platform.")
@click.option("--scope", "scopes", required=True, multiple=True,
              help=f"Comma-separated scopes, from: {', '.join(SCOPES)}.")
def create_cmd(name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it: the only time it is shown (stdout: the key alone)."""
    wanted = [s.strip() for part in scopes for s in part.split(",") if s.strip()]
    with app_context():
        try:
            created = create_key(db.session(), name, wanted)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        row = created.row
        click.echo(f"created key {row.id} for {row.name!r} with scopes "
                   f"{', '.join(row.scopes)}; store it now, it is not shown again:", err=True)
    click.echo(created.key)


@keys_group.command("list")
def list_cmd() -> None:
    """List keys: id, name, scopes, when created and last used, and whether revoked."""
    with app_context():
        rows = list_keys(db.session())
    if not rows:
        click.echo("no API keys; create one with: recommender keys create --name NAME "
                   "--scope SCOPES")
        return
    click.echo(f"{'id':<12}  {'name':<20} {'state':<8} {'created':<16}  {'last used':<16}  "
               "scopes")
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        click.echo(f"{row.id:<12}  {row.name[:20]:<20} {state:<8} {_when(row.created_at):<16}  "
                   f"{_when(row.last_used_at):<16}  {','.join(row.scopes)}")


@keys_group.command("revoke")
@click.argument("name_or_id")
def revoke_cmd(name_or_id: str) -> None:
    """Revoke the key with this id, or the active key with this name, at once."""
    with app_context():
        revoked = revoke_key(db.session(), name_or_id)
    if not revoked:
        raise click.ClickException(f"no active key with the id or name {name_or_id!r}")
    for row in revoked:
        click.echo(f"revoked key {row.id} ({row.name})")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"
