"""The ``recommender`` command-line tool: one module per command group, each registered here.
May import every layer below the top (the app is built through ``cli.context``); never
``api``, ``web`` or ``ops``."""

from __future__ import annotations

import click

from recommender.cli import crosswalk, held, imports, index, index_store, keys, serve, setup


@click.group()
def main() -> None:
    """Recommend open learning resources for DART-Ed capability gaps."""


for command in (setup.db_group, setup.load_framework_cmd, imports.import_cmd, index.index_cmd,
                index.recommend_cmd, serve.settings_cmd, serve.worker_cmd, serve.run_cmd,
                keys.keys_group, held.held_group, index_store.index_store_group,
                crosswalk.crosswalk_cmd):
    main.add_command(command)
