"""Typed errors raised by the provider.

Every error a service returns is turned into one of these classes in one place (the transport), so hooks,
operators and the retry policy can decide on the *kind* of failure instead of parsing messages. Each carries
the service's own error code and request id, because those are what a support ticket needs.

Two kinds of retry are decided here. ``ApiError.retryable`` says whether the transport may send the same
request again within one task try. :class:`PermanentError` says whether Airflow's task retries can help: a
permanent error (bad input, bad configuration, refused credentials or permission, a wrong clock, a redirect,
an answer not understood, a wrong endpoint) subclasses Airflow's ``AirflowFailException``, so the task fails
at once whatever its ``retries``. Everything else (throttling, an outage that outlasted the per-call retries,
jobs that could not be deleted this time, a wait that timed out) stays retryable by Airflow.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_jobcleanup.secrets import redact


class JobCleanupError(AirflowException):
    """Base class of every error raised by this provider."""


class PermanentError(JobCleanupError, AirflowFailException):
    """A failure the same task would meet again on a retry: Airflow fails the task without retrying it."""


class JobsNotDeletedError(JobCleanupError):
    """Some jobs could not be deleted (for example still running) after every other job was attempted.

    Retryable by Airflow: a job may finish and become deletable, and a retry sends deletes only for the jobs
    that are still there (the ones deleted by the earlier try are reported as already gone).
    """


class JobsStillPresentError(JobCleanupError):
    """Jobs were still present when a wait for them to be gone reached its timeout. Retryable by Airflow."""


class InvalidInputError(PermanentError, ValueError):
    """Input was rejected before any request was sent (bad job id, bad parameter, broken connection extra)."""


class InvalidJobIdError(InvalidInputError):
    """A job id does not have the shape the service accepts."""


class ConfigurationError(InvalidInputError):
    """The Airflow connection is missing a field or has a value that cannot work."""


class ApiError(JobCleanupError):
    """A service answered with an error.

    :param message: human-readable explanation, never containing a secret.
    :param service: service name (``mrs``, ``dli``, ...).
    :param status_code: HTTP status, or ``None`` when no answer was received.
    :param error_code: the service's own error code (``0176``, ``DLI.16001``, ``JobNotFound``...).
    :param request_id: the service's request id, for support tickets.
    """

    #: whether the retry policy may send the same request again
    retryable: bool = False
    #: whether no further request of the run can be trusted to succeed (see :func:`ends_run`)
    stops_run: bool = False
    #: the HTTP status of the answer (AirflowException's class-level HTTPStatus is for the API server)
    status_code: int | None  # type: ignore[assignment]
    #: when the error stopped a batch delete part-way: the complete report up to that point (jobs without an
    #: outcome are listed as failed), so the caller can still publish what was deleted
    report: Any = None

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = redact(message)
        self.service = service
        self.status_code = status_code
        self.error_code = error_code
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"[{self.service}]" if self.service else "", self.message]
        details = []
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        if self.error_code:
            details.append(f"code {self.error_code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if details:
            parts.append("(" + ", ".join(details) + ")")
        return " ".join(p for p in parts if p)

    def retyped(self, cls: type[ApiError], message: str | None = None) -> ApiError:
        """The same error (code, status, request id) as another class, e.g. a generic 400 as NotFoundError."""
        return cls(
            message or self.message,
            service=self.service,
            status_code=self.status_code,
            error_code=self.error_code,
            request_id=self.request_id,
            retry_after=self.retry_after,
        )

    def __reduce__(self):  # keep the fields when pickled between processes
        return (
            _rebuild_api_error,
            (
                type(self),
                self.message,
                self.service,
                self.status_code,
                self.error_code,
                self.request_id,
                self.retry_after,
            ),
        )


def _rebuild_api_error(cls, message, service, status_code, error_code, request_id, retry_after):
    return cls(
        message,
        service=service,
        status_code=status_code,
        error_code=error_code,
        request_id=request_id,
        retry_after=retry_after,
    )


class AuthenticationError(ApiError, PermanentError):
    """Credentials or token were rejected (wrong password, wrong signature, expired token)."""

    stops_run = True


class ClockSkewError(AuthenticationError):
    """The service refused the request's timestamp: this machine's clock is off."""


class PermissionDeniedError(ApiError, PermanentError):
    """The credentials are valid but not allowed to do this."""

    stops_run = True


class EndpointNotFoundError(ApiError, PermanentError):
    """HTTP 404 without the service's own not-found code: a wrong endpoint, a retired API version or a
    gateway with no route. Never taken as "the job is gone"."""

    stops_run = True


class RedirectRefusedError(ApiError, PermanentError):
    """The service answered with a redirect. Redirects are never followed: credentials stay with the
    configured endpoint."""

    stops_run = True


class UnexpectedAnswerError(ApiError, PermanentError):
    """A success answer that is not what the call must return (not JSON, empty, truncated, wrong shape,
    too large, a per-job list that does not match the batch). Never taken as a success."""

    stops_run = True


class NotFoundError(ApiError):
    """The job (or its parent resource) does not exist."""


class JobBusyError(ApiError):
    """The service refused because the job is in a state that forbids it (for example running)."""


class ThrottledError(ApiError):
    """The service asked the client to slow down; retried, honouring ``retry_after``."""

    retryable = True


class TransientServiceError(ApiError):
    """A server-side failure that may succeed when sent again (5xx, scheduler busy, DB error)."""

    retryable = True


class TransportError(ApiError):
    """No usable answer: connection refused or reset, timeout. Retried."""

    retryable = True


def ends_run(error: BaseException) -> bool:
    """Whether a delete run must stop at ``error`` instead of going on with the next job or batch.

    True for anything that is not a service's answer about one job: refused credentials or permission, a
    wrong clock, a redirect, an answer the provider does not understand, an outage that outlasted its retries,
    and any error that is not an :class:`ApiError` at all.
    """
    if not isinstance(error, ApiError):
        return True
    return error.stops_run or error.retryable
