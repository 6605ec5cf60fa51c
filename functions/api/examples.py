"""Response examples for the OpenAPI document, recorded from real responses.

`response_examples.json` holds one example per operation that answers JSON. It is written from a
walk of every operation against the local stack (`tests/integration/test_response_examples.py`,
run with UPDATE_RESPONSE_EXAMPLES=1), and the same test fails when a real response stops having
its example's shape, so the document automation is written against cannot drift from the API.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).with_name("response_examples.json")

# Non-JSON bodies some operations answer with, declared so clients know what to expect.
CSV = {"text/csv": {"schema": {"type": "string"}}}
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
PNG = {"image/png": {"schema": {"type": "string", "format": "binary"}}}


def operation_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


@lru_cache(maxsize=1)
def recorded_examples() -> dict[str, Any]:
    examples: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return examples


def add_response_examples(spec: dict[str, Any]) -> dict[str, Any]:
    """Put each recorded example on its operation's first 2xx JSON response."""
    examples = recorded_examples()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            example = examples.get(operation_key(method, path))
            if example is None:
                continue
            for code, response in sorted(operation.get("responses", {}).items()):
                content = response.get("content", {})
                if code.startswith("2") and "application/json" in content:
                    content["application/json"]["example"] = example
                    break
    return spec
