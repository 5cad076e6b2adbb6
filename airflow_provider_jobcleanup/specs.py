"""The service declarations: one :class:`ServiceSpec` per service, from which the rest is derived.

A declaration names the service, the Airflow connection type that serves it, its hook class and emulator
module, its parameters (types, defaults, what a valid value is) and the words log lines use for them.
Derived from it: the provider info (integrations, hooks, each connection type's hook class), which
connection types serve one service only, the operator's and sensor's handling of service parameters
(:mod:`airflow_provider_jobcleanup.services`), the emulator's module list, and the name/type/default checks
every hook runs before its own (:meth:`ServiceSpec.check_params`).

Airflow reads this module through the provider info while it starts, so it imports nothing from Airflow
(nor from a module that does) at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook


def _refuse(message: str) -> Exception:
    from airflow_provider_jobcleanup.exceptions import InvalidInputError

    return InvalidInputError(message)


PACKAGE = "airflow_provider_jobcleanup"


@dataclass(frozen=True)
class Param:
    """One service parameter: an operator/sensor keyword passed on to the hook.

    :param name: the keyword, named after the API's own word.
    :param kinds: the Python types a value may have (``str`` too where a template may render JSON text).
    :param what: what a valid value is, for error messages (default: the ``choices``).
    :param required: a value must be given.
    :param default: the value used when none is given; ``None`` means "not given" is passed on as absent.
    :param choices: the only values accepted, if the API has a closed list.
    """

    name: str
    kinds: tuple[type, ...]
    what: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()

    @property
    def described(self) -> str:
        return self.what or f"one of {list(self.choices)}"

    def check(self, service: str, value: Any) -> None:
        """Refuse a value of a type not declared, or not among ``choices``."""
        is_bool = isinstance(value, bool)
        ok = isinstance(value, self.kinds) and (bool in self.kinds or not is_bool)
        if ok and self.choices:
            ok = value in self.choices
        if not ok:
            if self.required:
                raise _refuse(f"{service} needs {self.name}, {self.described}; got {value!r}")
            raise _refuse(f"{self.name} must be {self.described}, got {value!r}")


@dataclass(frozen=True)
class ServiceSpec:
    """One service.

    :param name: the ``service=`` value.
    :param integration: the name Airflow's provider listing shows for it.
    :param conn_type: the Airflow connection type that serves it. Airflow builds the hook of the first
        service declared on a connection type to test such a connection.
    :param hook: the hook class, as ``module.Class`` under ``hooks``; the emulator module of the service has
        the same module name under ``emulator``.
    :param params: extra operator/sensor arguments passed to the hook.
    :param scope: which of ``params`` name where the jobs live, with the word log lines use for it
        (``("cluster_id", "cluster")``): a mapped task's log then says which cluster it cleans.
    """

    name: str
    integration: str
    conn_type: str
    hook: str
    params: tuple[Param, ...] = ()
    scope: tuple[tuple[str, str], ...] = ()

    @property
    def hook_module(self) -> str:
        return f"{PACKAGE}.hooks.{self.hook.rpartition('.')[0]}"

    @property
    def hook_class(self) -> str:
        """Dotted path of the hook class."""
        return f"{PACKAGE}.hooks.{self.hook}"

    @property
    def emulator_module(self) -> str:
        return f"{PACKAGE}.emulator.{self.hook.rpartition('.')[0]}"

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.params)

    def param(self, name: str) -> Param:
        return next(param for param in self.params if param.name == name)

    def load_hook_class(self) -> type[JobCleanupHook]:
        module, _, attr = self.hook_class.rpartition(".")
        return getattr(import_module(module), attr)

    def check_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` checked against the declaration: no unknown name, each value of its declared type (a
        ``None`` counts as not given where the default is ``None``), required ones given, defaults filled in.
        The hook then checks what only the service knows (shapes, patterns)."""
        unknown = set(params) - set(self.param_names)
        if unknown:
            raise _refuse(f"service {self.name!r} does not take {sorted(unknown)}; it takes {list(self.param_names)}")
        checked = dict(params)
        for param in self.params:
            value = checked.get(param.name)
            if param.name not in checked or (value is None and param.default is None):
                if param.required:
                    raise _refuse(f"{self.name} needs {param.name}, {param.described}; got {value!r}")
                if param.default is not None:
                    checked[param.name] = param.default
                continue
            param.check(self.name, value)
        return checked


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec(
            "scnet",
            "SCNet (Sugon AC) HPC",
            "scnet",
            "scnet.ScnetHook",
            (
                Param("job_manager_id", (str, int), "a job manager (scheduler) id such as 1638523853"),
                Param("user", (str,), "a cluster user name such as 'alice'"),
                Param("job_managers", (dict, str), "a non-empty mapping manager id -> job ids"),
            ),
            (("job_manager_id", "job manager"),),
        ),
        ServiceSpec(
            "mrs",
            "Huawei Cloud MRS",
            "huaweicloud",
            "huawei_mrs.MrsHook",
            (
                Param("cluster_id", (str,), "the MRS cluster UUID", required=True),
                Param("kill_running", (bool,), "true or false", default=False),
            ),
            (("cluster_id", "cluster"),),
        ),
        ServiceSpec("dli", "Huawei Cloud DLI", "huaweicloud", "huawei_dli.DliHook"),
        ServiceSpec(
            "res",
            "Huawei Cloud RES",
            "huaweicloud",
            "huawei_res.ResHook",
            (
                Param(
                    "type",
                    (str,),
                    required=True,
                    choices=("etl", "retrieval", "filter", "ranking", "nearline", "standard", "evaluation"),
                ),
                Param("offline_platform", (dict, str), "a dict (or a JSON object string)"),
            ),
        ),
        ServiceSpec(
            "ehpc",
            "Alibaba Cloud E-HPC Instant",
            "alibaba_ehpc",
            "alibaba_ehpc.EhpcHook",
            (
                Param("task_spec", (dict, str), "a mapping job id -> [{'TaskName': ..., 'ArrayIndex': [...]}]"),
                Param("executor_ids", (list, tuple, str), "a list of executor ids JobId-TaskName-ArrayIndex"),
                Param("job_scheduler", (str,), choices=("HPC", "K8S")),
            ),
        ),
    )
}


def conn_types() -> dict[str, list[str]]:
    """Each connection type, with the services it serves in declaration order."""
    served: dict[str, list[str]] = {}
    for spec in SERVICES.values():
        served.setdefault(spec.conn_type, []).append(spec.name)
    return served


#: connection types that serve exactly one service, so ``service=`` may be omitted
SINGLE_SERVICE_CONN_TYPES: dict[str, str] = {
    conn_type: names[0] for conn_type, names in conn_types().items() if len(names) == 1
}


def all_params() -> frozenset[str]:
    """Every service-specific argument name, for operators whose service is only known at run time."""
    return frozenset(name for spec in SERVICES.values() for name in spec.param_names)
