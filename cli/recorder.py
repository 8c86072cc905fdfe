"""Run the real `__main__.py` under the Pulumi SDK's mock engine and record every resource it registers.

No Pulumi CLI, engine or cluster is involved: `pulumi.runtime.set_mocks` stands in for the engine, the stack's
config comes from `Pulumi.<stack>.yaml` the way the CLI would hand it over, and secrets that live only in the
user's encrypted config are replaced by placeholders. What is recorded is exactly what `pulumi up` would send
to the engine: types, names, parents, dependencies and inputs.
"""

from __future__ import annotations

import json
import runpy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from stacks import PROJECT_DIR
from stacks.config import PROJECT

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
REDACTED = "[secret]"


def placeholder(name: str) -> str:
    """The stand-in value of a secret during an offline run; tests look for it in every rendered file."""
    return f"offline-placeholder-for-{name}"


def objstore_placeholder(name: str) -> str:
    """The stand-in of Thanos' objstore.yml: a valid one, whose every value is the secret's placeholder."""
    return f"type: FILESYSTEM\nconfig:\n  directory: /{placeholder(name)}\n"


@dataclass(frozen=True)
class Registration:
    """One resource as the program registered it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    remote: bool
    dependencies: tuple[str, ...]
    inputs: dict[str, Any]
    """Inputs with secret values still wrapped the way the engine receives them (see `is_secret`)."""


CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"


def type_token(api_version: str, kind: str) -> str:
    """The resource type pulumi-kubernetes gives an object: `kubernetes:<group>/<version>:<Kind>` (core: `core/v1`)."""
    return f"kubernetes:{api_version if '/' in api_version else 'core/' + api_version}:{kind}"


def group_children(group: Registration) -> list[Registration]:
    """What the Kubernetes provider registers for a ConfigGroup: each document of its `yaml` as one resource, named
    `<resourcePrefix>:<namespace>/<name>`, a child of the group (provider/pkg/provider/yaml/v2/yaml.go, `register`)."""
    from render.yamlio import load_all

    prefix = group.inputs.get("resourcePrefix") or group.name
    chain = group.urn.rpartition("::")[0]
    children = []
    for doc in load_all(group.inputs.get("yaml") or ""):
        if not doc:
            continue
        meta = doc.get("metadata") or {}
        name = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        type_ = type_token(doc["apiVersion"], doc["kind"])
        children.append(
            Registration(
                urn=f"{chain}${type_}::{prefix}:{name}", type=type_, name=f"{prefix}:{name}", parent=group.urn,
                custom=True, remote=False, dependencies=(), inputs=doc,
            )
        )
    return children


@dataclass
class Inventory:
    """Everything one offline run of the program registered, in registration order."""

    stack: str
    registered: list[Registration] = field(default_factory=list)
    """What the program itself registered (a ConfigGroup as one resource)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    placeholders: dict[str, str] = field(default_factory=dict)
    stack_built: Any = None
    """The stacks.Stack the program built (secrets as placeholders), where the run went through load_stack."""
    _expanded: tuple[int, list[Registration]] = field(default=(-1, []), repr=False, compare=False)

    @property
    def resources(self) -> list[Registration]:
        """Every resource the engine would hold: the program's, and after each ConfigGroup the objects the provider
        registers for it (parsed on first use: a render of thousands of SLOs never needs them)."""
        if self._expanded[0] != len(self.registered):
            out = []
            for reg in self.registered:
                out.append(reg)
                if reg.type == CONFIG_GROUP:
                    out.extend(group_children(reg))
            self._expanded = (len(self.registered), out)
        return self._expanded[1]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def by_name(self, name: str) -> Registration:
        return next(r for r in self.resources if r.name == name)

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def children(self, urn: str) -> list[Registration]:
        return [r for r in self.resources if r.parent == urn]

    def counts(self) -> Counter:
        return Counter(r.type for r in self.resources)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The value with every secret unwrapped: what the engine would store (encrypted) in state."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """The value with every secret replaced by a marker: safe to print or write to a file."""
    if is_secret(value):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def normalise_numbers(value: Any) -> Any:
    """Inputs cross the engine boundary as protobuf Structs, where every number is a float; 2.0 -> 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise_numbers(v) for v in value]
    return value


def _replace_secure(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        found.append(path)
        return placeholder(path.rsplit(".", 1)[-1])
    if isinstance(value, dict):
        return {k: _replace_secure(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """Config of `Pulumi.<stack>.yaml` as the CLI hands it to a program: JSON text for structured values.

    Encrypted (`secure:`) leaves cannot be decrypted without the CLI and become placeholders. Secrets the stack
    needs but does not hold (they are set per user with `pulumi config set --secret`) get placeholders too, so an
    offline run exercises the same program path as a real one. Returns (config, secret keys, placeholders).
    """
    from model.errors import InputError, Problem

    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.name.split(".")[1] for p in PROJECT_DIR.glob("Pulumi.*.yaml")))
        raise InputError([Problem(path.name, "(file)", f"no such stack; known stacks: {known}")])
    raw = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    raw = {**raw, **{f"{PROJECT}:{k}" if ":" not in k else k: v for k, v in (overrides or {}).items()}}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        found: list[str] = []
        value = _replace_secure(value, key, found)
        if found:
            secret_keys.append(key)
        config[key] = value if isinstance(value, str) else json.dumps(value)

    placeholders = {}
    secrets_key = f"{PROJECT}:secrets"
    if secrets_key not in config:
        placeholders = {name: placeholder(name) for name in required_secrets(stack, config)}
        # The backups derive their rclone remote from the object store's config: its stand-in has that shape.
        objstore = (json.loads(config.get(f"{PROJECT}:thanos", "{}")).get("objectStorage") or {}).get("secret", "thanos-objstore")
        if objstore in placeholders:
            placeholders[objstore] = objstore_placeholder(objstore)
        config[secrets_key] = json.dumps(placeholders)
        secret_keys.append(secrets_key)
    return config, secret_keys, placeholders


def secrets_in_stack_file(stack: str) -> set[str]:
    """Names under `alerting-platform:secrets` in `Pulumi.<stack>.yaml`: what `pulumi config set --secret` has set."""
    raw = (yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    held = raw.get(f"{PROJECT}:secrets")
    return set(held) if isinstance(held, dict) else set()


def required_secrets(stack: str, config: dict[str, str]) -> dict[str, str]:
    """The secrets a stack's configuration needs, name -> what refers to it: stacks.config.required_secrets of the
    stack's render, which run() hands to the program (stacks.config.prerendered) rather than rendering twice."""
    global _prerendered
    import catalog
    from model.errors import InputError
    from stacks.config import decode, parse_settings, prerender, validate
    from stacks.config import required_secrets as needed

    source = f"Pulumi.{stack}.yaml"
    settings = parse_settings({k: decode(v) for k, v in config.items()}, source)
    org = catalog.load(settings.catalog, base_dir=PROJECT_DIR)
    # The program's checks, in its order: a catalog the stack refuses is refused before it is rendered.
    problems = validate(org, settings, source)
    if problems:
        raise InputError(problems)
    _prerendered = prerender(org, settings)
    return needed(settings, org, _prerendered[2])


_prerendered: Any = None
"""The render required_secrets made last, for run() to hand to the program it runs next."""


def _mock_outputs(type_: str, name: str, inputs: dict) -> dict:
    """Outputs the real providers compute, so the program's `apply`s see plausible values."""
    if type_ == CONFIG_GROUP:
        # The provider's ConfigGroup outputs only the objects it created; echoing its YAML back would copy every
        # rule file through the SDK's serialisation once more.
        return {"resources": []}
    state = dict(inputs)
    if type_ == "random:index/randomPassword:RandomPassword":
        state["result"] = f"offline-random-{name}"
    elif type_ == "grafana:onCall/integration:Integration":
        state["link"] = f"https://oncall.offline.invalid/integrations/v1/alertmanager/{name}/"
    elif type_ == "kubernetes:helm.sh/v3:Release":
        state["status"] = {"name": inputs.get("name", name), "namespace": inputs.get("namespace", ""), "status": "deployed"}
    return state


def run(stack: str, overrides: dict[str, Any] | None = None) -> Inventory:
    """Run `__main__.py` for `stack` under mocks; raises InputError for bad config, as the program would."""
    global _prerendered
    import stacks
    import stacks.config

    _prerendered = None
    config, secret_keys, placeholders = stack_config(stack, overrides)
    inventory = Inventory(stack=stack, placeholders=placeholders)
    stacks.last_loaded = None
    stacks.config.prerendered, _prerendered = _prerendered, None
    try:
        _run_mocked(inventory, config, secret_keys, lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__"))
    finally:
        stacks.config.prerendered = None
    inventory.stack_built, stacks.last_loaded = stacks.last_loaded, None
    return inventory


def run_program(body: Callable[[], None], stack: str = "test") -> Inventory:
    """Run `body` (which creates resources, e.g. one component) under the same recording mocks, without config."""
    return _run_mocked(Inventory(stack=stack), {}, [], body)


def _run_mocked(inventory: Inventory, config: dict[str, str], secret_keys: list[str], body: Callable[[], None]) -> Inventory:
    import pulumi
    from pulumi.runtime import mocks
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func

    from cli.sdk_internals import clear_pending_work, forget_root_resource, run_to_completion

    class Mocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs):
            return f"{args.name}-id", _mock_outputs(args.typ, args.name, args.inputs)

        def call(self, args: mocks.MockCallArgs):
            if args.token == "grafana:onCall/getUser:getUser":
                login = args.args.get("username", "")
                return {"id": f"user-{login}", "username": login, "email": login, "role": "user"}
            if args.token == "grafana:onCall/getTeam:getTeam":
                name = args.args.get("name", "")
                return {"id": f"team-{name}", "name": name, "email": "", "avatarUrl": ""}
            return {}

    class RecordingMonitor(mocks.MockMonitor):
        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                from pulumi.runtime import rpc

                inventory.registered.append(
                    Registration(
                        urn=response.urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent,
                        custom=bool(request.custom),
                        remote=bool(request.remote),
                        dependencies=tuple(request.dependencies),
                        inputs=normalise_numbers(rpc.deserialize_properties(request.object)),
                    )
                )
            return response

    # Every run starts from a clean runtime: no root stack, no config, no pending RPCs from an earlier run.
    forget_root_resource()
    pulumi.runtime.set_all_config(config, secret_keys)
    mocks_ = Mocks()
    mocks.set_mocks(mocks_, project=PROJECT, stack=inventory.stack, preview=False, monitor=RecordingMonitor(mocks_))
    clear_pending_work()

    exports: dict[str, Any] = {}

    async def program():
        body()
        root = runtime_settings.get_root_resource()
        for key, value in sorted(root.outputs.items()):
            output = pulumi.Output.from_input(value)
            exports[key] = (await output.future(), await output.is_secret())

    run_to_completion(run_pulumi_func(lambda: run_to_completion(program())))
    for key, (value, secret) in exports.items():
        inventory.outputs[key] = value
        if secret:
            inventory.secret_outputs.add(key)
    return inventory
