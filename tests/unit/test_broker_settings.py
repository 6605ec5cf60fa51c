"""The resource-token broker's settings and Azure wiring (issue 23): the key is a secret that never
shows, the broker fails closed without it, and in Azure it reaches the app only as a Key Vault
reference written by the Bicep itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from core.settings import Settings
from core.store.cosmos import CosmosStore
from tests.unit.fakes import fake_settings

BICEP = Path(__file__).resolve().parents[2] / "infra" / "bicep"


def test_the_broker_key_is_a_secret_that_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_BROKER_KEY", "broker-key-value-never-logged")
    settings = Settings()
    assert isinstance(settings.cosmos_broker_key, SecretStr)
    assert "broker-key-value-never-logged" not in repr(settings) + str(settings)


def test_token_lifetime_is_held_to_cosmos_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("9", "18001"):
        monkeypatch.setenv("RESOURCE_TOKEN_SECONDS", bad)
        with pytest.raises(ValidationError, match="resource_token_seconds"):
            Settings()


async def test_switched_on_without_a_key_is_refused_not_the_app_identity() -> None:
    with pytest.raises(ValueError, match="COSMOS_BROKER_KEY"):
        CosmosStore.from_settings(fake_settings(customer_resource_tokens=True))


async def test_switched_off_there_is_no_broker_and_with_a_key_there_is() -> None:
    off = CosmosStore.from_settings(fake_settings(customer_resource_tokens=False))
    on = CosmosStore.from_settings(fake_settings(cosmos_broker_key="a2V5"))
    try:
        assert off.broker is None and on.broker is not None
        assert on.broker.resource_link == "dbs/scanposture/colls/relationships"
    finally:
        await off.close()
        await on.close()


def test_azure_hands_the_key_to_the_app_only_as_a_key_vault_reference() -> None:
    main = (BICEP / "main.bicep").read_text()
    cosmos = (BICEP / "modules" / "cosmos.bicep").read_text()
    assert re.search(r"^\s*COSMOS_BROKER_KEY: cosmosBrokerKeyReference$", main, re.M)
    assert "var cosmosBrokerKeyReference = '@Microsoft.KeyVault(" in main
    assert re.search(r"^\s*CUSTOMER_RESOURCE_TOKENS: 'true'$", main, re.M)
    assert re.search(r"^\s*COSMOS_KEY: ''$", main, re.M)  # the app's own data access: managed identity
    # Keys exist only for the broker; the primary key goes straight into Key Vault, never an output.
    assert "disableLocalAuth: false" in cosmos and "disableKeyBasedMetadataWriteAccess: true" in cosmos
    assert "value: account.listKeys().primaryMasterKey" in cosmos
    assert not [line for line in cosmos.splitlines() if line.startswith("output") and "listKeys" in line]
    assert "listKeys" not in main
