"""Stack config -> Settings, without Pulumi: the same parsing serves `pulumi up` and the offline commands."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import ValidationError

from model.catalog import Organisation
from model.errors import InputError, Problem, format_path, problems_from
from model.settings import Settings

from alerting_facts.names import PROJECT


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


def settings_secrets(settings: Settings, org: Organisation) -> dict[str, str]:
    """Secrets the platform itself needs (not the catalog's receivers), with the config key that names each."""
    refs = {}
    if settings.thanos.enabled:
        refs[settings.thanos.object_storage.secret] = f"{PROJECT}:thanos.objectStorage"
    if settings.smtp.password is not None:
        refs[settings.smtp.password.secret] = f"{PROJECT}:smtp.password"
    endpoints = {
        "oncall.postgres": settings.oncall.postgres,
        "oncall.redis": settings.oncall.redis,
        "grafana.database": settings.grafana.database,
    }
    for key, endpoint in endpoints.items():
        if endpoint is not None and endpoint.password is not None:
            refs.setdefault(endpoint.password.secret, f"{PROJECT}:{key}.password")
        if endpoint is not None and getattr(endpoint, "ca_certificate", None) is not None:
            refs.setdefault(endpoint.ca_certificate.secret, f"{PROJECT}:{key}.caCertificate")
    from render.systems.botkube import bot_token_secret
    from render.systems.falco import captures

    if bot_token_secret(org, settings) is not None:
        refs[settings.botkube.app_token.secret] = f"{PROJECT}:botkube.appToken"
    if settings.oncall.escalation.manage:
        refs[settings.oncall.escalation.api_token.secret] = f"{PROJECT}:oncall.escalation.apiToken"
        from render.systems.incidents import incident_plans

        # The incident lifecycle's webhooks carry the Slack bot token and the post-mortem Jira's password.
        catalog_refs = dict(org.secret_refs())
        for plan in incident_plans(org):
            for name in (plan.slack_token_secret, plan.jira_password_secret):
                refs.setdefault(name, catalog_refs[name])
    forensics = settings.falco.response.forensics
    if forensics is not None and captures(org):
        refs.setdefault(forensics.access_key.secret, f"{PROJECT}:falco.response.forensics.accessKey")
        refs.setdefault(forensics.secret_key.secret, f"{PROJECT}:falco.response.forensics.secretKey")
    return refs


def platform_provided_secrets(settings: Settings, org: Organisation) -> set[str]:
    """Receiver secrets the platform fills itself: the URLs of the OnCall integrations it creates."""
    if not settings.oncall.escalation.manage:
        return set()
    from render.systems.oncall import escalation_plans

    return {plan.integration_secret for plan in escalation_plans(org) if plan.integration_secret}


def required_secrets(settings: Settings, org: Organisation, rendered: tuple[str, ...]) -> dict[str, str]:
    """Every secret the stack needs set, by name -> what refers to it: the receivers the rendered configs read
    (`rendered`) and the platform's own, less those the platform fills itself."""
    platform = settings_secrets(settings, org)
    referenced = {**dict(org.secret_refs()), **platform}
    needed = (set(rendered) | set(platform)) - platform_provided_secrets(settings, org)
    return {name: referenced.get(name, "the rendered configuration") for name in sorted(needed)}


def set_secret_command(name: str, stack: str | None = None) -> str:
    on = f" --stack {stack}" if stack else ""
    return f"pulumi config set{on} --secret --path 'secrets.{name}' <value>"


def check_secrets(settings: Settings, org: Organisation, rendered: tuple[str, ...], source: str) -> None:
    """Every secret the rendered configs read must be set; the error says where it is referenced and how to set it."""
    missing = {name: where for name, where in required_secrets(settings, org, rendered).items() if name not in settings.secrets}
    if missing:
        raise InputError(
            Problem(
                source,
                f"{PROJECT}:secrets.{name}",
                f"missing; referenced by {where}. Set it with: {set_secret_command(name)}",
            )
            for name, where in missing.items()
        )


def check_backups(settings: Settings, source: str) -> None:
    """Backups write through an rclone remote derived from Thanos' objstore.yml: it must be one rclone can use."""
    from render.systems.backup import ObjstoreError, rclone_config

    name = settings.thanos.object_storage.secret
    if not settings.backup.enabled or name not in settings.secrets:
        return
    try:
        rclone_config(settings.secrets[name].get_secret_value())
    except ObjstoreError as exc:
        raise InputError([Problem(source, f"{PROJECT}:secrets.{name}", f"Thanos' objstore.yml {exc} (backup.enabled)")]) from None


def catalog_source(settings: Settings) -> str:
    """The file (or directory) problems of the stack's catalog are reported against."""
    from catalog import BUILT_IN

    return f"catalog/{settings.catalog}" if settings.catalog in BUILT_IN else settings.catalog


def render_catalog(org: Organisation, settings: Settings):
    """render.render, with names the renderers derive from the catalog's that collide reported against the catalog."""
    import render

    return _reported(settings, render.render, org, settings)


def receiver_secrets(org: Organisation, settings: Settings) -> tuple[str, ...]:
    """The secrets Alertmanager's receivers read (Artifacts.secrets) without rendering everything else."""
    from render.alertmanager import config as alertmanager

    return tuple(alertmanager.secrets_used(_reported(settings, alertmanager.render, org, settings)))


def _reported(settings: Settings, fn, *args):
    from model.errors import CrossReferenceError, problems_from_references

    try:
        return fn(*args)
    except CrossReferenceError as exc:
        raise InputError(problems_from_references(exc, catalog_source(settings))) from None


def check_chaos(settings: Settings, org: Organisation, source: str) -> None:
    """Chaos experiments this environment would run must respect its guardrails (see render.resources.chaos)."""
    from render.resources.chaos import guardrail_problems

    catalog_source_ = catalog_source(settings)
    problems = guardrail_problems(org, settings)
    if problems:
        raise InputError(
            Problem(catalog_source_, format_path(loc), f"{message} (stack {source}: alerting-platform:production)")
            for loc, message in problems
        )


def check_runtime_response(settings: Settings, org: Organisation, source: str) -> None:
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
    if problems:
        raise InputError(problems)
