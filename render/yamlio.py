"""Deterministic YAML: the same data always prints to the same bytes, so previews show no false diffs."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, no anchors, multi-line strings as literal blocks, keys in the order the renderer built them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, the way kubectl and most hand-written configs do.
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # Trailing spaces would force a quoted scalar; they carry no meaning in rules or templates.
        value = "\n".join(line.rstrip() for line in value.split("\n"))
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    """One YAML document."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)


def dump_all(documents: list[Any]) -> str:
    """Several documents separated by `---`."""
    return yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False, explicit_start=True
    )


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it: checks read megabytes of rendered YAML."""


def load(text: str | bytes) -> Any:
    """One YAML document, as `yaml.safe_load` reads it."""
    return yaml.load(text, Loader=_Loader)


def load_all(text: str | bytes) -> list[Any]:
    """Every document of a multi-document text, as `yaml.safe_load_all` reads them."""
    return list(yaml.load_all(text, Loader=_Loader))
