"""SCNet (Sugon AC) HPC jobs: batch delete through ``strJobInfoMap``, status and listing.

Connection ``scnet``: login = portal user, password = password; extras ``org_id`` (password login),
``access_key`` + ``secret_key`` (AK/SK login, preferred when both are set), ``base_url`` (AC base, default
``https://api.scnet.cn``), ``cluster_name`` (compute region; required when the user has several), and
overrides of what is otherwise discovered: ``hpc_url``, ``job_manager_id``, ``compute_user``. Also
``allow_insecure_http``, ``verify``, timeouts and retry settings as for every connection.

Discovery (cached per hook): the region token (see :mod:`..auth.scnet_token`), then the HPC URL from
``GET {base}/ac/openapi/v2/center`` (first enabled ``hpcUrls`` entry), the job manager id from
``GET {hpcUrl}/hpc/openapi/v2/cluster`` (the first ``data[].id``), the cluster user from the token's
``computeUser`` claim or the last segment of the center's ``clusterUserInfo.homePath``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from airflow_provider_jobcleanup.auth.scnet_token import ScnetTokenProvider
from airflow_provider_jobcleanup.auth.token_cache import TokenAuth, TransportRef, shared_provider
from airflow_provider_jobcleanup.exceptions import (
    FATAL_ERRORS,
    ApiError,
    ConfigurationError,
    InvalidInputError,
)
from airflow_provider_jobcleanup.hooks import scnet_protocol as proto
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.job_ids import normalize_one
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus
from airflow_provider_jobcleanup.secrets import mask
from airflow_provider_jobcleanup.transport import (
    ApiTransport,
    json_or_none,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.scnet.cn"
#: ``strJobInfoMap`` entries per delete call: no limit is documented; 50 keeps the query string short [INF]
ENTRIES_PER_CALL = 50
#: rows per list call (the docs show 25; larger pages are assumed accepted) [INF]
PAGE_SIZE = 100


class ScnetHook(JobCleanupHook):
    """Deletes SCNet HPC scheduler jobs and confirms they are gone.

    **Job ids** are scheduler job ids: digits (``35918``) or a Slurm array element (``35918_3``), optionally
    prefixed by the cluster user that owns the job (``alice:35918``; default: the ``user`` parameter). Other
    shapes (PBS ``35918[3]``, ``35918.server``) are refused before anything is sent: ``[``, ``]``, ``,``,
    ``:`` and ``;`` would break ``strJobInfoMap`` and the answer's messages.

    **Service parameters** (validated before any request):

    * ``job_manager_id``: the scheduler ("job manager") id the jobs live on; default: the connection extra,
      else the first one ``/hpc/openapi/v2/cluster`` lists.
    * ``user``: the cluster user in ``strJobInfoMap`` entries; default: extra ``compute_user``, else
      discovered.
    * ``job_managers``: ``{manager_id: [job ids]}`` for a batch spanning several managers. Every id listed
      there must also be in ``job_ids`` and under one manager only (report keys must stay unambiguous); ids
      not listed use ``job_manager_id``. Not accepted for filter-based listing (use ``job_manager_id``).

    **Delete**: ``DELETE {hpcUrl}/hpc/openapi/v2/jobs`` with ``jobMethod=5`` and ``strJobInfoMap`` as query
    parameters (a DELETE body is not parsed by the server's framework [3P]), 50 entries per call, managers
    mixed freely. ``data`` holds one message per manager; a job it reports deleted is ``deleted``, one it
    reports as an invalid/unknown or already completed job is ``already_gone``, one with another reason is
    ``failed``. A job the message does not mention is re-checked: ``already_gone`` if it is gone by then, else
    ``failed`` ("not confirmed").

    **Gone**: a job is gone when the realtime list of its manager (``/hpc/openapi/v2/jobs``) no longer has it,
    or has it in a terminal state (``statC`` completed, ``statE`` exited). Ended and deleted jobs stay in the
    realtime list for about 5 minutes in a terminal state; waiting for them to vanish would prove nothing more
    (they no longer run, queue or hold resources). Every other state (``statR``, ``statQ``, ``statH``,
    ``statS``, ``statW``, ``statX``) is not gone. Status costs one list call per page of the manager's jobs
    (one ``strJobId`` query when a single job is asked), never one call per job.

    **List**: the realtime list of one manager and the user's jobs (what can still be deleted), all pages,
    filtered by :class:`JobFilter` (states are SCNet words such as ``statR``; age from ``jobSubmitTime`` or
    ``jobStartTime``). :meth:`list_history_jobs` reads ``/hpc/openapi/v2/historyjobs``.
    """

    service = "scnet"
    conn_type = "scnet"
    conn_name_attr = "scnet_conn_id"
    default_conn_name = "scnet_default"
    hook_name = "SCNet (Sugon AC) HPC"
    batch_limit = ENTRIES_PER_CALL
    job_id_pattern = proto.JOB_KEY
    job_id_description = (
        "a scheduler job id (digits such as 35918, or an array element such as 35918_3), optionally "
        "prefixed by its cluster user as alice:35918"
    )
    job_id_allow_int = True
    param_names = ("job_manager_id", "user", "job_managers")

    # ----------------------------------------------------------------- connection and discovery
    @cached_property
    def base_url(self) -> str:
        return self._checked_url(self.extras.get("base_url") or DEFAULT_BASE_URL, "base_url")

    def _checked_url(self, url: Any, what: str) -> str:
        return self.checked_endpoint(url, what)

    @cached_property
    def token_provider(self) -> ScnetTokenProvider:
        """The process-wide token provider of this connection's credential set."""
        user, password = self.connection.login, self.connection.password
        if not user:
            raise ConfigurationError(
                f"connection {self.conn_id!r}: login (the SCNet portal user) is required"
            )
        extras = self.extras
        access_key, secret_key = extras.get("access_key"), extras.get("secret_key")
        org_id = extras.get("org_id")
        cluster_name = extras.get("cluster_name") or None
        mask(password)
        mask(secret_key)
        base = self.base_url
        key = (
            base,
            user,
            password or "",
            org_id or "",
            access_key or "",
            secret_key or "",
            cluster_name or "",
        )

        def factory() -> ScnetTokenProvider:
            return ScnetTokenProvider(
                base_url=base,
                user=user,
                password=password,
                org_id=org_id,
                access_key=access_key,
                secret_key=secret_key,
                cluster_name=cluster_name,
            )

        provider = shared_provider(key, factory)
        assert isinstance(provider, ScnetTokenProvider)
        return provider

    def _build_transport(self) -> ApiTransport:
        ref = TransportRef()
        transport = self.new_transport(
            TokenAuth(self.token_provider, ref, "token"), proto.error_parser(self.connection.login or "")
        )
        ref.set(transport)
        return transport

    @cached_property
    def _center(self) -> dict[str, Any]:
        """This region's entry of ``/ac/openapi/v2/center``."""
        response = self.transport.request("GET", f"{self.base_url}/ac/openapi/v2/center")
        claims = self.token_provider.claims(self.transport)
        cluster_id = str(claims["clusterId"]) if claims.get("clusterId") is not None else None
        return proto.pick_center(
            (json_or_none(response) or {}).get("data"), cluster_id, self.extras.get("cluster_name")
        )

    @cached_property
    def hpc_url(self) -> str:
        """Base URL of the job APIs: extra ``hpc_url``, else the first enabled ``hpcUrls`` entry."""
        url = self.extras.get("hpc_url") or proto.enabled_url(self._center.get("hpcUrls"))
        if not url:
            raise ApiError(
                "the center answer lists no enabled hpcUrls entry for this region; set extra 'hpc_url'",
                service=self.service,
            )
        return self._checked_url(url, "hpc_url")

    @cached_property
    def default_job_manager_id(self) -> str:
        """Extra ``job_manager_id``, else the first scheduler ``/hpc/openapi/v2/cluster`` lists."""
        configured = self.extras.get("job_manager_id")
        if configured:
            return _manager_id(configured, "connection extra job_manager_id")
        response = self.transport.request("GET", f"{self.hpc_url}/hpc/openapi/v2/cluster")
        managers = [m for m in (json_or_none(response) or {}).get("data") or [] if isinstance(m, dict)]
        if not managers or managers[0].get("id") is None:
            raise ApiError(
                "the cluster answer lists no job manager; set extra 'job_manager_id'", service=self.service
            )
        if len(managers) > 1:
            log.info("scnet: %d job managers; using the first, %s", len(managers), managers[0].get("id"))
        return str(managers[0]["id"])

    @cached_property
    def cluster_user(self) -> str:
        """Extra ``compute_user``, else the token's ``computeUser``, else the center's home path."""
        user = self.extras.get("compute_user") or self.token_provider.claims(self.transport).get(
            "computeUser"
        )
        if not user:
            user = proto.home_user(self._center)
        if not user or not proto.USER_NAME.fullmatch(str(user)):
            raise ConfigurationError(
                f"connection {self.conn_id!r}: cannot tell the cluster user ({user!r}); "
                "set extra 'compute_user'"
            )
        return str(user)

    # ----------------------------------------------------------------- validation (no network)
    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        params = super().validate_params(params)
        if params.get("job_manager_id") is not None:
            params["job_manager_id"] = _manager_id(params["job_manager_id"], "job_manager_id")
        user = params.get("user")
        if user is not None and (not isinstance(user, str) or not proto.USER_NAME.fullmatch(user)):
            raise InvalidInputError(f"user must be a cluster user name such as 'alice', got {user!r}")
        if params.get("job_managers") is not None:
            params["job_managers"] = self._validate_job_managers(params["job_managers"])
        return params

    def _validate_job_managers(self, value: Any) -> dict[str, list[str]]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise InvalidInputError(f"job_managers must be a mapping, got the string {value!r}") from None
        if not isinstance(value, Mapping) or not value:
            raise InvalidInputError(
                f"job_managers must be a non-empty mapping manager id -> job ids, got {value!r}"
            )
        result: dict[str, list[str]] = {}
        owner: dict[str, str] = {}
        for manager, ids in value.items():
            manager_id = _manager_id(manager, "job_managers key")
            if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence) or not ids:
                raise InvalidInputError(
                    f"job_managers[{manager_id}] must be a non-empty list of job ids, got {ids!r}"
                )
            keys = [
                normalize_one(i, pattern=self.job_id_pattern, description=self.job_id_description)
                for i in ids
            ]
            for key in keys:
                if owner.setdefault(key, manager_id) != manager_id:
                    raise InvalidInputError(
                        f"job {key} is listed under job managers {owner[key]} and {manager_id}; report keys "
                        "would be ambiguous: delete them in separate tasks"
                    )
            result.setdefault(manager_id, []).extend(keys)
        return result

    def _plan(self, job_ids: Sequence[str], params: Mapping[str, Any]) -> list[proto.JobRef]:
        """Where each job lives. Checks are done first; discovery (network) only for what is left open."""
        assigned = {key: m for m, keys in (params.get("job_managers") or {}).items() for key in keys}
        stray = sorted(set(assigned) - set(job_ids))
        if stray:
            raise InvalidInputError(f"job_managers lists job ids that are not in job_ids: {stray}")
        split = {key: proto.split_job_key(key) for key in job_ids}
        places: dict[tuple[str, str], str] = {}
        for key, (_, job) in split.items():
            other = places.setdefault((assigned.get(key, ""), job), key)
            if other != key:
                raise InvalidInputError(
                    f"job ids {other!r} and {key!r} name the same job on the same manager"
                )
        needs_default_manager = any(key not in assigned for key in job_ids)
        needs_default_user = any(user is None for user, _ in split.values())
        default_manager = (
            (params.get("job_manager_id") or self.default_job_manager_id) if needs_default_manager else ""
        )
        default_user = (params.get("user") or self.cluster_user) if needs_default_user else ""
        return [
            proto.JobRef(key, assigned.get(key, default_manager), user or default_user, job)
            for key, (user, job) in split.items()
        ]

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        refs = self._plan(job_ids, params)
        unconfirmed: list[proto.JobRef] = []
        for start in range(0, len(refs), ENTRIES_PER_CALL):
            unconfirmed.extend(self._delete_chunk(refs[start : start + ENTRIES_PER_CALL], report))
        if unconfirmed:
            self._recheck(unconfirmed, report)

    def _delete_chunk(self, refs: list[proto.JobRef], report: DeletionReport) -> list[proto.JobRef]:
        """One delete call; returns the jobs whose outcome the answer did not state."""
        try:
            response = self.transport.request(
                "DELETE",
                f"{self.hpc_url}/hpc/openapi/v2/jobs",
                params={"jobMethod": "5", "strJobInfoMap": proto.build_job_info_map(refs)},
            )
        except FATAL_ERRORS:
            raise
        except ApiError as err:
            for ref in refs:
                report.failed[ref.key] = str(err)
            return []
        outcomes = proto.parse_delete_answer((json_or_none(response) or {}).get("data"))
        unconfirmed = []
        for ref in refs:
            outcome = outcomes.get(ref.manager_id, {}).get((ref.user, ref.job_id))
            if outcome is None:
                unconfirmed.append(ref)
            elif outcome.deleted:
                report.deleted.append(ref.key)
            elif outcome.not_found:
                report.already_gone.append(ref.key)
            else:
                report.failed[ref.key] = f"job manager {ref.manager_id} refused: {outcome.reason}"
        return unconfirmed

    def _recheck(self, refs: list[proto.JobRef], report: DeletionReport) -> None:
        log.warning("scnet: the delete answer did not mention %d job(s); checking their state", len(refs))
        try:
            states = self._states(refs)
        except FATAL_ERRORS:
            raise
        except ApiError as err:
            for ref in refs:
                report.failed[ref.key] = (
                    f"delete not confirmed by the service, and the re-check failed: {err}"
                )
            return
        for ref in refs:
            status = states[ref.key]
            if status.gone:
                report.already_gone.append(ref.key)
            else:
                report.failed[ref.key] = (
                    f"delete not confirmed by the service; the job is still {status.state}"
                )

    # ----------------------------------------------------------------- status
    def get_job_states(self, job_ids: Sequence[str], **params: Any) -> dict[str, JobStatus]:
        ids = self.normalize_job_ids(job_ids)
        refs = self._plan(ids, self.validate_params(params))
        states = self._states(refs)
        return {key: states[key] for key in ids}

    def _states(self, refs: list[proto.JobRef]) -> dict[str, JobStatus]:
        by_manager: dict[str, list[proto.JobRef]] = {}
        for ref in refs:
            by_manager.setdefault(ref.manager_id, []).append(ref)
        result: dict[str, JobStatus] = {}
        for manager_id, group in by_manager.items():
            wanted = {ref.job_id: ref for ref in group}
            # No owner filter: job ids are unique per manager, and a job another user owns is not gone.
            query: dict[str, Any] = {"strClusterIDList": manager_id}
            if len(group) == 1:
                query["strJobId"] = group[0].job_id
            seen: dict[str, str | None] = {}
            for item in self._pages("/hpc/openapi/v2/jobs", query):
                job_id = proto.item_job_id(item)
                if job_id in wanted:
                    seen[job_id] = proto.item_state(item)
                    if len(seen) == len(wanted):
                        break
            for job_id, ref in wanted.items():
                if job_id in seen:
                    state = seen[job_id]
                    result[ref.key] = JobStatus(ref.key, gone=state in proto.TERMINAL_STATES, state=state)
                else:
                    result[ref.key] = JobStatus(ref.key, gone=True)
        return result

    def _pages(self, path: str, query: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (``start`` is a 0-based row offset); stops on a short or empty page."""
        start = 0
        while True:
            response = self.transport.request(
                "GET", f"{self.hpc_url}{path}", params={**query, "start": start, "limit": PAGE_SIZE}
            )
            items, total = proto.list_page((json_or_none(response) or {}).get("data"))
            yield from items
            start += len(items)
            if len(items) < PAGE_SIZE or start >= total:
                return

    def get_job_detail(self, job_id: str | int, job_manager_id: str | None = None) -> dict[str, Any] | None:
        """``GET /hpc/openapi/v2/jobs/{jobId}?strJobManagerID=``: the job's fields, or ``None`` when the
        service says it does not exist (the not-found answer is undocumented; an empty ``data`` or a not-found
        message is taken to mean it) [INF]."""
        key = normalize_one(job_id, pattern=self.job_id_pattern, description=self.job_id_description)
        _, number = proto.split_job_key(key)
        manager = (
            _manager_id(job_manager_id, "job_manager_id") if job_manager_id else self.default_job_manager_id
        )
        try:
            response = self.transport.request(
                "GET", f"{self.hpc_url}/hpc/openapi/v2/jobs/{number}", params={"strJobManagerID": manager}
            )
        except ApiError as err:
            if err.error_code and proto.is_not_found_reason(err.message):
                return None
            raise
        data = (json_or_none(response) or {}).get("data")
        return dict(data) if isinstance(data, dict) and data else None

    # ----------------------------------------------------------------- list
    def list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        params = self.validate_params(params)
        if params.get("job_managers"):
            raise InvalidInputError(
                "job_managers addresses given job ids; to list by filter use job_manager_id"
            )
        manager = params.get("job_manager_id") or self.default_job_manager_id
        query: dict[str, Any] = {
            "strClusterIDList": manager,
            "strJobOwner": params.get("user") or self.cluster_user,
        }
        if len(job_filter.states) == 1:
            query["strJobStat"] = _canonical_state(job_filter.states[0])
        if job_filter.name_pattern and not re.search(r"[*?\[\]]", job_filter.name_pattern):
            query["strJobName"] = job_filter.name_pattern
        return self._filtered(self._pages("/hpc/openapi/v2/jobs", query), job_filter)

    def list_history_jobs(
        self, job_filter: JobFilter, *, since: datetime, until: datetime | None = None, **params: Any
    ) -> list[JobInfo]:
        """Ended jobs from ``/hpc/openapi/v2/historyjobs`` whose end time is in ``[since, until]``."""
        params = self.validate_params(params)
        # the API's times have whole seconds: "now" rounded up, so jobs that ended this second are included
        until = until or datetime.now(timezone.utc) + timedelta(seconds=1)
        query: dict[str, Any] = {
            "strClusterNameList": params.get("job_manager_id") or self.default_job_manager_id,
            "strUser": params.get("user") or self.cluster_user,
            "timeType": "CUSTOM",
            "isQueryByQueueTime": "false",
            "startTime": proto.format_time(since),
            "endTime": proto.format_time(until),
        }
        if len(job_filter.states) == 1:
            query["jobState"] = _canonical_state(job_filter.states[0])
        return self._filtered(self._pages("/hpc/openapi/v2/historyjobs", query), job_filter)

    @staticmethod
    def _filtered(items: Iterator[dict[str, Any]], job_filter: JobFilter) -> list[JobInfo]:
        now = datetime.now(timezone.utc)
        selected: dict[str, JobInfo] = {}
        for item in items:
            info = JobInfo(
                job_id=proto.item_job_id(item),
                state=proto.item_state(item),
                name=item.get("jobName"),
                created_at=proto.parse_time(item.get("jobSubmitTime"))
                or proto.parse_time(item.get("jobStartTime")),
            )
            if info.job_id and info.job_id not in selected and job_filter.matches(info, now):
                selected[info.job_id] = info
        return list(selected.values())

    def check_access(self) -> str | None:
        """Log in, discover the HPC URL and job manager, and read one page of the realtime list."""
        calls = self.api_calls
        manager = self.default_job_manager_id
        next(self._pages("/hpc/openapi/v2/jobs", {"strClusterIDList": manager}), None)
        return self.proof(f"listed jobs of job manager {manager}", calls)


def _manager_id(value: Any, what: str) -> str:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not proto.MANAGER_ID.fullmatch(text):
        raise InvalidInputError(
            f"{what} must be a job manager (scheduler) id such as 1638523853, got {value!r}"
        )
    return text


def _canonical_state(state: str) -> str:
    """``statr`` / ``STATR`` -> ``statR`` (the API's spelling); unknown words are passed through."""
    for known in proto.STATES:
        if known.lower() == state.lower():
            return known
    return state
