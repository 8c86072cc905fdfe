"""Karma's silence ACLs as karma v0.131 (the karma chart 2.13.1's app version) reads and applies them, transcribed from
its source so tests can put the rendered files through the same rules without the binary (no registry here ships it):

- internal/config/acl.go: the file is YAML decoded with KnownFields(true) (an unknown key fails), keys `rules`,
  `action`, `reason`, `scope` (`groups`, `alertmanagers`, `filters`), `matchers.required`; a filter or matcher has
  `name`, `name_re`, `value`, `value_re`, `isRegex`, `isEqual`.
- cmd/karma/acl.go newSilenceACLFromConfig: action one of allow/block/requireMatcher; reason required; each scope
  group must be in `authorization.groups` (unless groups come from a header); a filter needs exactly one of name/name_re
  and one of value/value_re; regexes anchored.
- cmd/karma/acl.go isAllowed: a rule applies when the user is in one of its groups (no groups: everyone), the
  Alertmanager is listed (none: all), and every filter matches some matcher of the silence (name, value, and isRegex
  and isEqual when the filter sets them); allow -> allowed, block -> blocked, requireMatcher -> blocked unless each
  required matcher is present; otherwise the next rule.
- cmd/karma/proxy.go handlePostRequest: rules in order; the first error blocks; the first allow ends the check; past
  the last rule the silence is allowed.
- cmd/karma/auth.go headerAuth/userGroups: the user is the header matched by the anchored `value_re`'s first group;
  their groups are those of `authorization.groups` listing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RULE_KEYS = {"action", "reason", "scope", "matchers"}
SCOPE_KEYS = {"groups", "alertmanagers", "filters"}
MATCHER_KEYS = {"isRegex", "isEqual", "name", "name_re", "value", "value_re"}
ACTIONS = ("allow", "block", "requireMatcher")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Matcher:
    """A silence matcher as Alertmanager's API v2 carries it."""

    name: str
    value: str
    isRegex: bool = False
    isEqual: bool = True


def _anchored(pattern: str) -> re.Pattern:
    # internal/regex CompileAnchored: ^(?:pattern)$
    return re.compile(f"^(?:{pattern})$")


def _known(kind: str, doc: dict, keys: set[str]) -> None:
    unknown = set(doc) - keys
    if unknown:
        raise ConfigError(f"field {sorted(unknown)[0]} not found in type {kind}")


def _filter(doc: dict, what: str) -> dict:
    _known("config.SilenceFilters", doc, MATCHER_KEYS)
    if not doc.get("name") and not doc.get("name_re"):
        raise ConfigError(f"silence ACL rule {what} requires 'name' or 'name_re' to be set")
    if doc.get("name") and doc.get("name_re"):
        raise ConfigError(f"silence ACL rule {what} can only have 'name' or 'name_re' set, not both")
    if not doc.get("value") and not doc.get("value_re"):
        raise ConfigError(f"silence ACL rule {what} requires 'value' or 'value_re' to be set")
    if doc.get("value") and doc.get("value_re"):
        raise ConfigError(f"silence ACL rule {what} can only have 'value' or 'value_re' set, not both")
    return {
        "name": doc.get("name", ""),
        "value": doc.get("value", ""),
        "name_re": _anchored(doc["name_re"]) if doc.get("name_re") else None,
        "value_re": _anchored(doc["value_re"]) if doc.get("value_re") else None,
        "isRegex": doc.get("isRegex"),
        "isEqual": doc.get("isEqual"),
    }


def load_rules(acl_doc: dict, karma_config: dict) -> list[dict]:
    """The ACL file as Karma parses it, refusing what Karma refuses."""
    if set(acl_doc) - {"rules"}:
        raise ConfigError("field not found in type config.SilencesACLSchema")
    header = (karma_config.get("authentication") or {}).get("header") or {}
    known_groups = {g["name"] for g in (karma_config.get("authorization") or {}).get("groups") or []}
    names = {s["name"] for s in karma_config["alertmanager"]["servers"]}
    rules = []
    for doc in acl_doc.get("rules") or []:
        _known("config.SilenceACLRule", doc, RULE_KEYS)
        scope = doc.get("scope") or {}
        _known("config.SilenceACLRuleScope", scope, SCOPE_KEYS)
        if doc.get("action") not in ACTIONS:
            raise ConfigError(f"silence ACL rule requires 'action' to be one of {list(ACTIONS)}, got {doc.get('action')!r}")
        if not doc.get("reason"):
            raise ConfigError("silence ACL rule requires 'reason' to be set")
        for group in scope.get("groups") or []:
            if not header.get("group_name") and group not in known_groups:
                raise ConfigError(f"invalid silence ACL rule, no group with name {group!r} found in authorization.groups configuration")
        for am in scope.get("alertmanagers") or []:
            if am not in names:
                raise ConfigError(f"invalid ACL rule, no alertmanager with name {am!r} found")
        required = []
        if doc["action"] == "requireMatcher":
            required = [_filter(m, "matcher") for m in (doc.get("matchers") or {}).get("required") or []]
        rules.append(
            {
                "action": doc["action"],
                "reason": doc["reason"],
                "groups": list(scope.get("groups") or []),
                "alertmanagers": list(scope.get("alertmanagers") or []),
                "filters": [_filter(f, "filter") for f in scope.get("filters") or []],
                "required": required,
            }
        )
    return rules


def _filter_matches(f: dict, silence: list[Matcher]) -> bool:
    for m in silence:
        name = (f["name"] != "" and f["name"] == m.name) or (f["name_re"] is not None and bool(f["name_re"].match(m.name)))
        value = (f["value"] != "" and f["value"] == m.value) or (f["value_re"] is not None and bool(f["value_re"].match(m.value)))
        is_regex = f["isRegex"] is None or f["isRegex"] == m.isRegex
        is_equal = f["isEqual"] is None or f["isEqual"] == m.isEqual
        if name and value and is_regex and is_equal:
            return True
    return False


def _required_matches(r: dict, m: Matcher) -> bool:
    if r["name_re"] is not None and not r["name_re"].match(m.name):
        return False
    if r["name"] and r["name"] != m.name:
        return False
    if r["value_re"] is not None and not r["value_re"].match(m.value):
        return False
    if r["value"] and r["value"] != m.value:
        return False
    if r["isRegex"] is not None and r["isRegex"] != m.isRegex:
        return False
    if r["isEqual"] is not None and r["isEqual"] != m.isEqual:
        return False
    return True


def user_groups(karma_config: dict, user: str) -> list[str]:
    return [g["name"] for g in (karma_config.get("authorization") or {}).get("groups") or [] if user in g["members"]]


def signed_in_user(karma_config: dict, header_value: str) -> str | None:
    """headerAuth: the first group of the anchored value_re, or None (Karma answers 401)."""
    header = karma_config["authentication"]["header"]
    found = _anchored(header["value_re"]).match(header_value) if header_value else None
    return found.group(1) if found and found.re.groups >= 1 else None


def check(rules: list[dict], alertmanager: str, silence: list[Matcher], groups: list[str]) -> tuple[bool, str]:
    """(allowed, reason it was blocked) for one silence POSTed through Karma's proxy."""
    for rule in rules:
        group_match = not rule["groups"] or any(g in groups for g in rule["groups"])
        am_match = not rule["alertmanagers"] or alertmanager in rule["alertmanagers"]
        filter_match = all(_filter_matches(f, silence) for f in rule["filters"])
        if group_match and am_match and filter_match:
            if rule["action"] == "allow":
                return True, ""
            if rule["action"] == "block":
                return False, f"silence blocked by ACL rule: {rule['reason']}"
            for required in rule["required"]:
                if not any(_required_matches(required, m) for m in silence):
                    return False, f"silence blocked by ACL rule: {rule['reason']}"
    return True, ""
