"""Request validation errors as sentences: 400 with `detail` (every sentence, each naming its field
in words and by its API name) and `errors` (one `{field, message}` per problem, the message a
sentence without the API name, for a form to show next to the field).

FastAPI's own messages quote the regular expression a value missed and name fields by JSON path
("body.reportRecipients.0: String should match pattern '^…$'"), which no person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

_LOCATIONS = ("body", "query", "path", "header")
# What a value of these fields looks like, for the sentence when it does not.
EXPECTED_SHAPE: Mapping[str, str] = {
    "primaryDomain": "a domain name like contoso.com",
    "tenantId": "a tenant id like 72f988bf-86f1-41af-91ab-2d7cd011db47",
    "reportRecipients": "an email address like it@contoso.com",
    "to": "an email address like admin@contoso.com",
    "email": "an email address like name@contoso.com",
    "primary": "a colour like #1a73e8",
    "accent": "a colour like #1a73e8",
}
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def field_of(location: tuple[object, ...]) -> str:
    """The request field a problem concerns: ("body", "reportRecipients", 0) -> "reportRecipients"."""
    names = [str(p) for p in location if p not in _LOCATIONS and not isinstance(p, int)]
    return names[0] if names else "body"


def words(field: str) -> str:
    """ "primaryDomain" -> "Primary domain"; "pageSize" -> "Page size"."""
    if field == "body":
        return "The request body"
    parts = _WORDS.findall(field) or [field]
    text = " ".join(p if p.isupper() and len(p) > 1 else p.lower() for p in parts)
    return text[:1].upper() + text[1:]


def _subject(location: tuple[object, ...], field: str, api_name: bool) -> str:
    index = next((p for p in location if isinstance(p, int)), None)
    subject = words(field) + (f" ({field})" if api_name and field != "body" else "")
    return subject if index is None else f"{subject}, item {index + 1},"


def _predicate(kind: str, field: str, ctx: Mapping[str, Any], msg: str) -> str:
    """What is wrong with the value, as the rest of a sentence about the field."""
    shape = EXPECTED_SHAPE.get(field)
    if kind == "missing":
        return "is required"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return "cannot be empty" if least == 1 else f"needs at least {least} characters"
    if kind == "string_too_long":
        return f"can be at most {ctx.get('max_length')} characters long"
    if kind == "too_long":
        return f"can have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item{'' if ctx.get('min_length') == 1 else 's'}"
    if kind in ("string_pattern_mismatch", "value_error", "url_parsing", "url_scheme") and shape:
        return f"must be {shape}"
    if kind == "string_pattern_mismatch":
        return "is not in the expected format"
    if kind in ("literal_error", "enum"):
        return f"must be {ctx.get('expected', 'one of the listed values')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind.startswith("date_") and "time" not in kind:
        return "must be a date like 2026-12-31"
    if kind.startswith("datetime_"):
        return "must be a date and time like 2026-12-31T09:00:00Z"
    if kind == "list_type":
        return "must be a list"
    if kind == "string_type":
        return "must be text"
    if kind == "extra_forbidden":
        return "is not something this request takes"
    # Anything else: pydantic's own words, which name no pattern for these kinds.
    return "is not valid: " + msg.removeprefix("Value error, ").rstrip(".")


def sentence(problem: Mapping[str, Any], api_name: bool = False) -> str:
    location = tuple(problem.get("loc", ()))
    kind = str(problem.get("type", ""))
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind in ("model_attributes_type", "dict_type") and field_of(location) == "body":
        return "The request body must be a JSON object."
    field = field_of(location)
    # An unknown field's name is the last part of its location, not the first.
    if kind == "extra_forbidden" and location:
        field = str(location[-1])
    predicate = _predicate(kind, field, problem.get("ctx") or {}, str(problem.get("msg", "")))
    return f"{_subject(location, field, api_name)} {predicate}."


async def answer_invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """400 with a sentence per problem, instead of FastAPI's default 422."""
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    errors = [{"field": field_of(tuple(p["loc"])), "message": sentence(p)} for p in problems]
    detail = " ".join(dict.fromkeys(sentence(p, api_name=True) for p in problems))
    return JSONResponse({"detail": detail, "errors": errors}, status_code=400)
