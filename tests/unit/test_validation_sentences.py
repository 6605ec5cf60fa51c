"""Invalid requests are answered in sentences naming the field in words, never a pattern or a path."""

from __future__ import annotations

from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.customers import MAX_TAG_LENGTH, MAX_TAGS, InvalidTags, clean_tags
from functions.api.validation import answer_invalid_request, words


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    displayName: str = Field(min_length=1, max_length=12)
    primaryDomain: str = Field(pattern=r"^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
    cadence: Literal["daily", "weekly"] = "weekly"
    reportRecipients: list[EmailStr] = Field(default_factory=list, max_length=2)


def _client() -> TestClient:
    app = FastAPI()
    app.add_exception_handler(RequestValidationError, answer_invalid_request)

    @app.post("/things")
    def things(body: Body) -> dict[str, str]:
        return {"ok": body.displayName}

    return TestClient(app)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"displayName": "", "primaryDomain": "a.example"}, "displayName", "Display name cannot be empty."),
        (
            {"displayName": "A", "primaryDomain": "no dots"},
            "primaryDomain",
            "Primary domain must be a domain name like contoso.com.",
        ),
        (
            {"displayName": "A", "primaryDomain": "a.example", "cadence": "hourly"},
            "cadence",
            "Cadence must be 'daily' or 'weekly'.",
        ),
        (
            {"displayName": "A", "primaryDomain": "a.example", "reportRecipients": ["ok@a.example", "x"]},
            "reportRecipients",
            "Report recipients, item 2, must be an email address like it@contoso.com.",
        ),
        ({"primaryDomain": "a.example"}, "displayName", "Display name is required."),
        (
            {"displayName": "A", "primaryDomain": "a.example", "colour": "red"},
            "colour",
            "Colour is not something this request takes.",
        ),
    ],
)
def test_each_problem_is_a_sentence_next_to_its_field(
    body: dict[str, object], field: str, message: str
) -> None:
    answer = _client().post("/things", json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": field, "message": message}]
    detail = answer.json()["detail"]
    assert f"({field})" in detail and detail.endswith(".")
    assert "^" not in detail and "body." not in detail and "POST" not in detail


def test_a_body_that_is_not_json_says_so() -> None:
    answer = _client().post("/things", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "The request body is not valid JSON."


def test_field_names_read_as_words() -> None:
    assert words("primaryDomain") == "Primary domain"
    assert words("pageSize") == "Page size"
    assert words("tenantId") == "Tenant id"
    assert words("body") == "The request body"


def test_tags_are_trimmed_and_deduplicated_ignoring_case() -> None:
    assert clean_tags(["  Dental ", "dental", "gold  plan"]) == ["Dental", "gold plan"]


@pytest.mark.parametrize(
    ("tags", "words_in_message"),
    [
        ([""], "empty"),
        (["x" * (MAX_TAG_LENGTH + 1)], f"at most {MAX_TAG_LENGTH} characters"),
        (["<script>"], "letters, digits"),
        ([f"t{i}" for i in range(MAX_TAGS + 1)], f"at most {MAX_TAGS} tags"),
    ],
)
def test_bad_tags_are_refused_with_a_sentence_naming_tags(tags: list[str], words_in_message: str) -> None:
    with pytest.raises(InvalidTags) as refused:
        clean_tags(tags)
    assert refused.value.field == "tags" and words_in_message in str(refused.value)
