import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Keys the Functions host itself reads; they are not the app's settings.
HOST_KEYS = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", "AzureWebJobsFeatureFlags"}


def test_example_settings_name_exactly_the_model_fields() -> None:
    values = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    example_keys = set(values) - HOST_KEYS
    model_keys = {name.upper() for name in Settings.model_fields}
    assert example_keys == model_keys, (
        f"only in the example: {sorted(example_keys - model_keys)}; "
        f"only in the model: {sorted(model_keys - example_keys)}"
    )


def test_example_settings_hold_no_secret_values() -> None:
    values = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    for key in ("COSMOS_KEY", "STORAGE_CONNECTION", "AzureWebJobsStorage"):
        assert values[key].startswith("<"), f"{key} must be a placeholder, not a value"


def test_settings_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_ENDPOINT", "https://example.documents.azure.com:443/")
    monkeypatch.setenv("REPORT_LINK_MINUTES", "30")
    settings = Settings()
    assert settings.cosmos_endpoint == "https://example.documents.azure.com:443/"
    assert settings.report_link_minutes == 30


def test_secrets_do_not_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_KEY", "super-secret-key-value")
    assert "super-secret-key-value" not in repr(Settings())


def test_bad_setting_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_LINK_MINUTES", "0")
    with pytest.raises(ValidationError, match="report_link_minutes"):
        Settings()


def test_an_empty_setting_means_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # As Bicep gives local-only settings in Azure: the code must fall back to managed identity.
    for key in ("COSMOS_KEY", "STORAGE_CONNECTION", "APP_CERTIFICATE", "REPORT_LINK_MINUTES"):
        monkeypatch.setenv(key, "")
    settings = Settings()
    assert settings.cosmos_key is None and settings.storage_connection is None
    assert settings.app_certificate is None and settings.report_link_minutes == 15
