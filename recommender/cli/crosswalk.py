"""``recommender crosswalk ONE OTHER``: suggest the links from one framework's statements to
another's by meaning, from the served index, as ``POST /api/v1/crosswalks/{one}/{other}``
does; curators confirm or reject them there (docs/frameworks.md, "Crosswalks")."""

from __future__ import annotations

import click

from recommender.cli.context import app_context
from recommender.content import crosswalks
from recommender.indexing.crosswalks import MIN_SIMILARITY, NEAREST, suggest_links
from recommender.indexing.serving import index_store
from recommender.problems import Problem
from recommender.storage import db


@click.command("crosswalk")
@click.argument("one")
@click.argument("other")
@click.option("--nearest", default=NEAREST, show_default=True,
              help="Links suggested per statement at most.")
@click.option("--min-similarity", default=MIN_SIMILARITY, show_default=True,
              help="Only statements this close (cosine of their vectors) or closer.")
def crosswalk_cmd(one: str, other: str, nearest: int, min_similarity: float) -> None:
    """Suggest links from ONE's statements to OTHER's (framework ids), keeping decided ones,
    and print each statement's links."""
    with app_context():
        store = index_store()
        if store.current_name() is None:
            raise click.ClickException("no index built yet: run 'recommender index' first")
        try:
            summary = suggest_links(db.session(), store.load(), one, other, nearest,
                                    min_similarity)
        except Problem as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"crosswalk {one} -> {other}: {summary['suggested']} links suggested for "
                   f"{summary['statements']} statements, {summary['decided']} decided kept")
        for link in crosswalks.links(db.session(), one, other):
            click.echo(f"  {link.from_code}\t{link.to_code}\t{link.similarity:.3f}\t"
                       f"{link.status}")
