"""The exact texts the index embeds, defined once for resources and capability statements."""

from __future__ import annotations

from collections.abc import Iterable


def resource_text(title: str, description: str, topics: Iterable[str] = ()) -> str:
    """Title, description and topics of a resource."""
    joined = ", ".join(topics or ())
    return f"{title}. {description}" + (f" Topics: {joined}." if joined else "")


def capability_text(domain_name: str, group_name: str, statement: str) -> str:
    """Where a statement sits in the framework, then what it says."""
    return f"{domain_name}. {group_name}. {statement}"
