import pytest

from core.paging import BadPageToken, decode_page_token, encode_page_token, query_scope


def test_a_token_round_trips_within_its_scope() -> None:
    scope = query_scope("tenant-1", "fail", None)
    token = encode_page_token(scope, '{"token":"+RID:abc#RT:1"}')
    assert token is not None and "/" not in token and "+" not in token
    assert decode_page_token(token, scope) == '{"token":"+RID:abc#RT:1"}'
    assert encode_page_token(scope, None) is None and decode_page_token(None, scope) is None


def test_a_token_from_another_tenant_or_filter_is_refused() -> None:
    token = encode_page_token(query_scope("tenant-1", "fail"), "c")
    with pytest.raises(BadPageToken, match="another tenant"):
        decode_page_token(token, query_scope("tenant-2", "fail"))
    with pytest.raises(BadPageToken, match="another tenant"):
        decode_page_token(token, query_scope("tenant-1", "pass"))


@pytest.mark.parametrize("garbage", ["", "!!!", "bm90IGpzb24", "eyJhIjogMX0", "e30"])
def test_malformed_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(BadPageToken, match="not a token this API issued"):
        decode_page_token(garbage, query_scope("t"))
