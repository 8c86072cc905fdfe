"""No plaintext secret in Helm values, ConfigMaps, custom resource specs or container environments.

Secrets belong in Kubernetes Secrets (whose values are Pulumi secrets) and are read by reference: existing-secret
keys, `*_file` paths, `$__file{...}`, `secretKeyRef`. The engine hands a policy every value in the clear, so
secrets are recognised by what they are called and by what they look like, and references by their shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml
from pulumi_policy import Severity

from .framework import Reporter, resource_policy
from .values import Path, Unknown, dotted, kube_object, pod_spec, release, walk

SECRET_KEYS = (
    r"pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret"
    r"|credentials?|routing[_-]?key|service[_-]?key|auth[_-]?key|bearer|webhook[_-]?url|dsn"
)
# Keys naming where a secret is, not what it is.
REFERENCE_KEYS = re.compile(
    r"(_file|File|_path|Path|Name|_name|Ref|Selector|^existing.*|Template|_template|Length|Mode)$"
)
REFERENCE_VALUES = re.compile(r"^(\$__(file|env)\{|\$\{|\$\(|/|\./|\.\./|file://|vault:|ref\+|<|\{\{)")
SECRET_VALUES = {
    "a Slack token": r"\bxox[abposr]-[0-9A-Za-z-]{10,}",
    "a Slack app token": r"\bxapp-\d-[0-9A-Za-z-]{10,}",
    "a Slack webhook URL": r"hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+",
    "a private key": r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----",
    "an AWS access key": r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\bgh[pousr]_[0-9A-Za-z]{30,}",
    "a URL with a password": r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",
    "an HTTP authorization header": r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{16,}",
    "an OnCall integration URL": r"/integrations/v1/[a-z_]+/[0-9A-Za-z]{16,}",
}
_SECRET_VALUES = {what: re.compile(pattern) for what, pattern in SECRET_VALUES.items()}


def _is_reference(key: str, value: str, siblings: dict) -> bool:
    if REFERENCE_KEYS.search(key) or REFERENCE_VALUES.match(value):
        return True
    # `passwordKey: password` beside `existingSecret: x` names a key of that Secret.
    return key.endswith(("Key", "_key")) and any(k.lower().startswith("existing") or k == "secretName" for k in siblings)


def findings(node: object, secret_keys: re.Pattern, path: Path = ()) -> Iterator[tuple[str, str]]:
    """(path, what) of every plaintext secret below `node`, YAML documents in strings included."""
    for at, value in walk(node, path):
        if not isinstance(value, str) or not value.strip() or isinstance(value, Unknown):
            continue
        for what, pattern in _SECRET_VALUES.items():
            if pattern.search(value):
                yield dotted(at), what
                break
        else:
            key = at[-1] if at else ""
            parent = _parent(node, at[len(path):])
            if secret_keys.search(key) and not _is_reference(key, value.strip(), parent):
                yield dotted(at), f"a value under the key `{key}`"
            elif "\n" in value and ":" in value:
                yield from _embedded(value, secret_keys, at)


def _parent(node: object, relative: Path) -> dict:
    for key in relative[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _embedded(text: str, secret_keys: re.Pattern, at: Path) -> Iterator[tuple[str, str]]:
    """Secrets inside a YAML or JSON document held in a string (a config file in a ConfigMap, say)."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return
    for index, document in enumerate(documents):
        if isinstance(document, (dict, list)):
            inner = (*at, f"<document {index}>") if len(documents) > 1 else (*at, "<document>")
            yield from findings(document, secret_keys, inner)


def places(resource_type: str, props: object, name: str) -> Iterator[tuple[str, Path, object]]:
    """(subject, path, node) of every place a resource might hold a plaintext secret."""
    rel = release(resource_type, props, name)
    if rel is not None:
        yield rel.subject, ("values",), rel.values
        return
    obj = kube_object(resource_type, props, name)
    if obj is None or obj.kind == "Secret":
        return
    if obj.kind == "ConfigMap" and obj.group == "":
        for field in ("data", "binaryData"):
            if isinstance(obj.body.get(field), dict):
                yield obj.subject, (field,), obj.body[field]
        return
    pod = pod_spec(obj)
    if pod is not None:
        yield obj.subject, ("pod",), {"containers": pod.get("containers"), "initContainers": pod.get("initContainers")}
        return
    if "." in obj.group and not obj.group.endswith(".k8s.io"):
        yield obj.subject, ("spec",), obj.spec


def _env_findings(node: dict, path: Path) -> Iterator[tuple[str, str]]:
    """Container environment variables: `value` is plaintext, `valueFrom` a reference."""
    keys = re.compile(SECRET_KEYS, re.IGNORECASE)
    for group in ("initContainers", "containers"):
        for c, container in enumerate(node.get(group) or []):
            for e, env in enumerate((container or {}).get("env") or []):
                if not isinstance(env, dict) or not isinstance(env.get("value"), str) or not env["value"].strip():
                    continue
                at = dotted((*path, group, str(c), "env", str(e)))
                if keys.search(str(env.get("name", ""))) and not REFERENCE_VALUES.match(env["value"]):
                    yield at, f"the environment variable {env.get('name')}"
                else:
                    yield from ((at, what) for what, p in _SECRET_VALUES.items() if p.search(env["value"]))


def check_no_plaintext_secrets(args, config: dict, report: Reporter) -> None:
    secret_keys = re.compile(config["secretKeys"], re.IGNORECASE)
    for subject, path, node in places(args.resource_type, args.props, args.name):
        found = _env_findings(node, path) if path == ("pod",) else findings(node, secret_keys, path)
        for at, what in found:
            report(subject, f"`{at}` holds {what} in plain text; keep it in a Secret and refer to it", urn=args.urn)


NO_PLAINTEXT_SECRETS = resource_policy(
    "no-plaintext-secrets",
    "No secret sits in plain text in Helm values, ConfigMaps, custom resource specs or container environments.",
    check_no_plaintext_secrets,
    severity=Severity.CRITICAL,
    schema={
        "secretKeys": {
            "type": "string",
            "default": SECRET_KEYS,
            "description": "regex (case-insensitive) of keys whose string values are secrets unless they are references",
        }
    },
    remediation="Put the value in a Pulumi secret that becomes a Kubernetes Secret, and point the chart at it "
    "(`existingSecret`, `*_file`, `secretKeyRef`).",
)

POLICIES = [NO_PLAINTEXT_SECRETS]
