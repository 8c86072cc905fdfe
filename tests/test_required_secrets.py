"""One function says which secrets a stack needs (stacks.config.required_secrets), read from the stack's render:
the program's check, the offline runner's stand-ins and `make plan`'s list all take its answer, and one run renders
once."""

from __future__ import annotations

import dataclasses

import pytest

import render
import render.systems.oncall
import stacks.config
from cli import recorder
from model.errors import InputError
from stacks import from_values
from tests.conftest import stack_values

SPY_SECRET = "only-the-function-knows"


@pytest.fixture
def spied(monkeypatch) -> list:
    """required_secrets answering one more secret than the stack needs: whoever names it asked the function."""
    real = stacks.config.required_secrets
    asked: list = []

    def spy(settings, org, artifacts):
        asked.append(artifacts)
        return {**real(settings, org, artifacts), SPY_SECRET: "the spy"}

    monkeypatch.setattr(stacks.config, "required_secrets", spy)
    return asked


def test_the_offline_runner_stands_in_for_exactly_what_the_function_answers(spied):
    _, _, placeholders = recorder.stack_config("dev")
    assert SPY_SECRET in placeholders and len(spied) == 1


def test_the_program_refuses_a_stack_without_what_the_function_answers(spied):
    values = stack_values("dev")
    values["alerting-platform:secrets"] = {k: v for k, v in values["alerting-platform:secrets"].items() if k != SPY_SECRET}
    with pytest.raises(InputError, match=rf"alerting-platform:secrets\.{SPY_SECRET}: missing; referenced by the spy"):
        from_values("dev", values)


def test_make_plan_lists_what_the_function_answers(spied, capsys):
    from cli import __main__ as main

    built = from_values("dev", stack_values("dev"))
    main._print_secrets("dev", built)
    assert SPY_SECRET in capsys.readouterr().out


def test_an_oncall_integration_the_render_creates_is_not_asked_for_and_one_it_does_not_is():
    built = from_values("prod", stack_values("prod"))
    created = {p.integration_secret for p in built.artifacts.escalation_plans if p.integration_secret}
    assert created and created <= set(built.artifacts.secrets), "prod's receivers read the integrations' URLs"
    needed = stacks.config.required_secrets(built.settings, built.catalog, built.artifacts)
    assert not created & set(needed)
    # Read from the artifacts, not worked out from the catalog again: without the rendered plans, the receivers'
    # URLs are secrets the user must set.
    unmanaged = dataclasses.replace(built.artifacts, escalation_plans=())
    assert created <= set(stacks.config.required_secrets(built.settings, built.catalog, unmanaged))


def test_one_run_of_the_program_renders_the_catalog_and_its_oncall_plans_once(monkeypatch):
    calls = {"render": 0, "escalation_plans": 0}

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(render, "render")
    counted(render.systems.oncall, "escalation_plans")
    inventory = recorder.run("prod")
    assert inventory.stack_built is not None
    assert calls == {"render": 1, "escalation_plans": 1}
    assert stacks.config.prerendered is None, "the runner's render serves its one run only"
