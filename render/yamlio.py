"""Deterministic YAML: the same data always prints to the same bytes, so previews show no false diffs."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
import yaml12


class _Dumper(yaml.SafeDumper):
    """Block style, no anchors, multi-line strings as literal blocks, keys in the order the renderer built them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, the way kubectl and most hand-written configs do.
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A literal block cannot hold trailing spaces; PyYAML quotes such a string instead.
    if "\n" in value and not any(line != line.rstrip(" \t") for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


# Plain scalars that the fast emitter (a YAML 1.2 one) leaves unquoted but a YAML 1.1 reader takes for something
# other than a string: PyYAML (the tests, the checks) and Go's yaml.v2 (Alertmanager, VictoriaMetrics) read `on`,
# `y`, `10:30`, `1_000`, `0b1`, `2026-01-01`, `<<` and `=` so. Such strings are written single-quoted.
_YAML11_SCALARS = (
    r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|<<|="
    r"|[-+]?0b[0-1_]+"
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[^\"\n]*)?"
    r")"
)
_YAML11_ONLY = re.compile(f'"(?=[yYnNoO<=+\\-0-9])(?:{_YAML11_SCALARS})"')
"""One such string in a document's JSON text. The lookahead holds the first character any of them can start with: it
turns away every other quote at once (searching thousands of rule files was a second of a large render without it)."""
_YAML11_SCALAR = re.compile(_YAML11_SCALARS)


def _pyyaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)


def _with_tokens(value: Any, token: str, found: list[str]) -> Any:
    """`value` with each YAML-1.1-only string replaced by `token` and its index (a plain scalar in any YAML)."""
    if isinstance(value, str):
        if _YAML11_SCALAR.fullmatch(value):
            found.append(value)
            return f"{token}{len(found) - 1}x"
        return value
    if isinstance(value, dict):
        return {_with_tokens(k, token, found): _with_tokens(v, token, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_tokens(v, token, found) for v in value]
    return value


def dump(data: Any) -> str:
    """One YAML document: block style, lists indented under their key, multi-line strings as literal blocks.

    py-yaml12's Rust emitter writes it (PyYAML's emitter, even its C one, is the slowest step of rendering thousands
    of rule files). It has no way to quote one scalar, so a string only YAML 1.1 would misread goes in as a token
    and comes out single-quoted.
    """
    try:
        flat = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):  # not plain data (dates, sets): PyYAML knows how to write those
        return _pyyaml(data)
    found: list[str] = []
    if _YAML11_ONLY.search(flat):
        token = "yaml11q"
        while token in flat:
            token += "q"
        data = _with_tokens(data, token, found)
    text = yaml12.format_yaml(data, width=None)
    if found:
        quoted = {f"{token}{i}x": "'" + value.replace("'", "''") + "'" for i, value in enumerate(found)}
        text = re.sub(f"{token}[0-9]+x", lambda m: quoted[m.group(0)], text)
    return text if text.endswith("\n") else text + "\n"


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
