"""Bad input never reaches the network: property-based tests (hypothesis, derandomized) per service.

For each service, at least a thousand generated bad ``job_ids`` values (malformed and oversized ids, wrong
types, empty lists, templated values that rendered to garbage, lists hiding one bad id among good ones), plus
broken service parameters and broken connection extras. Each must fail with :class:`InvalidInputError`
naming the bad value, and send no request: every :class:`ApiTransport` in the process is instrumented
(``TransportProbe``) and the emulator's request counter must stay at zero. Duplicated ids are deleted once.
"""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_jobcleanup.exceptions import InvalidInputError
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.services import get_spec
from chaos.harness import FakeTI, TransportProbe, profile

#: service -> the test profile whose connection and seeded jobs are used
PROFILES = {
    "mrs": "mrs-password",
    "dli": "dli-password",
    "res": "res-password",
    "ehpc": "ehpc-aksk",
    "scnet": "scnet-password",
}
SERVICES = list(PROFILES)

FUZZ = settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_SMALL = settings(FUZZ, max_examples=300)


def hook_class(service: str):
    return get_spec(service).load_hook_class()


def shown(value) -> str:
    """The start of ``repr(value)``: what an error naming the value must contain (long values are cut)."""
    return repr(value)[:40]


@pytest.fixture
def setup(emulator, monkeypatch, request):
    """The service's connection (pointing at the emulator) as an Airflow env-var connection."""
    service = request.param
    chosen = profile(PROFILES[service])
    conn_id = f"fuzz_{service}"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(chosen.connection(emulator.url)))
    params = _valid_params(service)
    yield service, conn_id, params
    # ground truth: the emulator never saw a request
    assert emulator.stats().get("total", 0) == 0, emulator.stats()


def _valid_params(service: str) -> dict:
    from tests.profiles.huawei import RES_PARAMS

    if service == "mrs":
        from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID

        return {"cluster_id": DEFAULT_CLUSTER_ID}
    if service == "res":
        return dict(RES_PARAMS)
    return {}


def run_operator(service: str, conn_id: str, params: dict, job_ids, **kwargs):
    operator = BatchDeleteJobsOperator(
        task_id="fuzz", conn_id=conn_id, service=service, job_ids=job_ids, **params, **kwargs
    )
    return operator.execute({"ti": FakeTI()})  # type: ignore[arg-type]


def expect_refusal(call, *needles: str) -> str:
    """``call()`` must raise InvalidInputError mentioning one of ``needles`` and send nothing."""
    with TransportProbe() as probe, pytest.raises(InvalidInputError) as caught:
        call()
    message = str(caught.value)
    assert probe.sends == 0 and probe.logical == 0, f"a request was sent for {needles}: {message}"
    assert any(needle in message for needle in needles), (needles, message)
    return message


# ---------------------------------------------------------------------------------------------- strategies
FORBIDDEN = " \t\n\r\x00\x7f/\\?#&;,[]{}()'\"<>|*$%@!`~^+=é中\u200b\ufeff"

WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.text(max_size=5)),
    st.complex_numbers(),
)


def valid_ids(service: str) -> st.SearchStrategy[str]:
    return st.from_regex(hook_class(service).job_id_pattern, fullmatch=True)


@st.composite
def malformed_id(draw, service: str):
    """A string that is not a valid id of ``service``: a forbidden character put into a valid id, an
    oversized id, an empty or blank string, or arbitrary text that happens not to match."""
    cls = hook_class(service)
    base = draw(valid_ids(service))
    kind = draw(st.sampled_from(["inject", "oversize", "blank", "text"]))
    if kind == "inject":
        at = draw(st.integers(0, len(base)))
        value = base[:at] + draw(st.sampled_from(FORBIDDEN)) + base[at:]
    elif kind == "oversize":
        value = base + draw(st.sampled_from(["0", "a", "1_2", "-x"])) * draw(st.integers(130, 3000))
    elif kind == "blank":
        value = draw(st.sampled_from(["", " ", "\t", "\n", "  \n "]))
    else:
        value = draw(st.text(min_size=1, max_size=200))
    if cls.job_id_pattern.fullmatch(value):
        value = value + "\x00"  # (rarely) arbitrary text was valid: make it certainly bad
    return value


@st.composite
def bad_int(draw, service: str):
    """An int the service refuses: any int where ids are strings, else zero/negative/too large."""
    cls = hook_class(service)
    if not cls.job_id_allow_int:
        return draw(st.integers())
    return draw(
        st.one_of(
            st.integers(max_value=0) if service == "dli" else st.integers(max_value=-1), st.integers(min_value=10**20)
        )
    )


def bad_item(service: str):
    return st.one_of(malformed_id(service), bad_int(service), WRONG_TYPES)


@st.composite
def list_hiding_a_bad_id(draw, service: str):
    good = draw(st.lists(valid_ids(service), max_size=8))
    bad = draw(bad_item(service))
    at = draw(st.integers(0, len(good)))
    container = draw(st.sampled_from([list, tuple]))
    return container([*good[:at], bad, *good[at:]]), bad


#: what a template renders to when its upstream returned nothing useful
RENDERED_GARBAGE = st.one_of(
    st.sampled_from(
        [
            "None",
            "",
            "   ",
            "[1, 2",
            "[[1, 2]]",
            "{'a': 1}",
            "[None]",
            "[{}]",
            "{{ ti.xcom_pull(task_ids='submit') }}",
            "{{ params.job_ids }}",
            "<no value>",
            "Undefined",
            "[1.5]",
            "[true, false]",
            "['a b c']",
            '[""]',
            "1, 2, 3",
            "12",
        ]
    ),
    st.text(max_size=60).filter(lambda t: not t.strip().startswith("[")),
    st.builds(lambda xs: json.dumps(xs), st.lists(st.one_of(st.none(), st.floats(), st.booleans()), min_size=1)),
)

NON_LISTS = st.one_of(
    st.integers(),
    st.floats(),
    st.none(),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=5),
)


@st.composite
def bad_job_ids(draw, service: str):
    """``(value, needles)``: a bad ``job_ids`` value and the text(s) one of which its error must contain."""
    kind = draw(st.sampled_from(["hidden", "hidden", "hidden", "non_list", "rendered", "empty", "oversized"]))
    if kind == "hidden":
        value, bad = draw(list_hiding_a_bad_id(service))
        return value, (shown(bad),)
    if kind == "non_list":
        value = draw(NON_LISTS)
        if value is None:
            return [None], ("None",)
        return value, (shown(value),)
    if kind == "rendered":
        value = draw(RENDERED_GARBAGE)
        # a rendered list literal holding bad items names the bad item; anything else names the string
        return value, (shown(value), "invalid job id", "is empty")
    if kind == "empty":
        return draw(st.sampled_from([[], (), "[]", " [] ", "()"])), ("is empty", "()")
    ids = draw(st.lists(valid_ids(service), min_size=4, max_size=12, unique=True))
    return ("cap", ids), ("max_jobs=",)


# ---------------------------------------------------------------------------------------------- properties
@pytest.mark.timeout(600)
@pytest.mark.parametrize("setup", SERVICES, indirect=True)
def test_bad_job_ids_are_refused_before_any_request(setup):
    service, conn_id, params = setup
    examples = {"n": 0}

    @FUZZ
    @given(case=bad_job_ids(service), use_sensor=st.booleans())
    def check(case, use_sensor):
        examples["n"] += 1
        value, needles = case
        max_jobs = 1000
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "cap":
            value, max_jobs = value[1], 3
            use_sensor = False  # the cap is the operator's
        empty = value in ([], (), "[]", " [] ")
        if use_sensor and not empty:  # an empty list is "nothing to wait for" for the sensor, by design
            sensor = JobsGoneSensor(task_id="fuzz", conn_id=conn_id, service=service, job_ids=value, **params)
            expect_refusal(lambda: sensor.poke({}), *needles)  # type: ignore[arg-type]
        else:
            expect_refusal(lambda: run_operator(service, conn_id, params, value, max_jobs=max_jobs), *needles)

    check()
    assert examples["n"] >= 1000


def _not_nullish(value) -> bool:
    """Values that mean "not given" (``None``, JSON ``null``, empty containers) are not bad parameters."""
    if value is None or (isinstance(value, (dict, list, tuple, str, bytes)) and not value):
        return False
    return not (isinstance(value, str) and value.strip() in ("null", ""))


def bad_params(service: str):
    """Broken service parameters for each service (and unknown parameter names for all)."""
    from airflow_provider_jobcleanup.hooks import scnet_protocol
    from airflow_provider_jobcleanup.hooks.huawei_res import TYPES

    junk = st.one_of(WRONG_TYPES, st.text(max_size=30), st.integers())
    given = junk.filter(_not_nullish)
    common = st.builds(lambda k, v: ({k: v}, k), st.sampled_from(["clusterId", "jobs", "force", "type_"]), junk)
    if service == "mrs":
        specific = st.one_of(
            st.builds(lambda v: ({"cluster_id": v}, shown(v)), junk),
            st.builds(lambda v: ({"kill_running": v}, shown(v)), junk.filter(lambda v: not isinstance(v, bool))),
        )
    elif service == "res":
        specific = st.one_of(
            st.builds(lambda v: ({"type": v}, shown(v)), junk.filter(lambda v: v not in TYPES)),
            st.builds(lambda v: ({"offline_platform": v}, "offline_platform"), given),
            st.just(({"type": "etl", "offline_platform": None}, "offline_platform")),
        )
    elif service == "ehpc":
        specific = st.one_of(
            st.builds(lambda v: ({"task_spec": v}, "task_spec"), given),
            st.builds(lambda v: ({"executor_ids": v}, "executor"), given),
            st.builds(lambda v: ({"job_scheduler": v}, shown(v)), given.filter(lambda v: v not in ("HPC", "K8S"))),
        )
    elif service == "scnet":
        specific = st.one_of(
            st.builds(
                lambda v: ({"job_manager_id": v}, shown(v)),
                given.filter(lambda v: not scnet_protocol.MANAGER_ID.fullmatch(str(v))),
            ),
            st.builds(
                lambda v: ({"user": v}, shown(v)),
                given.filter(lambda v: not (isinstance(v, str) and scnet_protocol.USER_NAME.fullmatch(v))),
            ),
            st.builds(lambda v: ({"job_managers": v}, "job_managers"), given),
        )
    else:
        specific = common
    return st.one_of(common, specific)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("setup", SERVICES, indirect=True)
def test_bad_service_params_are_refused_before_any_request(setup):
    service, conn_id, params = setup

    @FUZZ_SMALL
    @given(case=bad_params(service), good=st.lists(valid_ids(service), min_size=1, max_size=1))
    def check(case, good):
        broken, needle = case
        merged = {**params, **broken}
        try:
            BatchDeleteJobsOperator(
                task_id="fuzz", conn_id=conn_id, service=service, job_ids=good, service_params=merged
            )
        except InvalidInputError as err:  # refused at parse time (unknown name): also fine, also no request
            assert needle in str(err) or "does not take" in str(err), (needle, str(err))
            return
        with TransportProbe() as probe, pytest.raises(InvalidInputError) as caught:
            BatchDeleteJobsOperator(
                task_id="fuzz", conn_id=conn_id, service=service, job_ids=good, service_params=merged
            ).execute({"ti": FakeTI()})  # type: ignore[arg-type]
        assert probe.sends == 0, str(caught.value)
        message = str(caught.value)
        assert needle in message or "does not take" in message, (needle, message)

    check()


def _endpoint_keys(service: str) -> list[str]:
    return {
        "mrs": ["mrs_endpoint", "iam_endpoint"],
        "dli": ["dli_endpoint", "iam_endpoint"],
        "res": ["res_endpoint", "iam_endpoint"],
        "ehpc": ["endpoint"],
        "scnet": ["base_url"],
    }[service]


def bad_extras(service: str):
    """``(extras update, needle)`` pairs that make a connection unusable; the error must name key or value."""
    not_positive = st.one_of(st.integers(max_value=0), st.sampled_from([-0.5, "0", "-1", "nan", "inf", "-inf"]))
    # (extras are JSON: only JSON types)
    not_number = st.one_of(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=8),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.floats(max_value=-0.001),
    )
    numbers = st.one_of(
        st.builds(lambda k, v: ({k: v}, k), st.sampled_from(["read_timeout", "connect_timeout"]), not_positive),
        st.builds(
            lambda k, v: ({k: v}, k),
            st.sampled_from(
                ["read_timeout", "connect_timeout", "max_attempts", "retry_initial_wait", "retry_max_wait"]
            ),
            not_number,
        ),
        st.builds(lambda v: ({"max_attempts": v}, "max_attempts"), st.one_of(st.integers(max_value=0), st.just(2.5))),
        st.builds(
            lambda k, v: ({k: v}, k),
            st.sampled_from(["retry_initial_wait", "retry_max_wait"]),
            st.one_of(st.floats(max_value=-0.001), st.just("nan")),
        ),
    )
    flags = st.one_of(
        st.builds(
            lambda v: ({"allow_insecure_http": v}, "allow_insecure_http"),
            st.one_of(
                st.sampled_from(["maybe", "ture", "2", 2, -1, [], {}, 0.5]),
                st.text(alphabet=string.ascii_letters, min_size=6, max_size=10),
            ),
        ),
        st.builds(lambda v: ({"verify": v}, "verify"), st.sampled_from([123, 0.0, [], {}, "", "   "])),
    )
    hosts = st.sampled_from(["example.com", "10.0.0.1", "api.scnet.cn", "192.168.1.10", "[2001:db8::1]"])
    endpoints = st.one_of(
        st.builds(lambda k, h: ({k: f"http://{h}"}, f"http://{h}"), st.sampled_from(_endpoint_keys(service)), hosts),
        st.builds(
            lambda k, v: ({k: v}, v),
            st.sampled_from(_endpoint_keys(service)),
            st.sampled_from(["ftp://example.com", "not a url", "file:///etc/passwd", "https://", "//x"]),
        ),
    )
    return st.one_of(numbers, flags, endpoints)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("setup", SERVICES, indirect=True)
def test_broken_connection_extras_are_refused_before_any_request(setup, monkeypatch, emulator):
    service, conn_id, params = setup
    chosen = profile(PROFILES[service])

    @FUZZ_SMALL
    @given(case=bad_extras(service), good=st.lists(valid_ids(service), min_size=1, max_size=1))
    def check(case, good):
        update, needle = case
        spec = chosen.connection(emulator.url)
        spec["extra"] = {**spec["extra"], **update}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(spec))
        with TransportProbe() as probe, pytest.raises(InvalidInputError) as caught:
            run_operator(service, conn_id, params, good)
        message = str(caught.value)
        assert probe.sends == 0, message
        assert needle in message or repr(needle) in message, (needle, message)

    check()


# ---------------------------------------------------------------------------------------------- deduplication
@pytest.mark.parametrize("service", SERVICES)
def test_duplicated_ids_are_deleted_once(emulator, monkeypatch, service):
    chosen = profile(PROFILES[service])
    conn_id = f"dedup_{service}"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(chosen.connection(emulator.url)))
    ids, params = chosen.seed(emulator, 3)
    a, b, c = ids
    given_ids = [a, a, b, a, c, b, c]
    if service in ("dli", "scnet"):  # 12 and "12" are the same job
        given_ids += [int(a), int(c)]
    report = run_operator(service, conn_id, params, given_ids)
    assert report["requested"] == [a, b, c]
    assert sorted(report["deleted"]) == sorted(ids)
    counts = {j["job_id"]: j["delete_count"] for j in emulator.jobs(service)}
    assert [counts[j] for j in ids] == [1, 1, 1]


@pytest.mark.parametrize("service", SERVICES)
def test_hooks_deduplicate_and_validate_when_called_directly(emulator, service):
    """The hook's own ``delete_jobs`` (used without the operator) validates and deduplicates too."""
    from airflow_provider_jobcleanup.services import get_cleanup_hook
    from tests.integration.huawei_helpers import connection_from

    chosen = profile(PROFILES[service])
    hook = get_cleanup_hook("direct", service, connection=connection_from(chosen.connection(emulator.url)))
    ids, params = chosen.seed(emulator, 2)
    report = hook.delete_jobs([ids[0], ids[1], ids[0]], **params)
    assert report.requested == ids and sorted(report.deleted) == sorted(ids)
    assert all(j["delete_count"] == 1 for j in emulator.jobs(service))
    before = emulator.stats().get("total", 0)
    bad = "../../etc" if service != "dli" else "12; DROP"
    with pytest.raises(InvalidInputError, match=re.escape(repr(bad))):
        hook.delete_jobs([ids[0], bad], **params)
    assert emulator.stats().get("total", 0) == before


@given(ids=st.lists(st.integers(1, 50), max_size=60))
@settings(max_examples=300, derandomize=True, database=None)
def test_normalization_keeps_first_occurrence_order(ids):
    hook = hook_class("dli")()
    expected = list(dict.fromkeys(str(i) for i in ids))
    if not ids:
        with pytest.raises(InvalidInputError, match="empty"):
            hook.normalize_job_ids(ids)
    else:
        assert hook.normalize_job_ids(ids + [str(i) for i in ids]) == expected


def test_templated_garbage_rendered_by_jinja_is_refused(emulator, monkeypatch):
    """A real template: ``{{ params.ids }}`` rendering a broken upstream value (no native rendering)."""
    import jinja2.sandbox

    chosen = profile(PROFILES["mrs"])
    monkeypatch.setenv("AIRFLOW_CONN_TPL_MRS", json.dumps(chosen.connection(emulator.url)))
    params = _valid_params("mrs")
    env = jinja2.sandbox.SandboxedEnvironment()
    for upstream, needle in [
        (None, "'None'"),
        (["6a8c7f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "rm -rf"], "'rm -rf'"),
        ({"ids": []}, "{'ids': []}"),
        ("", "is empty"),  # "" renders to "": not a list
    ]:
        operator = BatchDeleteJobsOperator(
            task_id="tpl", conn_id="tpl_mrs", service="mrs", job_ids="{{ params.ids }}", **params
        )
        operator.render_template_fields({"params": {"ids": upstream}}, jinja_env=env)  # type: ignore[arg-type]
        expect_refusal(lambda op=operator: op.execute({"ti": FakeTI()}), needle, "got the string")
    assert emulator.stats().get("total", 0) == 0
