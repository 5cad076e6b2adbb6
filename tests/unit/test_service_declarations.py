"""What a service needs, checked for every declared service (README "Adding a service"): its hook, its
emulator module, its test profile, its parameters on the operator and sensor, its connection type in the
provider info; and the checks every hook runs from the declaration."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from airflow_provider_jobcleanup.emulator.app import Emulator
from airflow_provider_jobcleanup.exceptions import InvalidInputError
from airflow_provider_jobcleanup.get_provider_info import CONNECTION_FORMS, get_provider_info
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.specs import SERVICES, SINGLE_SERVICE_CONN_TYPES, Param, ServiceSpec, conn_types
from tests.profiles import all_profiles

TESTS = Path(__file__).resolve().parents[1]
SPECS = sorted(SERVICES.values(), key=lambda spec: spec.name)


@pytest.fixture(scope="module")
def emulated_services() -> set[str]:
    return {route.service for route in Emulator().router.routes}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_each_declared_service_has_everything_it_needs(spec: ServiceSpec, emulated_services: set[str]) -> None:
    hook = spec.load_hook_class()
    assert hook.service == spec.name, f"{spec.hook_class}.service must be {spec.name!r}"
    assert hook.conn_type == spec.conn_type, f"{spec.hook_class}.conn_type must be {spec.conn_type!r}"
    assert hook.__module__ == spec.hook_module
    assert spec.name in emulated_services, f"{spec.emulator_module} registers no route for {spec.name!r}"
    assert spec.name in {profile.service for profile in all_profiles()}, f"no tests/profiles entry for {spec.name}"
    assert (TESTS / "hostile" / f"test_{spec.name}.py").is_file(), f"no tests/hostile/test_{spec.name}.py"
    for task_class in (BatchDeleteJobsOperator, JobsGoneSensor):
        parameters = inspect.signature(task_class.__init__).parameters
        for name in spec.param_names:
            assert name in parameters, f"add {name}=None to {task_class.__name__}.__init__"
            assert parameters[name].default is None
    info = get_provider_info()
    assert spec.conn_type in CONNECTION_FORMS, f"declare the {spec.conn_type!r} connection form"
    assert spec.conn_type in {entry["connection-type"] for entry in info["connection-types"]}
    assert {"integration-name": spec.integration, "python-modules": [spec.hook_module]} in info["hooks"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_declared_parameters_are_consistent(spec: ServiceSpec) -> None:
    for param in spec.params:
        assert param.kinds, param.name
        assert not (param.required and param.default is not None), param.name
        if param.default is not None:
            param.check(spec.name, param.default)
    assert {name for name, _ in spec.scope} <= set(spec.param_names)


def test_connection_types_are_derived_from_the_declarations() -> None:
    assert conn_types() == {"scnet": ["scnet"], "huaweicloud": ["mrs", "dli", "res"], "alibaba_ehpc": ["ehpc"]}
    assert SINGLE_SERVICE_CONN_TYPES == {"scnet": "scnet", "alibaba_ehpc": "ehpc"}
    entries = {entry["connection-type"]: entry for entry in get_provider_info()["connection-types"]}
    assert set(entries) == set(CONNECTION_FORMS) == set(conn_types())
    assert entries["huaweicloud"]["hook-class-name"] == SERVICES["mrs"].hook_class


SPEC = ServiceSpec(
    "demo",
    "Demo",
    "demo",
    "demo.DemoHook",
    (
        Param("cluster", (str,), "a cluster name", required=True),
        Param("force", (bool,), "true or false", default=False),
        Param("mode", (str,), choices=("a", "b")),
        Param("size", (int,), "a number"),
    ),
)


def test_check_params_fills_defaults_and_keeps_what_was_given() -> None:
    assert SPEC.check_params({"cluster": "c"}) == {"cluster": "c", "force": False}
    assert SPEC.check_params({"cluster": "c", "mode": None, "size": 3}) == {
        "cluster": "c",
        "force": False,
        "mode": None,
        "size": 3,
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "demo needs cluster, a cluster name; got None"),
        ({"cluster": None}, "demo needs cluster, a cluster name; got None"),
        ({"cluster": 5}, "demo needs cluster, a cluster name; got 5"),
        ({"cluster": "c", "force": None}, "force must be true or false, got None"),
        ({"cluster": "c", "force": "yes"}, "force must be true or false, got 'yes'"),
        ({"cluster": "c", "mode": "z"}, r"mode must be one of \['a', 'b'\], got 'z'"),
        ({"cluster": "c", "size": True}, "size must be a number, got True"),
        (
            {"cluster": "c", "other": 1},
            r"'demo' does not take \['other'\]; it takes \['cluster', 'force', 'mode', 'size'\]",
        ),
    ],
)
def test_check_params_refuses_what_the_declaration_does_not_allow(params: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        SPEC.check_params(params)
