"""One validate(org, settings, source) holds every check of a catalog against a stack's settings: each known mistake
comes back as a Problem naming its file and field, all of them at once, and the program stops on them before it
renders anything."""

from __future__ import annotations

import pytest

import catalog
from model.errors import InputError, Problem
from stacks import from_values
from stacks.config import parse_settings, validate
from tests.conftest import stack_values, write_yaml

UNAPPROVED = {"name": "web-pod-delete", "service": "web", "fault": "pod-delete", "environments": ["prod"]}
CAPTURE = {"name": "rec", "namespaces": ["web"], "threats": ["crypto-mining"], "actions": ["capture"]}
TERMINATE = {"name": "kill-web", "namespaces": ["web"], "rules": ["Unexpected process in web"], "actions": ["terminate"]}


def _with(doc: dict, experiments=(), responses=()) -> dict:
    doc["teams"][0]["chaos_experiments"] = list(experiments)
    if responses:
        doc["teams"][0]["services"][0]["runtime"] = {"processes": ["nginx"]}
        doc["runtime_security"] = {"responses": list(responses)}
    return doc


def _checked(stack: str, doc: dict, tmp_path, **overrides) -> tuple[str, list[Problem]]:
    # Settings and catalog read as the program reads them, without the offline runner (which validates too).
    path = str(write_yaml(tmp_path / "catalog.yaml", doc))
    values = stack_values(stack)
    values.update({f"alerting-platform:{k}": v for k, v in {"catalog": path, **overrides}.items()})
    settings = parse_settings(values, f"Pulumi.{stack}.yaml")
    return path, validate(catalog.load(path), settings, f"Pulumi.{stack}.yaml")


# (stack, catalog change, settings overrides, file ("catalog" or the stack file), field, words of the message)
MISTAKES = {
    "An unapproved chaos experiment in a production environment.": (
        "prod", lambda d: _with(d, experiments=[UNAPPROVED]), {},
        "catalog", "teams[0].chaos_experiments[0].approval", "'prod' is a production environment",
    ),
    "Pods terminated automatically in production without the catalog's consent.": (
        "prod", lambda d: _with(d, responses=[TERMINATE]), {},
        "catalog", "runtime_security.responses[0].actions", "terminates pods automatically in a production stack",
    ),
    "Forensic captures without a bucket to keep them in.": (
        "dev", lambda d: _with(d, responses=[CAPTURE]), {"falco": {"driver": "modern_ebpf"}},
        "Pulumi.dev.yaml", "alerting-platform:falco.response.forensics", "the captures need a bucket",
    ),
    "Backups through an object store rclone cannot use.": (
        "prod", lambda d: d, {"secrets": {"thanos-objstore": "not: [an objstore"}},
        "Pulumi.prod.yaml", "alerting-platform:secrets.thanos-objstore", "is not YAML",
    ),
}


@pytest.mark.parametrize("case", MISTAKES, ids=list(MISTAKES))
def test_each_cross_object_mistake_comes_back_with_its_file_and_field(case, tmp_path, small_catalog_doc):
    stack, change, overrides, source, field, words = MISTAKES[case]
    path, problems = _checked(stack, change(small_catalog_doc), tmp_path, **overrides)
    expected_source = path if source == "catalog" else source
    assert [(p.source, p.path) for p in problems] == [(expected_source, field)], problems
    assert words in problems[0].message


def test_a_catalog_and_stack_without_mistakes_have_no_problems(tmp_path, small_catalog_doc):
    assert _checked("prod", small_catalog_doc, tmp_path)[1] == []


def test_every_mistake_is_reported_at_once_and_stops_the_program_before_it_renders(tmp_path, small_catalog_doc, monkeypatch):
    import render

    doc = _with(small_catalog_doc, experiments=[UNAPPROVED], responses=[TERMINATE, CAPTURE])
    path, problems = _checked("prod", doc, tmp_path, falco={"driver": "modern_ebpf"})
    assert sorted(p.path for p in problems) == [
        "alerting-platform:falco.response.forensics",
        "runtime_security.responses[0].actions",
        "teams[0].chaos_experiments[0].approval",
    ]
    values = stack_values("prod")
    values.update({"alerting-platform:catalog": path, "alerting-platform:falco": {"driver": "modern_ebpf"}})
    monkeypatch.setattr(render, "render", lambda *_: pytest.fail("rendered a stack with mistakes"))
    with pytest.raises(InputError) as exc:
        from_values("prod", values)
    assert list(exc.value.problems) == problems
