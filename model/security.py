"""Runtime security in the catalog: the threat classes Falco watches for, what each service is expected to run, and
how the platform responds when a threat is seen (Falco Talon).

The rule names below are those of the pinned Falco rule sets (render.systems.falco.RULE_SETS); the tests hold every one of
them to the vendored rule files of those versions, and docs/security.md prints this table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, model_validator

from model.base import Name, StrictModel

if TYPE_CHECKING:
    from model.catalog import Organisation


class ThreatClass(StrEnum):
    """The runtime threats of the implementation report, one class per kind of attack."""

    unexpected_process = "unexpected-process"
    sensitive_file_access = "sensitive-file-access"
    privilege_escalation = "privilege-escalation"
    container_escape = "container-escape"
    crypto_mining = "crypto-mining"
    suspicious_network = "suspicious-network"


class Maturity(StrEnum):
    """Which upstream rule set a rule comes from (its `maturity_*` tag)."""

    stable = "stable"
    incubating = "incubating"
    sandbox = "sandbox"


@dataclass(frozen=True)
class UpstreamRule:
    name: str
    threat: ThreatClass
    maturity: Maturity
    enabled_upstream: bool = True
    """False for a rule its rule set ships disabled: the platform enables it explicitly."""


_T, _M = ThreatClass, Maturity
UPSTREAM_RULES: tuple[UpstreamRule, ...] = (
    # Unexpected process execution: drift (new binaries), shells, fileless execution.
    UpstreamRule("Drop and execute new binary in container", _T.unexpected_process, _M.stable),
    UpstreamRule("Fileless execution via memfd_create", _T.unexpected_process, _M.stable),
    UpstreamRule("Execution from /dev/shm", _T.unexpected_process, _M.stable),
    UpstreamRule("Terminal shell in container", _T.unexpected_process, _M.stable),
    UpstreamRule("Run shell untrusted", _T.unexpected_process, _M.stable),
    UpstreamRule("Launch Package Management Process in Container", _T.unexpected_process, _M.incubating),
    # Sensitive file access: credentials, keys, cloud configuration.
    UpstreamRule("Read sensitive file untrusted", _T.sensitive_file_access, _M.stable),
    UpstreamRule("Read sensitive file trusted after startup", _T.sensitive_file_access, _M.stable),
    UpstreamRule("Directory traversal monitored file read", _T.sensitive_file_access, _M.stable),
    UpstreamRule("Search Private Keys or Passwords", _T.sensitive_file_access, _M.stable),
    UpstreamRule("Find AWS Credentials", _T.sensitive_file_access, _M.stable),
    UpstreamRule("Read ssh information", _T.sensitive_file_access, _M.incubating),
    UpstreamRule("Read environment variable from /proc files", _T.sensitive_file_access, _M.incubating),
    UpstreamRule("Contact cloud metadata service from container", _T.sensitive_file_access, _M.incubating),
    # Privilege escalation: setuid/setgid, sudo/su, ptrace.
    UpstreamRule("Non sudo setuid", _T.privilege_escalation, _M.incubating),
    UpstreamRule("Set Setuid or Setgid bit", _T.privilege_escalation, _M.incubating),
    UpstreamRule("User mgmt binaries", _T.privilege_escalation, _M.incubating),
    UpstreamRule("Sudo Potential Privilege Escalation", _T.privilege_escalation, _M.sandbox),
    UpstreamRule("Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)", _T.privilege_escalation, _M.sandbox),
    UpstreamRule("Potential Local Privilege Escalation via Environment Variables Misuse", _T.privilege_escalation, _M.incubating),
    UpstreamRule("PTRACE attached to process", _T.privilege_escalation, _M.stable),
    UpstreamRule("PTRACE anti-debug attempt", _T.privilege_escalation, _M.stable),
    # Container escape: release_agent, mount or debugfs in privileged containers, namespace changes.
    UpstreamRule("Detect release_agent File Container Escapes", _T.container_escape, _M.stable),
    UpstreamRule("Debugfs Launched in Privileged Container", _T.container_escape, _M.stable),
    UpstreamRule("Mount Launched in Privileged Container", _T.container_escape, _M.incubating),
    UpstreamRule("Change thread namespace", _T.container_escape, _M.incubating),
    UpstreamRule("Change namespace privileges via unshare", _T.container_escape, _M.incubating),
    UpstreamRule("Linux Kernel Module Injection Detected", _T.container_escape, _M.stable),
    UpstreamRule("Privileged Container Device Access", _T.container_escape, _M.sandbox),
    # Crypto mining: miner processes, the Stratum protocol, pool ports (shipped disabled).
    UpstreamRule("Known Cryptominer Process Executed", _T.crypto_mining, _M.sandbox),
    UpstreamRule("Detect crypto miners using the Stratum protocol", _T.crypto_mining, _M.sandbox),
    UpstreamRule("Detect outbound connections to common miner pool ports", _T.crypto_mining, _M.sandbox, enabled_upstream=False),
    # Suspicious network activity: reverse shells, netcat, raw sockets, odd ports.
    UpstreamRule("Redirect STDOUT/STDIN to Network Connection in Container", _T.suspicious_network, _M.stable),
    UpstreamRule("Netcat Remote Code Execution in Container", _T.suspicious_network, _M.stable),
    UpstreamRule("Reverse Shell from Web Server", _T.suspicious_network, _M.sandbox),
    UpstreamRule("Launch Suspicious Network Tool in Container", _T.suspicious_network, _M.incubating),
    UpstreamRule("Packet socket created in container", _T.suspicious_network, _M.stable),
    UpstreamRule("Disallowed SSH Connection Non Standard Port", _T.suspicious_network, _M.stable),
)


def unexpected_process_rule(service: str) -> str:
    """The name of the catalog rule that watches a service's processes."""
    return f"Unexpected process in {service}"


def unexpected_connection_rule(service: str) -> str:
    """The name of the catalog rule that watches a service's outbound connections."""
    return f"Unexpected outbound connection from {service}"


ProcessName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}$",
        examples=["java", "node", "nginx"],
        description="an executable's name as Falco's `proc.name` reports it (no path)",
    ),
]


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR notation ({exc})") from None


Cidr = Annotated[str, Field(examples=["10.0.0.0/8", "203.0.113.7/32"]), AfterValidator(_cidr)]


class RuntimeProfile(StrictModel):
    """What a service's containers are expected to do; anything else raises an alert for the owning team."""

    processes: list[ProcessName] = Field(
        min_length=1, description="every executable the service's containers run (entrypoint, helpers, probes)"
    )
    outbound: list[Cidr] | None = Field(
        default=None,
        description="networks the service connects to outside the cluster's (falco.clusterNetworks); unset: not watched",
    )


class ResponseAction(StrEnum):
    """What Falco Talon does to a pod a threat was seen in."""

    isolate = "isolate"
    """Label the pod as quarantined (a deny-all NetworkPolicy selects that label) and deny its workload's egress."""
    capture = "capture"
    """Record the pod's system calls for a few seconds (a sysdig capture) into the forensics bucket."""
    terminate = "terminate"
    """Delete the pod (its controller replaces it); in production only where the catalog opts in."""


class RuntimeResponse(StrictModel):
    """One automated response: on these threats, in these namespaces, do these actions."""

    name: Name
    namespaces: list[Name] = Field(min_length=1, description="namespaces of catalog services")
    threats: list[ThreatClass] = Field(default_factory=list, description="every enabled rule of these classes")
    rules: list[str] = Field(default_factory=list, description="single rules by name: enabled upstream rules or the catalog's own")
    actions: list[ResponseAction] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_what_triggers_it(self) -> RuntimeResponse:
        if not self.threats and not self.rules:
            raise ValueError("give `threats`, `rules` or both: a response must name what triggers it")
        return self

    def triggers(self, catalog_rules: dict[str, ThreatClass]) -> list[str]:
        """The Falco rule names that trigger this response, in a stable order."""
        chosen = [r.name for r in UPSTREAM_RULES if r.threat in self.threats]
        chosen += [name for name, threat in sorted(catalog_rules.items()) if threat in self.threats]
        chosen += [r for r in self.rules if r not in chosen]
        return chosen


class RuntimeSecurity(StrictModel):
    """Automated responses to runtime threats, carried out by Falco Talon."""

    responses: list[RuntimeResponse] = Field(default_factory=list)
    terminate_in_production: bool = Field(
        default=False, description="allow the `terminate` action in a production stack (the policy pack refuses it otherwise)"
    )


def catalog_rules(org: Organisation) -> dict[str, ThreatClass]:
    """The rules the catalog's runtime profiles make, by name, with their class."""
    out: dict[str, ThreatClass] = {}
    for _, service in org.services():
        if service.runtime is None:
            continue
        out[unexpected_process_rule(service.name)] = ThreatClass.unexpected_process
        if service.runtime.outbound is not None:
            out[unexpected_connection_rule(service.name)] = ThreatClass.suspicious_network
    return out


def runtime_problems(org: Organisation) -> Iterator[tuple[tuple, str]]:
    """Responses that name an unknown namespace or rule, or repeat a name."""
    namespaces = sorted({s.namespace for _, s in org.services()})
    known = {r.name for r in UPSTREAM_RULES} | set(catalog_rules(org))
    seen: set[str] = set()
    for ri, response in enumerate(org.runtime_security.responses):
        at = ("runtime_security", "responses", ri)
        if response.name in seen:
            yield (*at, "name"), f"duplicate response name {response.name!r}"
        seen.add(response.name)
        for ni, namespace in enumerate(response.namespaces):
            if namespace not in namespaces:
                yield (*at, "namespaces", ni), (
                    f"{namespace!r} is not the namespace of a catalog service; namespaces are: {', '.join(namespaces)}"
                )
        for i, rule in enumerate(response.rules):
            if rule not in known:
                yield (*at, "rules", i), f"{rule!r} is not a rule the platform enables (docs/security.md lists them)"
