import pytest

from core.scan.requests import parse_scan_request


def test_parses_a_valid_request() -> None:
    request = parse_scan_request('{"orgId": "o1", "tenantId": "t1", "requestId": "r-1", "reason": "manual"}')
    assert (request.org_id, request.tenant_id, request.reason) == ("o1", "t1", "manual")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("not json", "body"),
        ('{"orgId": "o1", "requestId": "r"}', "tenantId"),
        ('{"orgId": "o1", "tenantId": "", "requestId": "r"}', "tenantId"),
        ('{"orgId": "o1", "tenantId": "t1"}', "requestId"),
        ('{"orgId": "o1", "tenantId": "t1", "requestId": "../../x"}', "requestId"),
        ('{"orgId": "o1", "tenantId": "t1", "requestId": "r", "reason": "bogus"}', "reason"),
        ('{"orgId": "o1", "tenantId": "t1", "requestId": "r", "extra": 1}', "extra"),
    ],
)
def test_malformed_requests_name_the_problem(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_scan_request(text)
