"""Hypothesis strategies from a JSON Schema: the subset pydantic writes for the catalog (`make schema`).

hypothesis-jsonschema canonicalises merged sub-schemas on every draw, seconds per catalog for this schema; the
catalog's schema uses a small set of keywords, and drawing from it directly takes milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

MAX_ITEMS = 3


class SchemaStrategies:
    """`strategy(schema)` draws documents that the schema accepts (with some optional fields left out)."""

    def __init__(self, root: dict) -> None:
        self.root = root
        self._cache: dict[str, st.SearchStrategy] = {}

    def resolve(self, ref: str) -> dict:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def strategy(self, schema: dict | bool) -> st.SearchStrategy:
        if schema is True or schema == {}:
            return st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref not in self._cache:
                self._cache[ref] = st.deferred(lambda: self.strategy(self.resolve(ref)))
            return self._cache[ref]
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return st.one_of(*(self.strategy(s) for s in schema[key]))
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of(*(self.strategy({**schema, "type": k}) for k in kind))
        maker = {
            "object": self._object,
            "array": self._array,
            "string": self._string,
            "integer": self._number,
            "number": self._number,
            "boolean": lambda s: st.booleans(),
            "null": lambda s: st.none(),
        }.get(kind)
        if maker is None:  # e.g. `propertyNames` with only examples: any string, the examples likelier
            return st.one_of(st.sampled_from(schema.get("examples") or [""]), st.text(max_size=12))
        return maker(schema)

    def _object(self, schema: dict) -> st.SearchStrategy:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fixed = {k: self.strategy(v) for k, v in properties.items() if k in required}
        optional = {k: self.strategy(v) for k, v in properties.items() if k not in required}
        extra = schema.get("additionalProperties", True if not properties else False)
        names = schema.get("propertyNames") or next(
            ({"type": "string", "pattern": p} for p in schema.get("patternProperties", {})), {"type": "string", "pattern": "^[a-z_]{1,12}$"}
        )
        free = (
            st.dictionaries(self.strategy(names), self.strategy(extra if isinstance(extra, dict) else {}), max_size=MAX_ITEMS)
            if extra and not properties
            else st.just({})
        )
        return st.builds(lambda extra_, known: {**extra_, **known}, free, st.fixed_dictionaries(fixed, optional=optional))

    def _array(self, schema: dict) -> st.SearchStrategy:
        low = schema.get("minItems", 0)
        return st.lists(self.strategy(schema.get("items", {})), min_size=low, max_size=max(low, MAX_ITEMS))

    def _string(self, schema: dict) -> st.SearchStrategy:
        options = []
        if schema.get("examples"):
            options.append(st.sampled_from(schema["examples"]))
        if "pattern" in schema:
            options.append(st.from_regex(_python_regex(schema["pattern"]), fullmatch=True).filter(lambda s: len(s) < 200))
        elif schema.get("format") == "date-time":
            options.append(st.datetimes().map(lambda d: d.replace(second=0, microsecond=0).isoformat()))
        else:
            options.append(st.text(min_size=schema.get("minLength", 0), max_size=20))
        return st.one_of(*options)

    def _number(self, schema: dict) -> st.SearchStrategy:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if schema.get("type") == "integer":
            low = None if low is None else int(low) + (1 if "exclusiveMinimum" in schema else 0)
            high = None if high is None else int(high) - (1 if "exclusiveMaximum" in schema else 0)
            return st.integers(low, high)
        return st.floats(
            low, high, allow_nan=False, allow_infinity=False,
            exclude_min="exclusiveMinimum" in schema, exclude_max="exclusiveMaximum" in schema,
        )


def _python_regex(pattern: str) -> str:
    # JSON Schema patterns are ECMA-262; \d there is ASCII only, while Python's matches every Unicode digit.
    return re.sub(r"\\d", "[0-9]", pattern)
