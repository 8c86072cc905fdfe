"""Exceptions: a reviewed file, checked like any input; each excuses exactly what it names, until it expires."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from typer.testing import CliRunner

from cli.__main__ import app
from policies import guardrails
from policies.guardrails import exceptions
from policies.guardrails.framework import use_exceptions
from tests import policy_fixtures as fx
from tests.conftest import PROJECT_DIR
from tests.policy_support import registered, resources, violations

TODAY = dt.date(2026, 11, 27)
FALCO_ROOT = {"policy": "kubernetes-non-root", "resource": "Release falco/falco", "reason": "kernel events",
              "approvedBy": "platform-team"}


@pytest.fixture(autouse=True)
def restore_exceptions():
    yield
    use_exceptions(None)


def book(*entries: dict, today: dt.date = TODAY) -> exceptions.ExceptionBook:
    parsed = exceptions.parse({"exceptions": list(entries)}, "exceptions.yaml", guardrails.POLICY_NAMES)
    return exceptions.ExceptionBook(exceptions=parsed, today=today)


BAD_FILES = {
    "An entry without a reason": (
        {"exceptions": [{k: v for k, v in FALCO_ROOT.items() if k != "reason"}]},
        "exceptions.yaml: exceptions[0].reason: required, a non-empty string",
    ),
    "A policy the pack does not have": (
        {"exceptions": [{**FALCO_ROOT, "policy": "kubernetes-root-ok"}]},
        "exceptions.yaml: exceptions[0].policy: no policy of that name in the pack",
    ),
    "A date that is not a date": (
        {"exceptions": [{**FALCO_ROOT, "expires": "soon"}]},
        "exceptions.yaml: exceptions[0].expires: must be a date (YYYY-MM-DD)",
    ),
    "A misspelt field": (
        {"exceptions": [{**FALCO_ROOT, "approved_by": "x"}]},
        "exceptions.yaml: exceptions[0].approved_by: unknown field",
    ),
    "A file that is a list": ([FALCO_ROOT], "exceptions.yaml: (file): must be a mapping with one key, `exceptions`"),
}


@pytest.mark.parametrize("document,message", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_bad_exception_is_refused_naming_file_and_field(document, message):
    with pytest.raises(exceptions.ExceptionsError) as raised:
        exceptions.parse(document, "exceptions.yaml", guardrails.POLICY_NAMES)
    assert any(": ".join(problem).startswith(message) for problem in raised.value.problems), raised.value.problems


def test_the_shipped_exceptions_each_give_a_reason_and_an_approver():
    shipped = exceptions.load(exceptions.DEFAULT_FILE, guardrails.POLICY_NAMES).exceptions
    assert shipped
    assert all(len(e.reason) > 40 and e.approved_by for e in shipped)


def test_an_exception_excuses_the_resource_it_names():
    use_exceptions(book(FALCO_ROOT))
    found = violations("kubernetes-non-root", "dev", resources("dev"))
    assert not [m for m in found if m.startswith("Release falco/falco ")]
    # The resources the exception does not name stay judged: the other release in its namespace, and others.
    assert [m for m in found if m.startswith("Release falco/falco-talon ")]
    assert [m for m in found if m.startswith("Release litmus/litmus")]


def test_an_exception_for_one_part_leaves_the_other_parts_judged():
    use_exceptions(book({**FALCO_ROOT, "where": "workload falcoctl-*"}))
    found = violations("kubernetes-non-root", "dev", resources("dev"))
    assert any(m.startswith("Release falco/falco workload falco: runs as root") for m in found)
    assert not any("falcoctl" in m for m in found)


def test_an_expired_exception_excuses_nothing_and_says_so():
    use_exceptions(book({**FALCO_ROOT, "expires": "2026-11-26"}))
    found = violations("kubernetes-non-root", "dev", resources("dev"))
    assert any(
        m.startswith("Release falco/falco workload falco: runs as root")
        and m.endswith("(its exception in exceptions.yaml expired on 2026-11-26)")
        for m in found
    )


def test_an_exception_holds_through_its_last_day():
    use_exceptions(book({**FALCO_ROOT, "expires": "2026-11-27"}))
    assert not [m for m in violations("kubernetes-non-root", "dev", resources("dev")) if m.startswith("Release falco/falco ")]


def test_make_policy_refuses_a_bad_exceptions_file_with_exit_code_2(tmp_path, monkeypatch):
    bad = tmp_path / "exceptions.yaml"
    bad.write_text(yaml.safe_dump({"exceptions": [{**FALCO_ROOT, "expires": "someday"}]}))
    monkeypatch.setattr(exceptions, "DEFAULT_FILE", bad)
    result = CliRunner().invoke(app, ["policy", "--stack", "dev"])
    assert result.exit_code == 2
    assert "exceptions.yaml: exceptions[0].expires: must be a date (YYYY-MM-DD)" in result.output


def test_the_readmes_example_excuses_the_node_drain_it_describes_and_nothing_else():
    readme = (PROJECT_DIR / "README.md").read_text().split("### Asking for an exception", 1)[1]
    example = yaml.safe_load(readme.split("```yaml", 1)[1].split("```", 1)[0])
    use_exceptions(book(*example, today=dt.date(2027, 1, 14)))

    def drain(doc: dict) -> None:
        doc["spec"]["experiments"][0]["name"] = "node-drain"

    engine = registered(lambda: fx.custom(fx.edited(fx.CHAOS_ENGINE, drain)))
    assert violations("chaos-blast-radius", "dev", engine) == []
    unbounded = registered(lambda: fx.custom(fx.edited(fx.CHAOS_ENGINE, lambda d: (drain(d), d["spec"]["appinfo"].pop("applabel")))))
    assert [m.split(": ", 1)[0] for m in violations("chaos-blast-radius", "dev", unbounded)] == [
        "ChaosEngine payments/checkout-pod-delete spec.appinfo"
    ]
