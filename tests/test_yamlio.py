"""Rendered YAML reads back as the very data it was written from, by a YAML 1.1 reader, whatever the strings hold."""

from __future__ import annotations

import random
import string

import pytest
import yaml

from render import yamlio

# Strings YAML readers disagree about, and strings that need quoting or a literal block for any reader.
TRICKY = [
    "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "~", "", "=", "<<", "10:30", "09:00", "1_000",
    "0b101", "-0b1", "+1_0", "-10:30", "0o17", "0x1F", "017", "1e3", ".inf", "-.INF", ".nan", "2026-01-01",
    "2026-1-1 10:00:00", "+1", "-",
    "1.0", "a: b", "a #b", "#c", "- x", "? x", "*x", "&x", "!x", "%x", "@x", "`x", "{{ .Labels.x }}", "[a]", "{a: b}",
    "it's", 'say "hi"', "back\\slash", "tab\there", " lead", "trail ", "multi\nline", "multi\nline\n", "two\n\n",
    "  indented\nfirst", "ünïcode €", "x" * 300, "sum(rate(x[5m]))\n/\nsum(rate(y[5m]))\n",
]


@pytest.mark.parametrize("value", TRICKY, ids=[repr(v)[:30] for v in TRICKY])
def test_a_tricky_string_reads_back_as_itself_as_a_value_and_as_a_key(value):
    document = {"labels": {"value": value, value or "empty": 1}, "list": [value]}
    assert yaml.safe_load(yamlio.dump(document)) == document


# Every place block YAML can hold a plain scalar, each with a string only a YAML 1.1 reader misreads.
PLACES = [
    "on",
    ["yes", ["no", ["10:30"]]],
    {"off": "y"},
    [{"2026-01-01": "1_000"}, {"k": ["0b1", {"=": "<<"}]}],
    {"a": {"b": {"c": "2026-1-1 10:00:00"}}},
    {"expr": "sum(x)\non\n10:30\n", "then": "N"},
    {"expr": "sum(x)\non\n", "then": "plain"},
]


@pytest.mark.parametrize("document", PLACES, ids=[repr(d)[:40] for d in PLACES])
def test_a_string_only_yaml_1_1_misreads_reads_back_as_itself_wherever_it_stands(document):
    assert yaml.safe_load(yamlio.dump(document)) == document


def test_random_documents_read_back_as_written():
    rng = random.Random(20261201)
    alphabet = string.ascii_letters + string.digits + " :#-_.'\"\\\n\t{}[]*&!|>%@`,=<~+"

    def scalar():
        pick = rng.random()
        if pick < 0.5:
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if pick < 0.6:
            return rng.choice(TRICKY)
        if pick < 0.75:
            return rng.randint(-10**12, 10**12)
        if pick < 0.85:
            return rng.random() * 10 ** rng.randint(-6, 6)
        return rng.choice([True, False, None])

    def node(depth):
        if depth > 3 or rng.random() < 0.4:
            return scalar()
        if rng.random() < 0.5:
            return [node(depth + 1) for _ in range(rng.randint(0, 4))]
        return {str(scalar()): node(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(300):
        document = {"root": node(0)}
        assert yaml.safe_load(yamlio.dump(document)) == document


def test_the_same_data_always_prints_to_the_same_bytes():
    document = {"b": [1, {"c": "multi\nline\n"}], "a": "yes", "z": None}
    assert yamlio.dump(document) == yamlio.dump(dict(document))
    assert list(yaml.safe_load(yamlio.dump(document))) == ["b", "a", "z"]


def test_a_build_directory_is_rewritten_only_where_content_changed(tmp_path):
    from cli.build import write_tree

    first = write_tree(tmp_path, {"a.yaml": "a: 1\n", "rules/b.yaml": "b: 2\n", "rules/c.yaml": "c: 3\n"})
    assert (sorted(first.written), first.unchanged, first.removed) == (["a.yaml", "rules/b.yaml", "rules/c.yaml"], 0, ())
    stamp = (tmp_path / "a.yaml").stat().st_mtime_ns

    again = write_tree(tmp_path, {"a.yaml": "a: 1\n", "rules/b.yaml": "b: 2\n", "rules/c.yaml": "c: 3\n"})
    assert (again.written, again.unchanged, again.removed) == ((), 3, ())
    assert (tmp_path / "a.yaml").stat().st_mtime_ns == stamp

    (tmp_path / "rules" / "c.yaml").write_text("edited by hand\n")
    changed = write_tree(tmp_path, {"a.yaml": "a: 1\n", "rules/b.yaml": "b: 20\n", "rules/c.yaml": "c: 3\n"})
    assert (sorted(changed.written), changed.removed) == (["rules/b.yaml", "rules/c.yaml"], ())
    assert (tmp_path / "rules" / "c.yaml").read_text() == "c: 3\n"

    fewer = write_tree(tmp_path, {"a.yaml": "a: 1\n"})
    assert fewer.removed == ("rules/b.yaml", "rules/c.yaml") and not (tmp_path / "rules" / "b.yaml").exists()
