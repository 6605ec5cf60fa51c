"""The Bicep under infra/bicep, checked without the Bicep compiler (devtools/bicep_check.py), and
held in step with the settings model, local.settings.example.json and core/store/cosmos.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from core.settings import Settings
from core.store.cosmos import CONTAINERS
from devtools.bicep_check import (
    check_file,
    check_parameters_file,
    check_tree,
    literal,
    object_keys,
    params,
)

ROOT = Path(__file__).resolve().parents[2]
BICEP = ROOT / "infra" / "bicep"
MAIN = BICEP / "main.bicep"
# Keys the Functions host reads, not fields of the settings model.
LOCAL_HOST_KEYS = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", "AzureWebJobsFeatureFlags"}
AZURE_HOST_KEYS = {
    "AzureWebJobsStorage__accountName",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}
# In Azure the queue triggers' connection is identity based: a pair of service URIs.
STORAGE_PAIR = {"STORAGE_CONNECTION__blobServiceUri", "STORAGE_CONNECTION__queueServiceUri"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---- The real templates ----


def test_every_bicep_file_passes_the_static_check() -> None:
    assert len(list(BICEP.rglob("*.bicep"))) >= 8
    assert check_tree(BICEP) == []


def test_parameters_file_names_exactly_the_params_of_main() -> None:
    parameters = BICEP / "main.parameters.json"
    assert check_parameters_file(MAIN, parameters) == []
    document = json.loads(parameters.read_text())
    assert document["$schema"].endswith("/deploymentParameters.json#")
    assert all(set(entry) == {"value"} for entry in document["parameters"].values())


def test_app_settings_are_the_settings_model_and_the_example_file() -> None:
    names = object_keys(MAIN, "appSettings")
    assert len(names) == len(set(names)), "an app setting is written twice"
    model = {field.upper() for field in Settings.model_fields}
    expected = (model - {"STORAGE_CONNECTION"}) | STORAGE_PAIR | AZURE_HOST_KEYS
    assert set(names) == expected, (
        f"only in Bicep: {sorted(set(names) - expected)}; missing from Bicep: {sorted(expected - set(names))}"
    )
    example = set(json.loads((ROOT / "local.settings.example.json").read_text())["Values"]) - LOCAL_HOST_KEYS
    assert example == model
    assert (set(names) - AZURE_HOST_KEYS - STORAGE_PAIR) | {"STORAGE_CONNECTION"} == example


def test_flex_consumption_gets_no_runtime_app_settings() -> None:
    names = set(object_keys(MAIN, "appSettings"))
    assert not names & {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "AzureWebJobsStorage"}


@pytest.mark.parametrize("template", [MAIN, BICEP / "modules" / "storage.bicep"])
def test_param_defaults_are_the_settings_defaults(template: Path) -> None:
    compared = 0
    for name, default in params(template).items():
        field = Settings.model_fields.get(snake(name))
        value = literal(default)
        if field is None or field.annotation is None or value is None:
            continue
        as_setting = TypeAdapter(field.annotation).validate_python(value)
        assert as_setting == field.default, f"{template.name}: {name}"
        compared += 1
    assert compared > 0


def test_storage_names_its_queues_and_containers_with_the_settings_defaults() -> None:
    declared = params(BICEP / "modules" / "storage.bicep")
    for param, field in {
        "reportsContainer": "reports_container",
        "logosContainer": "logos_container",
        "scanQueueName": "scan_queue_name",
        "webhookQueueName": "webhook_queue_name",
        "emailQueueName": "email_queue_name",
    }.items():
        assert literal(declared[param]) == Settings.model_fields[field].default, param
    assert "'${queue}-poison'" in (BICEP / "modules" / "storage.bicep").read_text()


def test_cosmos_containers_and_partition_keys_are_the_codes() -> None:
    text = (BICEP / "modules" / "cosmos.bicep").read_text()
    declared = dict(re.findall(r"name: '(\w+)'\n\s*partitionKey: '(/\w+)'", text))
    assert declared == CONTAINERS
    database = literal(params(BICEP / "modules" / "cosmos.bicep")["databaseName"])
    assert database == Settings.model_fields["cosmos_database"].default


def test_readme_documents_every_param_of_main() -> None:
    readme = (BICEP / "README.md").read_text()
    missing = [name for name in params(MAIN) if f"| `{name}` |" not in readme]
    assert missing == []


# ---- The checker itself, on small bad templates ----

MODULE = """\
param name string
param size int = 1
output id string = name
"""


def test_checker_reports_an_unbalanced_brace(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.bicep", "var x = {\n  a: [\n    1\n  ]\n")
    assert check_file(path) == [f"{path}:1: '{{' is never closed"]


def test_checker_reports_a_bracket_closed_by_the_wrong_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.bicep", "var x = [\n  1\n}\n")
    assert check_file(path) == [f"{path}:3: '}}' closes '[' opened at line 1"]


def test_checker_ignores_brackets_in_strings_and_comments(tmp_path: Path) -> None:
    text = (
        "// a } in a comment\n"
        "/* and ] in\n a block ( */\n"
        "var a = 'a { that \\' stays ( in the string'\n"
        "var b = 'x${concat('}', a)}y'\n"
        "var c = '''\n{ [ ( unclosed, multi-line\n'''\n"
    )
    assert check_file(write(tmp_path, "ok.bicep", text)) == []


def test_checker_reports_an_unterminated_string(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.bicep", "var a = 'no end\nvar b = 1\n")
    assert check_file(path) == [f"{path}:1: unterminated string"]


def test_checker_reports_a_missing_module_file(tmp_path: Path) -> None:
    path = write(tmp_path, "main.bicep", "module m 'modules/none.bicep' = {\n  name: 'm'\n}\n")
    problems = check_file(path)
    assert len(problems) == 1
    assert "module m: no file" in problems[0]
    assert "none.bicep" in problems[0]


def test_checker_reports_a_missing_required_param_and_an_unknown_one(tmp_path: Path) -> None:
    write(tmp_path, "modules/thing.bicep", MODULE)
    main = "module m 'modules/thing.bicep' = {\n  name: 'm'\n  params: {\n    nmae: 'x'\n  }\n}\n"
    path = write(tmp_path, "main.bicep", main)
    assert check_file(path) == [
        f"{path}:1: module m: required param 'name' is not passed",
        f"{path}:1: module m: passes 'nmae', which thing.bicep does not declare",
    ]


def test_checker_accepts_a_module_given_what_it_needs(tmp_path: Path) -> None:
    write(tmp_path, "modules/thing.bicep", MODULE)
    main = (
        "module m 'modules/thing.bicep' = {\n  name: 'm'\n  params: {\n    name: 'x'\n"
        "    'size': 2\n  }\n}\noutput id string = '${m.outputs.id}'\n"
    )
    assert check_file(write(tmp_path, "main.bicep", main)) == []


def test_checker_reports_an_output_the_module_lacks(tmp_path: Path) -> None:
    write(tmp_path, "modules/thing.bicep", MODULE)
    main = (
        "module m 'modules/thing.bicep' = {\n  name: 'm'\n  params: {\n    name: 'x'\n  }\n}\n"
        "output url string = 'https://${m.outputs.url}'\n"
    )
    path = write(tmp_path, "main.bicep", main)
    assert check_file(path) == [f"{path}:7: thing.bicep has no output 'url'"]


def test_checker_reports_parameters_file_drift(tmp_path: Path) -> None:
    template = write(tmp_path, "main.bicep", MODULE)
    parameters = write(tmp_path, "main.parameters.json", json.dumps({"parameters": {"nmae": {"value": 1}}}))
    assert check_parameters_file(template, parameters) == [
        f"{parameters}: param 'name' of main.bicep is missing",
        f"{parameters}: param 'size' of main.bicep is missing",
        f"{parameters}: 'nmae' is not a param of main.bicep",
    ]


def test_object_keys_reads_one_key_per_line_at_the_top_level(tmp_path: Path) -> None:
    text = "var settings = {\n  A: 'x'\n  B: {\n    C: 1\n  }\n  'D__e': '${a}:b'\n}\n"
    assert object_keys(write(tmp_path, "s.bicep", text), "settings") == ["A", "B", "D__e"]
