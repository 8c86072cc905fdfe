"""Stack config -> Settings, without Pulumi: the same parsing serves `pulumi up` and the offline commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import ValidationError

from model.catalog import Organisation
from model.errors import InputError, Problem, format_path, problems_from
from model.settings import Settings

from alerting_facts.names import PROJECT

if TYPE_CHECKING:
    from render import Artifacts


def decode(raw: str) -> object:
    """A config value as the CLI hands it over: structured values and scalars as JSON text, plain strings as-is."""
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def parse_settings(values: Mapping[str, object], source: str) -> Settings:
    """`values` maps full config keys (`alerting-platform:alertmanager`) to decoded values.

    Keys of other namespaces (`kubernetes:context`, ...) are ignored; unknown keys of ours are errors.
    """
    prefix = f"{PROJECT}:"
    ours = {key.removeprefix(prefix): value for key, value in values.items() if key.startswith(prefix)}
    try:
        return Settings.model_validate(ours)
    except ValidationError as exc:
        problems = problems_from(exc, source, model=Settings)
        raise InputError(Problem(p.source, prefix + p.path, p.message) for p in problems) from None


def required_secrets(settings: Settings, org: Organisation, artifacts: Artifacts) -> dict[str, str]:
    """Every secret the stack needs set, by name -> what refers to it: the one answer the program (check_secrets),
    `make plan`'s list and the offline runner's placeholders all take.

    Read from what the stack ships (`artifacts`): the secrets the rendered receivers read, the Slack bot token
    Botkube posts with, the OnCall API token and the incident webhooks' Slack and Jira credentials where OnCall's
    objects are rendered, Talon's forensics bucket where it captures; and from settings, the platform's own (object
    storage, SMTP, databases). The OnCall integration URLs the platform creates itself are not asked for."""
    refs = dict(org.secret_refs())
    needed: dict[str, str] = {name: refs.get(name, "the rendered configuration") for name in artifacts.secrets}
    own = {}
    if settings.thanos.enabled:
        own[settings.thanos.object_storage.secret] = f"{PROJECT}:thanos.objectStorage"
    if settings.smtp.password is not None:
        own[settings.smtp.password.secret] = f"{PROJECT}:smtp.password"
    endpoints = {
        "oncall.postgres": settings.oncall.postgres,
        "oncall.redis": settings.oncall.redis,
        "grafana.database": settings.grafana.database,
    }
    for key, endpoint in endpoints.items():
        if endpoint is not None and endpoint.password is not None:
            own.setdefault(endpoint.password.secret, f"{PROJECT}:{key}.password")
        if endpoint is not None and getattr(endpoint, "ca_certificate", None) is not None:
            own.setdefault(endpoint.ca_certificate.secret, f"{PROJECT}:{key}.caCertificate")
    if artifacts.botkube_bot_token_secret is not None:  # Botkube runs: it connects with the app-level token too
        own[settings.botkube.app_token.secret] = f"{PROJECT}:botkube.appToken"
    if settings.oncall.escalation.manage:
        own[settings.oncall.escalation.api_token.secret] = f"{PROJECT}:oncall.escalation.apiToken"
        for plan in artifacts.incidents:
            for name in (plan.slack_token_secret, plan.jira_password_secret):
                own.setdefault(name, refs[name])
    forensics = settings.falco.response.forensics
    if forensics is not None and artifacts.runtime_response is not None and artifacts.runtime_response.captures:
        own.setdefault(forensics.access_key.secret, f"{PROJECT}:falco.response.forensics.accessKey")
        own.setdefault(forensics.secret_key.secret, f"{PROJECT}:falco.response.forensics.secretKey")
    needed.update(own)
    # The receivers' URLs of the OnCall integrations the platform creates: it fills them itself.
    for plan in artifacts.escalation_plans:
        if plan.integration_secret:
            needed.pop(plan.integration_secret, None)
    return dict(sorted(needed.items()))


def set_secret_command(name: str, stack: str | None = None) -> str:
    on = f" --stack {stack}" if stack else ""
    return f"pulumi config set{on} --secret --path 'secrets.{name}' <value>"


def check_secrets(settings: Settings, org: Organisation, artifacts: Artifacts, source: str) -> None:
    """Every secret the stack needs (required_secrets) must be set; the error says where it is referenced and how to
    set it."""
    missing = {name: where for name, where in required_secrets(settings, org, artifacts).items() if name not in settings.secrets}
    if missing:
        raise InputError(
            Problem(
                source,
                f"{PROJECT}:secrets.{name}",
                f"missing; referenced by {where}. Set it with: {set_secret_command(name)}",
            )
            for name, where in missing.items()
        )


def _backup_problems(settings: Settings, source: str) -> list[Problem]:
    """Backups write through an rclone remote derived from Thanos' objstore.yml: it must be one rclone can use."""
    from render.systems.backup import ObjstoreError, rclone_config

    name = settings.thanos.object_storage.secret
    if not settings.backup.enabled or name not in settings.secrets:
        return []
    try:
        rclone_config(settings.secrets[name].get_secret_value())
    except ObjstoreError as exc:
        return [Problem(source, f"{PROJECT}:secrets.{name}", f"Thanos' objstore.yml {exc} (backup.enabled)")]
    return []


def catalog_source(settings: Settings) -> str:
    """The file (or directory) problems of the stack's catalog are reported against."""
    from catalog import BUILT_IN

    return f"catalog/{settings.catalog}" if settings.catalog in BUILT_IN else settings.catalog


def render_catalog(org: Organisation, settings: Settings) -> Artifacts:
    """render.render, with names the renderers derive from the catalog's that collide reported against the catalog;
    or, during one offline run, the render the runner made of the same catalog and settings (see `prerendered`)."""
    import render

    if prerendered is not None and prerendered[1] == _render_key(settings) and (prerendered[0] is org or prerendered[0] == org):
        return prerendered[2]
    return _reported(settings, render.render, org, settings)


def _render_key(settings: Settings) -> str:
    # No renderer reads `settings.secrets`: the runner renders before it sets their stand-ins, the program after.
    return settings.model_dump_json(exclude={"secrets"})


def prerender(org: Organisation, settings: Settings) -> tuple[Organisation, str, Artifacts]:
    """A render for `prerendered`."""
    return org, _render_key(settings), render_catalog(org, settings)


prerendered: tuple[Organisation, str, Artifacts] | None = None
"""Set by the offline runner (cli.recorder.run) for one run of the program: the render it made to know which secrets
the stack needs, which the program takes rather than rendering the same catalog and settings again."""


def _reported(settings: Settings, fn, *args):
    from model.errors import CrossReferenceError, problems_from_references

    try:
        return fn(*args)
    except CrossReferenceError as exc:
        raise InputError(problems_from_references(exc, catalog_source(settings))) from None


def validate(org: Organisation, settings: Settings, source: str) -> list[Problem]:
    """Every check of a catalog against a stack's settings, one Problem per mistake naming its file (the catalog's,
    or the stack's `source`) and field: chaos experiments against the environment's guardrails, runtime responses
    the stack cannot carry out or may not, backups through an object store rclone cannot use. The secrets the stack
    needs are checked against its render (check_secrets); checks within the catalog are the catalog model's."""
    return [*_chaos_problems(settings, org, source), *_runtime_response_problems(settings, org, source), *_backup_problems(settings, source)]


def _chaos_problems(settings: Settings, org: Organisation, source: str) -> list[Problem]:
    """Chaos experiments this environment would run must respect its guardrails (see render.resources.chaos)."""
    from render.resources.chaos import guardrail_problems

    catalog_source_ = catalog_source(settings)
    return [
        Problem(catalog_source_, format_path(loc), f"{message} (stack {source}: alerting-platform:production)")
        for loc, message in guardrail_problems(org, settings)
    ]


def _runtime_response_problems(settings: Settings, org: Organisation, source: str) -> list[Problem]:
    """Automated responses the stack cannot carry out, or may not: captures need a forensics bucket, and automatic
    termination in production needs the catalog's explicit consent."""
    from model.security import ResponseAction
    from render.systems.falco import captures

    problems = []
    if captures(org) and settings.falco.response.forensics is None:
        problems.append(Problem(source, f"{PROJECT}:falco.response.forensics", (
            "required: a runtime response of the catalog captures, and the captures need a bucket (endpoint, bucket)"
        )))
    if settings.production and not org.runtime_security.terminate_in_production:
        for ri, response in enumerate(org.runtime_security.responses):
            if ResponseAction.terminate in response.actions:
                problems.append(Problem(catalog_source(settings), f"runtime_security.responses[{ri}].actions", (
                    f"{response.name!r} terminates pods automatically in a production stack ({source}: "
                    f"{PROJECT}:production); set runtime_security.terminate_in_production to allow it"
                )))
    return problems
