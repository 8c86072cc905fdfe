"""Checks of the rendered routing policy beyond what `amtool check-config` knows, registered with cli.checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cli.checks import Finding, check
from render import yamlio
from routing import lint


@check
def shadowed_routes(build_dir: Path) -> Iterator[Finding]:
    """Fails on every route that can never match (routing.lint)."""
    config = build_dir / "alertmanager" / "alertmanager.yaml"
    problems = lint.problems(yamlio.load(config.read_text()))
    subject = str(config.relative_to(build_dir))
    yield Finding("shadowed routes", subject, not problems, "\n".join(str(p) for p in problems))
