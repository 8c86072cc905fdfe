"""Checks of runtime security in a build: the catalog's Falco rules, the rule selection and pins of the Falco
release, and the configurations Helm renders for Falco and Falco Talon, against their schemas. Registered with
cli.checks."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jsonschema

from cli import falco_rules, release_checks
from cli.checks import Finding, check
from cli.helm import releases_document
from render import yamlio

CATALOG_RULES = Path("falco") / "alerting-platform_rules.yaml"
TALON_RULES = Path("falco") / "talon_rules.yaml"


@cache
def _schema(name: str) -> dict:
    return json.loads((falco_rules.DATA / name).read_text())


def schema_problems(document: object, schema: str) -> list[str]:
    """Problems of a document against one of the vendored schemas (Falco's are draft-06, Talon's draft-07)."""
    doc = _schema(schema)
    cls = jsonschema.Draft6Validator if "draft-06" in doc.get("$schema", "") else jsonschema.Draft7Validator
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}"
        for e in sorted(cls(doc).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    ]


def _release(build_dir: Path, chart: str) -> dict | None:
    releases = releases_document(build_dir)["releases"]
    return next((r for r in releases if r["chart"] == chart), None)


def enabled_rule_names(falco_values: dict) -> list[str]:
    """The rules a Falco `rules` selection enables by name."""
    return [e["enable"]["rule"] for e in falco_values.get("rules") or [] if "rule" in (e.get("enable") or {})]


@check
def falco_catalog_rules(build_dir: Path) -> Iterator[Finding]:
    """The catalog's rules: Falco's rules schema, then macros, lists and fields resolved against the pinned sets."""
    path = build_dir / CATALOG_RULES
    if not path.exists():
        return
    items = yamlio.load(path.read_text()) or []
    problems = schema_problems(items, "falco_rules.schema.json")
    yield Finding("falco rules schema", str(CATALOG_RULES), not problems, "\n".join(problems))
    if problems:
        return
    for rule, found in falco_rules.rule_problems(items):
        yield Finding("falco rule resolves", f"{CATALOG_RULES}: {rule}", not found, "\n".join(found))


@check
def falco_rule_selection(build_dir: Path) -> Iterator[Finding]:
    """Every rule the Falco release enables exists in the pinned rule sets or the catalog's file, and the rule sets
    are installed at exactly the vendored versions, once."""
    from render.systems.falco import RULE_SETS

    release = _release(build_dir, "falco")
    if release is None:
        return
    values = release["values"]
    upstream = falco_rules.upstream_rules()
    path = build_dir / CATALOG_RULES
    ours = {i["rule"] for i in (yamlio.load(path.read_text()) or []) if "rule" in i} if path.exists() else set()
    missing = [name for name in enabled_rule_names(values.get("falco", {})) if name not in upstream and name not in ours]
    yield Finding("falco rules enabled exist", "release falco values: falco.rules", not missing,
                  "\n".join(f"{m}: in none of the pinned rule sets" for m in missing))
    falcoctl = values.get("falcoctl", {})
    refs = (((falcoctl.get("config") or {}).get("artifact") or {}).get("install") or {}).get("refs") or []
    problems = [f"installs {ref}, not an exact pinned version" for ref in refs if ref not in {r.ref for r in RULE_SETS}]
    problems += [f"does not install {r.ref}" for r in RULE_SETS if r.ref not in refs]
    if ((falcoctl.get("artifact") or {}).get("follow") or {}).get("enabled") is not False:
        problems.append("falcoctl follows artifacts: the pinned rule sets would be replaced by newer ones")
    yield Finding("falco rule sets pinned", "release falco values: falcoctl", not problems, "\n".join(problems))


def _rendered_objects(build_dir: Path, chart: str) -> list[dict]:
    return [o for r in release_checks.rendered(build_dir) if r.ok and r.release.chart == chart for o in r.objects]


@check
def falco_config_schema(build_dir: Path) -> Iterator[Finding]:
    """The falco.yaml Helm renders, against the configuration schema of the Falco version the chart runs."""
    for obj in _rendered_objects(build_dir, "falco"):
        if obj.get("kind") == "ConfigMap" and "falco.yaml" in (obj.get("data") or {}):
            config = yamlio.load(obj["data"]["falco.yaml"])
            problems = schema_problems(config, "falco_config.schema.json")
            yield Finding("falco config schema", f"ConfigMap {obj['metadata']['name']}: falco.yaml", not problems, "\n".join(problems))


def talon_problems(items: list[dict], falco_rules_enabled: set[str] | None) -> list[str]:
    """What Talon's loader would refuse or silently skip: schema, actions a rule names but nobody defines, and
    Falco rules a match names that Falco does not run (the response would never fire)."""
    problems = schema_problems(items, "talon_rules.schema.json")
    if problems:
        return problems
    defined = {i["action"]: i for i in items if "action" in i and "actionner" in i}
    for item in items:
        if "rule" not in item:
            continue
        for action in item.get("actions") or []:
            if "actionner" not in action and action["action"] not in defined:
                problems.append(f"{item['rule']}: action {action['action']!r} is defined nowhere and names no actionner")
        if falco_rules_enabled is not None:
            for name in (item.get("match") or {}).get("rules") or []:
                if name not in falco_rules_enabled:
                    problems.append(f"{item['rule']}: Falco does not run the rule {name!r}, so this never fires")
    return problems


@check
def talon_rules(build_dir: Path) -> Iterator[Finding]:
    """Talon's rules, as rendered and as the chart mounts them (its own actions first), and its configuration."""
    path = build_dir / TALON_RULES
    items = (yamlio.load(path.read_text()) or []) if path.exists() else []
    falco = _release(build_dir, "falco")
    ours = {i["rule"] for i in (yamlio.load((build_dir / CATALOG_RULES).read_text()) or []) if "rule" in i} \
        if (build_dir / CATALOG_RULES).exists() else set()
    enabled = set(enabled_rule_names(falco["values"].get("falco", {}))) | ours if falco else None
    if items:
        problems = talon_problems(items, enabled)
        yield Finding("talon rules schema", str(TALON_RULES), not problems, "\n".join(problems))
    for obj in _rendered_objects(build_dir, "falco-talon"):
        data = obj.get("data") or obj.get("stringData") or {}
        if obj.get("kind") == "ConfigMap" and "rules.yaml" in data:
            problems = talon_problems(yamlio.load(data["rules.yaml"]) or [], enabled)
            yield Finding("talon rules schema", f"ConfigMap {obj['metadata']['name']}: rules.yaml", not problems, "\n".join(problems))
        if obj.get("kind") == "Secret" and "config.yaml" in data:
            problems = schema_problems(yamlio.load(data["config.yaml"]), "talon_config.schema.json")
            yield Finding("talon config schema", f"Secret {obj['metadata']['name']}: config.yaml", not problems, "\n".join(problems))


SIDEKICK_OUTPUTS = Path("falco") / "falcosidekick.yaml"
SIDEKICK_VALUES = Path(__file__).resolve().parent.parent / "charts" / "falcosidekick" / "values.yaml"
FALCO_PRIORITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")
"""Falco's priorities, as the falcosidekick chart's values.yaml documents `minimumpriority`."""
_URL = re.compile(r"https?://[A-Za-z0-9.-]+:\d+")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def sidekick_problems(outputs: dict, defaults: dict) -> list[str]:
    """What falcosidekick would ignore or refuse in its outputs: keys its chart does not know (they reach no env
    variable), values of another type, and the formats the chart documents for each field."""
    problems: list[str] = []
    for output, fields in outputs.items():
        known = defaults.get(output)
        if not isinstance(known, dict):
            problems.append(f"{output}: not an output of the pinned falcosidekick chart")
            continue
        for key, value in fields.items():
            if key not in known:
                problems.append(f"{output}.{key}: not a setting of this output")
            elif type(value) is not type(known[key]):
                problems.append(f"{output}.{key}: {type(value).__name__}, the chart takes {type(known[key]).__name__}")
        priority = fields.get("minimumpriority")
        if priority is not None and priority not in FALCO_PRIORITIES:
            problems.append(f"{output}.minimumpriority: {priority!r} is not a Falco priority")
    am = outputs.get("alertmanager")
    if am is None:
        problems.append("alertmanager: missing: Falco events would reach no one")
        return problems
    for url in str(am.get("hostport", "")).split(","):
        if not _URL.fullmatch(url):
            problems.append(f"alertmanager.hostport: {url!r} is not http(s)://host:port")
    if am.get("endpoint") != "/api/v2/alerts":
        problems.append(f"alertmanager.endpoint: {am.get('endpoint')!r}; Alertmanager serves alerts at /api/v2/alerts only")
    for pair in filter(None, str(am.get("customseveritymap", "")).split(",")):
        priority, _, severity = pair.partition(":")
        if priority not in FALCO_PRIORITIES or not severity:
            problems.append(f"alertmanager.customseveritymap: {pair!r} is not <falco priority>:<severity>")
    for pair in filter(None, str(am.get("extralabels", "")).split(",")):
        name, _, value = pair.partition(":")
        if not _LABEL.fullmatch(name) or not value:
            problems.append(f"alertmanager.extralabels: {pair!r} is not <label name>:<value>")
    talon = outputs.get("talon")
    if talon is not None and not _URL.fullmatch(str(talon.get("address", ""))):
        problems.append(f"talon.address: {talon.get('address')!r} is not http(s)://host:port")
    return problems


def _env(value: object) -> str:
    """A value as the falcosidekick chart writes it into its Secret (lower-case booleans)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@check
def falcosidekick_outputs(build_dir: Path) -> Iterator[Finding]:
    """falcosidekick's outputs: their shape against the pinned chart's settings, then that the release ships exactly
    them, in the environment variables (`<OUTPUT>_<KEY>`) of the Secret Helm renders, which falcosidekick reads."""
    path = build_dir / SIDEKICK_OUTPUTS
    if not path.exists():
        return
    outputs = yamlio.load(path.read_text()) or {}
    problems = sidekick_problems(outputs, yamlio.load(SIDEKICK_VALUES.read_text())["config"])
    yield Finding("falcosidekick outputs", str(SIDEKICK_OUTPUTS), not problems, "\n".join(problems))
    for obj in _rendered_objects(build_dir, "falcosidekick"):
        if obj.get("kind") != "Secret" or "ALERTMANAGER_HOSTPORT" not in (obj.get("data") or {}):
            continue
        env = {k: base64.b64decode(v).decode() for k, v in obj["data"].items()}
        differ = [
            f"{output.upper()}_{key.upper()}: {env.get(f'{output.upper()}_{key.upper()}')!r}, the file says {_env(value)!r}"
            for output, fields in outputs.items() for key, value in fields.items()
            if env.get(f"{output.upper()}_{key.upper()}") != _env(value)
        ]
        yield Finding("falcosidekick ships its outputs", f"Secret {obj['metadata']['name']}", not differ, "\n".join(differ))
