"""The interface every service hook implements, and the behaviour they share.

A hook answers three questions, and the operator, sensor and trigger ask nothing else:

* :meth:`JobCleanupHook.delete_jobs`: delete these jobs, return a :class:`DeletionReport`;
* :meth:`JobCleanupHook.get_job_states`: which of these jobs are gone;
* :meth:`JobCleanupHook.list_jobs`: which jobs match this filter.

Cloud knowledge (endpoints, auth, error codes, batch limits) lives in the subclass; the connection is read
lazily so that constructing a hook (for example at DAG parse time) costs nothing.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, ClassVar

import requests
from airflow.sdk import BaseHook, Connection

from airflow_provider_jobcleanup.answers import ErrorParser
from airflow_provider_jobcleanup.connection_settings import (
    AnswerLimits,
    RetryPolicy,
    Timeouts,
    check_endpoint,
    extra_flag,
    tls_verify,
)
from airflow_provider_jobcleanup.exceptions import ConfigurationError, InvalidInputError
from airflow_provider_jobcleanup.job_ids import coerce_id_list, coerce_params, normalize_job_ids
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus
from airflow_provider_jobcleanup.secrets import redact
from airflow_provider_jobcleanup.services import ServiceSpec, get_spec
from airflow_provider_jobcleanup.transport import ApiTransport


class JobCleanupHook(BaseHook):
    """Base class of the service hooks.

    :param conn_id: the Airflow connection id; Airflow itself (connection test from the CLI, REST API or UI)
        passes it as the ``conn_name_attr`` keyword instead (``huaweicloud_conn_id=...``), which is accepted too.
    :param connection: an already fetched connection (triggers fetch it asynchronously and pass it in).
    """

    #: the ``service=`` name
    service: ClassVar[str]
    #: Airflow's hook attributes, set by each connection family
    default_conn_name: ClassVar[str]
    conn_name_attr: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    #: most job ids one delete call accepts
    batch_limit: ClassVar[int] = 100
    #: a valid job id (as a string), and how to describe it in errors
    job_id_pattern: ClassVar[re.Pattern[str]] = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
    job_id_description: ClassVar[str] = "1-128 letters, digits, '.', '_', ':' or '-'"
    job_id_allow_int: ClassVar[bool] = True
    #: the service's job state words, as a job filter's ``states`` may name them (case-insensitive)
    states: ClassVar[tuple[str, ...]] = ()
    #: called with the report each time a delete records outcomes (the operator logs progress with it)
    on_progress: Callable[[DeletionReport], None] | None = None

    def __init__(self, conn_id: str | None = None, *, connection: Connection | None = None, **kwargs: Any) -> None:
        named = kwargs.pop(self.conn_name_attr, None)
        if conn_id and named and conn_id != named:
            raise ConfigurationError(f"conn_id {conn_id!r} and {self.conn_name_attr} {named!r} disagree; pass one")
        super().__init__(**kwargs)
        self.conn_id = conn_id or named or self.default_conn_name
        setattr(self, self.conn_name_attr, self.conn_id)  # the attribute Airflow's hook convention names
        self._given_connection = connection

    @cached_property
    def connection(self) -> Connection:
        """The Airflow connection, fetched on first use."""
        return self._given_connection or self.get_connection(self.conn_id)

    @cached_property
    def extras(self) -> dict[str, Any]:
        extra = self.connection.extra_dejson
        if not isinstance(extra, dict):
            raise ConfigurationError(f"connection {self.conn_id!r}: extra must be a JSON object")
        return extra

    @cached_property
    def transport(self) -> ApiTransport:
        """The hook's single HTTP path (built on first use)."""
        return self._build_transport()

    @abstractmethod
    def _build_transport(self) -> ApiTransport:
        """Create the transport with this service's auth and error parser (see :meth:`new_transport`)."""

    def new_transport(
        self,
        auth: requests.auth.AuthBase,
        error_parser: ErrorParser,
        *,
        pool_size: int = 1,  # pragma: no mutate (connections kept open: not observable)
    ) -> ApiTransport:
        """A transport configured from the connection extras every service accepts: retry settings,
        timeouts and TLS verification (``verify``)."""
        return ApiTransport(
            self.service,
            auth=auth,
            error_parser=error_parser,
            retry=RetryPolicy.from_extras(self.extras),
            timeouts=Timeouts.from_extras(self.extras),
            limits=self.limits,
            verify=tls_verify(self.extras),
            pool_size=pool_size,  # pragma: no mutate (connections kept open: not observable)
        )

    @cached_property
    def limits(self) -> AnswerLimits:
        """The largest answer read and the most pages walked in one listing (connection extras)."""
        return AnswerLimits.from_extras(self.extras)

    def checked_endpoint(self, url: Any, what: str) -> str:
        """``url`` if it is safe to send credentials to: https, or http to loopback, or http explicitly allowed
        by the ``allow_insecure_http`` extra."""
        if not isinstance(url, str):
            raise ConfigurationError(f"connection {self.conn_id!r}: {what} must be a URL string, got {url!r}")
        return check_endpoint(url, allow_insecure_http=extra_flag(self.extras, "allow_insecure_http"), what=what)

    def get_conn(self) -> ApiTransport:
        return self.transport

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far by this hook (authentication and retries included)."""
        return self.transport.calls if "transport" in self.__dict__ else 0

    # ----------------------------------------------------------------- input validation (no network)
    def normalize_job_ids(self, job_ids: Any, *, max_count: int | None = None) -> list[str]:
        """Validated, deduplicated job ids as strings; raises before anything is sent."""
        return normalize_job_ids(
            job_ids,
            pattern=self.job_id_pattern,
            description=f"a {self.service} job id: {self.job_id_description}",
            allow_int=self.job_id_allow_int,
            max_count=max_count,
            canonical=self.canonical_id,
        )

    def canonical_id(self, job_id: str) -> str:
        """The one spelling of a valid id under which requested and listed jobs are compared."""
        return job_id

    def check_filter(self, job_filter: JobFilter) -> JobFilter:
        """Refuse a ``states`` value the service does not know (it would silently match nothing)."""
        known = {state.lower() for state in self.states}
        unknown = [state for state in job_filter.states if state.lower() not in known]
        if unknown:
            raise InvalidInputError(
                f"job_filter states {unknown} are not {self.service} states; {self.service} states are "
                f"{list(self.states)}"
            )
        return job_filter

    @property
    def spec(self) -> ServiceSpec:
        """This service's declaration (:mod:`airflow_provider_jobcleanup.services`)."""
        return get_spec(self.service)

    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        """Check the service-specific parameters against the service's declaration (names, types, required
        ones, defaults); subclasses add the checks only the service knows.

        A string (what a Jinja template renders to without native rendering) must hold a JSON or Python
        dict literal.
        """
        return self.spec.check_params(coerce_params(params))

    # ----------------------------------------------------------------- the three questions
    def delete_jobs(self, job_ids: Any, **params: Any) -> DeletionReport:
        """Delete ``job_ids`` in batches and say what happened to each.

        Every hook goes through here, so every hook validates and deduplicates before any request, and every
        requested id ends in exactly one of ``deleted``, ``already_gone`` or ``failed``. The delete first reads
        which jobs exist (one status walk): jobs the service shows as gone are ``already_gone`` and are not sent,
        even where the service's delete would silently accept an unknown id. When the run cannot go on (credentials
        refused, an outage that outlasted its retries, an answer not understood, any unexpected error), the jobs
        without an outcome are listed as failed with that reason, and the error is raised with that report as
        ``error.report``.
        """
        ids = self.normalize_job_ids(job_ids)
        checked = self.validate_params(params)
        report = self.new_report(ids)
        try:
            states = self.get_job_states(ids, **checked)
            report.record_gone(job_id for job_id in ids if states[job_id].gone)
            present = [job_id for job_id in ids if not states[job_id].gone]
            if present:
                self._delete(present, checked, report)
        except Exception as err:
            reason = f"not deleted, or not confirmed deleted: the run stopped at: {redact(str(err))}"
            for job_id in report.unaccounted:
                report.record_failed(job_id, reason)
            err.report = self.finish_report(report)  # type: ignore[attr-defined]
            raise
        for job_id in report.unaccounted:  # a job must never vanish from the report
            report.record_failed(job_id, "no outcome was recorded for this job")
        return self.finish_report(report)

    def dry_run_report(self, job_ids: Any, **params: Any) -> DeletionReport:
        """What :meth:`delete_jobs` would do, from read-only status calls: which requested jobs exist (with
        their states) and would be deleted, and which are already gone. Sends no delete."""
        ids = self.normalize_job_ids(job_ids)
        checked = self.validate_params(params)
        states = self.get_job_states(ids, **checked)
        report = self.new_report(ids)
        report.dry_run = True
        report.already_gone = [job_id for job_id in ids if states[job_id].gone]
        report.would_delete = [job_id for job_id in ids if not states[job_id].gone]
        report.states = {job_id: states[job_id].state for job_id in report.would_delete}
        return self.finish_report(report)

    @abstractmethod
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        """Delete the validated, deduplicated ``job_ids``, recording each job's outcome in ``report``."""

    def get_job_states(self, job_ids: Any, **params: Any) -> dict[str, JobStatus]:
        """Whether each job is gone, using as few status calls as the service allows, keyed by the ids as
        given (as strings). Invalid ids are refused before any request is sent."""
        ids = self.normalize_job_ids(job_ids)
        states = self._job_states(ids, **params)
        return {str(job_id): states[self.canonical_id(str(job_id))] for job_id in coerce_id_list(job_ids)}

    @abstractmethod
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        """:meth:`get_job_states` of validated, deduplicated ``job_ids``."""

    def list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job matching ``job_filter`` right now (all pages); unknown state words are refused."""
        return self._list_jobs(self.check_filter(job_filter), **params)

    @abstractmethod
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job matching the checked ``job_filter``."""

    # ----------------------------------------------------------------- Airflow UI support
    def test_connection(self) -> tuple[bool, str]:
        """Airflow's connection test (CLI, REST API, UI): ``(True, what proved it)`` only when an authenticated
        read-only request was answered; a failure, or a check that sent nothing, is ``(False, why)``."""
        try:
            proof = self.check_access()
        except Exception as err:
            # "[dli] ..." would be taken for markup by the CLI's console and vanish: say "dli: ..." instead
            text = re.sub(r"^\[([\w-]+)\] ", r"\1: ", str(err))
            return False, f"{type(err).__name__}: {text}"
        if not proof:
            return False, f"{self.hook_name}: no request proved the credentials"
        return True, proof

    def check_access(self) -> str | None:
        """Send one cheap authenticated read-only request; returns what it proved (``None``: nothing was
        proved, see :meth:`proof`). Each service says which request is cheap for it."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to check its connection")

    def proof(self, what: str, calls_before: int) -> str | None:
        """The success message of :meth:`check_access`, or ``None`` when no request was sent since
        ``calls_before`` (only an answered request proves credentials)."""
        if self.api_calls <= calls_before:
            return None
        return f"Connection works: {self.hook_name} accepted the credentials ({what})"

    def scope_label(self, params: Mapping[str, Any]) -> str:
        """How log lines name what a task works on: the service and where its jobs live, from the service
        parameters (``mrs cluster 6a8c...``, ``scnet job manager 1234``) or else the connection's region
        (``ehpc region cn-hangzhou``)."""
        parts = [self.service]
        for name, word in self.spec.scope:
            if params.get(name):
                parts.append(f"{word} {params[name]}")
        if len(parts) == 1 and (region := self.scope_region()):
            parts.append(f"region {region}")
        return " ".join(parts)

    def scope_region(self) -> str | None:
        """The region a connection's jobs live in, for log lines (connection types without regions: ``None``)."""
        return None

    def console_url(self, params: Mapping[str, Any]) -> str | None:
        """The service's web-console page listing these jobs, or ``None`` where there is none."""
        return None

    def new_report(self, job_ids: Sequence[str]) -> DeletionReport:
        return DeletionReport(service=self.service, requested=list(job_ids), on_progress=self.on_progress)

    def finish_report(self, report: DeletionReport) -> DeletionReport:
        report.api_calls = self.api_calls
        report.on_progress = None  # the finished report is plain data again
        return report
