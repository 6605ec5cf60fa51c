"""The OpenAPI document is what automation is written against: every JSON request body carries
an example, and every operation has a summary."""

from typing import Any

from core.bootstrap import LazyServices
from functions.api import create_api


def _spec() -> dict[str, Any]:
    return create_api(LazyServices()).openapi()


def test_every_json_request_body_has_an_example() -> None:
    spec = _spec()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            if body and "$ref" in body and not schemas[body["$ref"].split("/")[-1]].get("examples"):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_operation_has_a_summary_and_a_tag() -> None:
    spec = _spec()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("tags"), f"{method.upper()} {path}"


def test_every_json_response_has_an_example_and_other_bodies_name_their_type() -> None:
    missing = []
    for path, operations in _spec()["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                content = response.get("content")
                if not code.startswith("2") or code == "204":
                    continue
                if not content:
                    missing.append(f"{method.upper()} {path} {code}: no content type")
                elif "application/json" in content and "example" not in content["application/json"]:
                    missing.append(f"{method.upper()} {path} {code}: no example")
    assert missing == []
