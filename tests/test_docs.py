"""The README documents every setting and command, so the docs cannot drift from the code."""

from pathlib import Path

from recommender.cli import main
from recommender.config import ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_environment_variable_is_in_the_readme():
    for name in ENVIRONMENT:
        assert f"`{name}`" in README, name


def test_every_command_is_in_the_readme():
    for name, command in main.commands.items():
        names = [f"{name} {sub}" for sub in getattr(command, "commands", {})] or [name]
        for full in names:
            assert f"recommender {full}" in README, full


def test_quick_start_has_the_two_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start
    assert (ROOT / "docs" / "architecture.md").exists()
