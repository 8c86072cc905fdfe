"""Notification templates: the shared layout (templates/alerting.tmpl) and the catalog's facts as template lookups.

Go templates cannot take a template name from data, so each lookup is one `if eq` chain over the catalog's names.
"""

from __future__ import annotations

from pathlib import Path

from model.catalog import Organisation
from model.settings import Settings
from render.rules.enrichment import direct_dependants, impact_text, link_templates, names_text

LAYOUT_FILE = "alerting.tmpl"
CATALOG_FILE = "catalog.tmpl"
TEMPLATE_GLOB = "*.tmpl"
"""As the config names them: relative to alertmanager.yml, beside which the chart mounts the templates."""

_LAYOUT = (Path(__file__).parent / "templates" / LAYOUT_FILE).read_text(encoding="utf-8")


def use(name: str) -> str:
    """A config field that renders the named template with the notification's data."""
    return '{{ template "%s" . }}' % name


def _quote(text: str) -> str:
    """A Go template string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(text: str) -> str:
    """Text printed verbatim by a template, even if it contains the template delimiters."""
    return text.replace("{{", '{{ "{{" }}')


def _lookup(name: str, cases: list[tuple[str, str]], default: str) -> str:
    """`{{ template name KEY }}` prints the text of KEY's case, or `default` (which may itself use templates)."""
    if not cases:
        return f'{{{{ define "{name}" }}}}{default}{{{{ end }}}}\n'
    # One case per line for a readable file; `{{-` trims the line break so none reaches the notification.
    lines = [f'{{{{ define "{name}" -}}}}']
    for i, (key, text) in enumerate(cases):
        keyword = "if" if i == 0 else "- else if"
        lines.append(f"{{{{{keyword} eq . {_quote(key)} }}}}{_literal(text)}")
    lines.append(f"{{{{- else }}}}{default}")
    lines.append("{{- end }}")
    lines.append("{{- end }}")
    return "\n".join(lines) + "\n"


def catalog_templates(org: Organisation, settings: Settings) -> str:
    """Lookups from the catalog and the environment, for the layout to call."""
    services = sorted(org.services(), key=lambda ts: ts[1].name)
    dependants = direct_dependants(org)
    karma = settings.url("karma")
    # Alerts without a known service still get somewhere useful to click: the cluster runbook, else Karma.
    fallback_runbook = _literal(org.runbook_url or karma)
    fallback_dashboard = _literal(org.dashboard_url or karma)
    parts = [
        "{{/* Rendered from the catalog and the stack settings; do not edit. */}}\n",
        f'{{{{ define "alerting.environment" }}}}{_literal(settings.environment)}{{{{ end }}}}\n',
        f'{{{{ define "alerting.karma.url" }}}}{_literal(karma)}{{{{ end }}}}\n',
        _lookup(
            "alerting.catalog.team",
            [(team.name, team.display_name) for team in sorted(org.teams, key=lambda t: t.name)],
            '{{ with . }}{{ . }} (not in the catalog){{ else }}no owner: the platform team triages it{{ end }}',
        ),
        _lookup(
            "alerting.catalog.impact",
            [(s.name, impact_text(s, org.major_impact_users)) for _, s in services],
            "unknown: the service is not in the catalog",
        ),
        _lookup("alerting.catalog.runbook", [(s.name, s.runbook_url) for _, s in services], fallback_runbook),
        _lookup("alerting.catalog.dashboard", [(s.name, s.dashboard_url) for _, s in services], fallback_dashboard),
        _lookup("alerting.catalog.depends_on", [(s.name, names_text(s.depends_on)) for _, s in services], "unknown"),
        _lookup("alerting.catalog.dependants", [(s.name, names_text(dependants.get(s.name, []))) for _, s in services], "unknown"),
        link_templates(settings),
    ]
    return "\n".join(parts)


def render(org: Organisation, settings: Settings) -> dict[str, str]:
    """The template files, by name, that go beside alertmanager.yml."""
    return {LAYOUT_FILE: _LAYOUT, CATALOG_FILE: catalog_templates(org, settings)}
