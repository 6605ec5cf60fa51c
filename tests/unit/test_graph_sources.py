"""Which Graph version each source is read from, and how its URL is made from the v1.0 base URL."""

import pytest

from core.collect.sources import GRAPH_SOURCES, graph_source


def test_only_what_v1_leaves_out_is_read_from_beta() -> None:
    # Conditional Access policies, and the beta-only reportSuspiciousActivitySettings.
    beta = {s.name for s in GRAPH_SOURCES if s.api_version == "beta"}
    assert beta == {"conditional_access_policies", "authentication_methods_policy_beta"}
    url = graph_source("conditional_access_policies").url("https://graph.microsoft.com/v1.0")
    assert url == "https://graph.microsoft.com/beta/identity/conditionalAccess/policies"
    url = graph_source("authentication_methods_policy_beta").url("https://graph.microsoft.com/v1.0")
    assert url.startswith("https://graph.microsoft.com/beta/policies/authenticationMethodsPolicy?$select=")


@pytest.mark.parametrize("base", ["https://graph.microsoft.com/v1.0", "https://127.0.0.1:8443/v1.0/"])
def test_v1_sources_keep_the_configured_base(base: str) -> None:
    url = graph_source("authentication_strength_policies").url(base)
    assert url == base.rstrip("/") + "/policies/authenticationStrengthPolicies"


def test_a_beta_source_refuses_a_base_url_it_cannot_map() -> None:
    with pytest.raises(ValueError, match="cannot derive the beta endpoint"):
        graph_source("conditional_access_policies").url("https://graph.microsoft.com/beta")
