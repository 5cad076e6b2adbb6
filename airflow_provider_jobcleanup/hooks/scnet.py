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
from functools import cached_property, partial
from typing import Any

from airflow_provider_jobcleanup.answers import Answer, Model, parse_answer, unexpected
from airflow_provider_jobcleanup.auth.scnet_token import ScnetTokenProvider
from airflow_provider_jobcleanup.auth.token_cache import TokenAuth, TransportRef, shared_provider
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    ConfigurationError,
    InvalidInputError,
    ends_run,
)
from airflow_provider_jobcleanup.hooks import scnet_answers as answers
from airflow_provider_jobcleanup.hooks import scnet_protocol as proto
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.hooks.batching import chunks
from airflow_provider_jobcleanup.hooks.paging import Page, select_matching, states_from_pages, walk_pages
from airflow_provider_jobcleanup.job_ids import normalize_one
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus
from airflow_provider_jobcleanup.secrets import mask
from airflow_provider_jobcleanup.transport import ApiTransport

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
    parameters (clients report that the server does not parse a DELETE body), 50 entries per call, managers
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
    #: scheduler job states (SCNet job query reference; ``statT``/``statDE`` seen in clients)
    states = ("statR", "statQ", "statH", "statS", "statE", "statC", "statW", "statX", "statT", "statDE")

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
            raise ConfigurationError(f"connection {self.conn_id!r}: login (the SCNet portal user) is required")
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

    def _request(self, method: str, url: str, **kwargs: Any) -> Answer:
        """An authenticated call. The token is fetched first, on its own: a login that fails (an outage that
        outlasted its retries) ends here instead of being repeated by every retry of the call it serves."""
        self.token_provider.token(self.transport)
        return self.transport.request(method, url, **kwargs)

    def _read(self, response: Answer, model: type[Model], call: str) -> Model:
        return parse_answer(response, model, self.service, call)

    @cached_property
    def _center(self) -> dict[str, Any]:
        """This region's entry of ``/ac/openapi/v2/center``."""
        response = self._request("GET", f"{self.base_url}/ac/openapi/v2/center")
        data = self._read(response, answers.CenterAnswer, "center").data
        claims = self.token_provider.claims(self.transport)
        cluster_id = str(claims["clusterId"]) if claims.get("clusterId") is not None else None
        return proto.pick_center(data, cluster_id, self.extras.get("cluster_name"))

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
    def job_manager_ids(self) -> list[str]:
        """The account's job managers: extra ``job_manager_id`` alone, else every scheduler
        ``/hpc/openapi/v2/cluster`` lists."""
        configured = self.extras.get("job_manager_id")
        if configured:
            return [_manager_id(configured, "connection extra job_manager_id")]
        response = self._request("GET", f"{self.hpc_url}/hpc/openapi/v2/cluster")
        managers = self._read(response, answers.ClusterAnswer, "cluster").data
        ids = [_manager_id(m.id, "the cluster answer's job manager id") for m in managers]
        if not ids:
            raise ApiError("the cluster answer lists no job manager; set extra 'job_manager_id'", service=self.service)
        return list(dict.fromkeys(ids))

    @property
    def default_job_manager_id(self) -> str:
        """The first job manager (extra ``job_manager_id``, else the first the cluster answer lists)."""
        return self.job_manager_ids[0]

    @cached_property
    def cluster_user(self) -> str:
        """Extra ``compute_user``, else the token's ``computeUser``, else the center's home path."""
        user = self.extras.get("compute_user") or self.token_provider.claims(self.transport).get("computeUser")
        if not user:
            user = proto.home_user(self._center)
        if not user or not proto.USER_NAME.fullmatch(str(user)):
            raise ConfigurationError(
                f"connection {self.conn_id!r}: cannot tell the cluster user ({user!r}); set extra 'compute_user'"
            )
        return str(user)

    # ----------------------------------------------------------------- validation (no network)
    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        params = super().validate_params(params)
        if params.get("job_manager_id") is not None:
            params["job_manager_id"] = _manager_id(params["job_manager_id"], "job_manager_id")
        user = params.get("user")
        if user is not None and not proto.USER_NAME.fullmatch(user):
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
            raise InvalidInputError(f"job_managers must be a non-empty mapping manager id -> job ids, got {value!r}")
        result: dict[str, list[str]] = {}
        owner: dict[str, str] = {}
        for manager, ids in value.items():
            manager_id = _manager_id(manager, "job_managers key")
            if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence) or not ids:
                raise InvalidInputError(f"job_managers[{manager_id}] must be a non-empty list of job ids, got {ids!r}")
            keys = [normalize_one(i, pattern=self.job_id_pattern, description=self.job_id_description) for i in ids]
            for key in keys:
                if owner.setdefault(key, manager_id) != manager_id:
                    raise InvalidInputError(
                        f"job {key} is listed under job managers {owner[key]} and {manager_id}; report keys "
                        "would be ambiguous: delete them in separate tasks"
                    )
            result.setdefault(manager_id, []).extend(keys)
        return result

    def _plan(self, job_ids: Sequence[str], params: Mapping[str, Any]) -> list[proto.JobRef]:
        """Where each job lives, as far as the input says: a job under ``job_managers``, or any job when
        ``job_manager_id`` is given, is on that manager; any other job has no manager yet (``""``) and is
        looked for on each of the account's managers. Checks are done first; discovery only for the user."""
        assigned = {key: m for m, keys in (params.get("job_managers") or {}).items() for key in keys}
        stray = sorted(set(assigned) - set(job_ids))
        if stray:
            raise InvalidInputError(f"job_managers lists job ids that are not in job_ids: {stray}")
        split = {key: proto.split_job_key(key) for key in job_ids}
        default_manager = params.get("job_manager_id") or ""
        places: dict[tuple[str, str], str] = {}
        for key, (_, job) in split.items():
            other = places.setdefault((assigned.get(key, default_manager), job), key)
            if other != key:
                raise InvalidInputError(f"job ids {other!r} and {key!r} name the same job on the same manager")
        needs_default_user = any(user is None for user, _ in split.values())
        default_user = (params.get("user") or self.cluster_user) if needs_default_user else ""
        return [
            proto.JobRef(key, assigned.get(key, default_manager), user or default_user, job)
            for key, (user, job) in split.items()
        ]

    def _placed(self, refs: list[proto.JobRef]) -> list[proto.JobRef]:
        """``refs`` with each job's manager filled in from the last status look (which found it there)."""
        return [
            ref if ref.manager_id else proto.JobRef(ref.key, self._placements[ref.key], ref.user, ref.job_id)
            for ref in refs
        ]

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        refs = self._plan(job_ids, params)
        unplaced = [ref for ref in refs if not ref.manager_id and ref.key not in self._placements]
        if unplaced:  # only when the delete did not look first: find them now
            states = self._states(unplaced)
            gone = {ref.key for ref in unplaced if states[ref.key].gone and ref.key not in self._placements}
            report.record_gone(key for key in job_ids if key in gone)
            refs = [ref for ref in refs if ref.key not in gone]
        refs = self._placed(refs)
        unconfirmed: list[proto.JobRef] = []
        for chunk in chunks(refs, ENTRIES_PER_CALL):
            unconfirmed.extend(self._delete_chunk(chunk, report))
        if unconfirmed:
            self._recheck(unconfirmed, report)

    def _delete_chunk(self, refs: list[proto.JobRef], report: DeletionReport) -> list[proto.JobRef]:
        """One delete call; returns the jobs whose outcome the answer did not state."""
        try:
            response = self._request(
                "DELETE",
                f"{self.hpc_url}/hpc/openapi/v2/jobs",
                params={"jobMethod": "5", "strJobInfoMap": proto.build_job_info_map(refs)},
            )
        except ApiError as err:
            if ends_run(err):
                raise
            for ref in refs:
                report.record_failed(ref.key, str(err))
            return []
        outcomes = self._delete_outcomes(response, refs)
        unconfirmed = []
        for ref in refs:
            outcome = outcomes.get(ref.manager_id, {}).get((ref.user, ref.job_id))
            if outcome is None:
                unconfirmed.append(ref)
            elif outcome.deleted:
                report.record_deleted([ref.key])
            elif outcome.not_found:
                report.record_gone([ref.key])
            else:
                report.record_failed(ref.key, f"job manager {ref.manager_id} refused: {outcome.reason}")
        return unconfirmed

    def _delete_outcomes(
        self, response: Answer, refs: list[proto.JobRef]
    ) -> dict[str, dict[tuple[str, str], proto.DeleteOutcome]]:
        """The per-manager messages, checked against what was sent: a message for a manager that was not
        asked, or naming an entry that was not sent, is an answer not understood."""
        data = self._read(response, answers.DeleteAnswer, "delete").data
        sent: dict[str, set[tuple[str, str]]] = {}
        for ref in refs:
            sent.setdefault(ref.manager_id, set()).add((ref.user, ref.job_id))
        strangers = sorted(set(data) - set(sent))
        if strangers:
            raise unexpected(response, self.service, "delete", f"messages for job managers not asked: {strangers}")
        outcomes = proto.parse_delete_answer(data)
        for manager, found in outcomes.items():
            unsent = sorted(f"{user}:{job}" for user, job in set(found) - sent[manager])
            if unsent:
                raise unexpected(
                    response,
                    self.service,
                    "delete",
                    f"job manager {manager}'s message names jobs not sent: {unsent[:5]}",
                )
        return outcomes

    def _recheck(self, refs: list[proto.JobRef], report: DeletionReport) -> None:
        log.warning("scnet: the delete answer did not mention %d job(s); checking their state", len(refs))
        try:
            states = self._states(refs)
        except ApiError as err:
            if ends_run(err):
                raise
            for ref in refs:
                report.record_failed(ref.key, f"delete not confirmed by the service, and the re-check failed: {err}")
            return
        for ref in refs:
            status = states[ref.key]
            if status.gone:
                report.record_gone([ref.key])
            else:
                report.record_failed(ref.key, f"delete not confirmed by the service; the job is still {status.state}")

    # ----------------------------------------------------------------- status
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        refs = self._plan(job_ids, self.validate_params(params))
        states = self._states(refs)
        return {key: states[key] for key in job_ids}

    def _states(self, refs: list[proto.JobRef]) -> dict[str, JobStatus]:
        """Each job's status on its manager; a job without a manager is looked for on every manager of the
        account and is gone only when none holds it. Found on several: the task fails naming them."""
        everywhere = self.job_manager_ids if any(not ref.manager_id for ref in refs) else []
        wanted: dict[str, set[str]] = {}
        for ref in refs:
            for manager in [ref.manager_id] if ref.manager_id else everywhere:
                wanted.setdefault(manager, set()).add(ref.job_id)
        seen: dict[tuple[str, str], JobStatus] = {}
        for manager, jobs in wanted.items():
            ids = sorted(jobs)
            # No owner filter: job ids are unique per manager, and a job another user owns is not gone.
            query: dict[str, Any] = {"strClusterIDList": manager}
            if len(ids) == 1:
                query["strJobId"] = ids[0]
            pages = self._walk("/hpc/openapi/v2/jobs", query, manager=manager, owner=None)
            found = states_from_pages(ids, pages, PAGE_SIZE, partial(self._look_up, manager=manager))
            for job_id, status in found.items():
                seen[(manager, job_id)] = status
        result: dict[str, JobStatus] = {}
        for ref in refs:
            if ref.manager_id:
                status = seen[(ref.manager_id, ref.job_id)]
            else:
                holders = [m for m in everywhere if seen[(m, ref.job_id)].state is not None]
                if len(holders) > 1:
                    raise InvalidInputError(
                        f"job {ref.key} exists on job managers {holders}: name its manager with job_managers "
                        "or job_manager_id"
                    )
                if holders:
                    self._placements[ref.key] = holders[0]
                status = seen[(holders[0], ref.job_id)] if holders else JobStatus(ref.key, gone=True)
            state = status.state
            result[ref.key] = JobStatus(ref.key, gone=state is None or state in proto.TERMINAL_STATES, state=state)
        return result

    @cached_property
    def _placements(self) -> dict[str, str]:
        """Report key -> the job manager a status look found the job on."""
        return {}

    def _walk(self, path: str, query: Mapping[str, Any], *, manager: str, owner: str | None) -> Iterator[Page]:
        """Pages of a list (``start`` is a 0-based row offset) as ``(rows, total)``. Only rows of ``manager``
        (and of ``owner`` when given) are kept: a foreign row is never evidence, and with it on a page the
        kept rows fall short of the total, so absence from the listing proves nothing. The walk itself
        (:func:`walk_pages`, at most ``max_list_pages`` pages) goes by the rows the service sent."""

        def fetch(index: int) -> tuple[list[answers.JobRow], int]:
            params = {**query, "start": index * PAGE_SIZE, "limit": PAGE_SIZE}
            response = self._request("GET", f"{self.hpc_url}{path}", params=params)
            page = self._read(response, answers.ListAnswer, f"list {path}").data
            return page.rows, page.total

        pages = walk_pages(fetch, PAGE_SIZE, self.limits.max_pages, self.service, row_id=lambda row: str(row.jobId))
        for rows, total in pages:
            yield [self._info(row) for row in rows if self._ours(row, manager, owner)], total

    @staticmethod
    def _ours(row: answers.JobRow, manager: str, owner: str | None) -> bool:
        if row.jobmanagerId is not None and str(row.jobmanagerId) != manager:
            return False
        if owner is not None and row.user != owner:
            if row.user is None:
                log.warning("scnet: a listed row names no owner; it is not selected")
            return False
        return True

    @staticmethod
    def _info(row: answers.JobRow) -> JobInfo:
        return JobInfo(
            job_id=str(row.jobId),
            state=row.state,
            name=row.jobName,
            created_at=proto.parse_time(row.jobSubmitTime) or proto.parse_time(row.jobStartTime),
        )

    def _look_up(self, job_id: str, manager: str) -> JobStatus:
        detail = self._detail(job_id, manager)
        if detail is None:
            return JobStatus(job_id, gone=True)
        state = proto.item_state(detail)
        return JobStatus(job_id, gone=state in proto.TERMINAL_STATES, state=state)

    def _detail(self, number: str, manager: str) -> dict[str, Any] | None:
        try:
            response = self._request(
                "GET", f"{self.hpc_url}/hpc/openapi/v2/jobs/{number}", params={"strJobManagerID": manager}
            )
        except ApiError as err:
            if err.error_code and not err.retryable and proto.is_not_found_reason(err.message):
                return None
            raise
        data = self._read(response, answers.DetailAnswer, "job detail").data
        listed_manager = data.get("jobManagerId", data.get("jobmanagerId"))
        if str(data.get("jobId", number)) != number or (listed_manager is not None and str(listed_manager) != manager):
            raise unexpected(response, self.service, "job detail", "the answer is about another job or manager")
        if not proto.item_state(data):
            raise unexpected(response, self.service, "job detail", "no job state")
        return dict(data)

    def get_job_detail(self, job_id: str | int, job_manager_id: str | None = None) -> dict[str, Any] | None:
        """``GET /hpc/openapi/v2/jobs/{jobId}?strJobManagerID=``: the job's fields, or ``None`` when the
        service says it does not exist (an error code with a not-found message; the not-found answer is
        undocumented) [INF]."""
        key = normalize_one(job_id, pattern=self.job_id_pattern, description=self.job_id_description)
        _, number = proto.split_job_key(key)
        manager = _manager_id(job_manager_id, "job_manager_id") if job_manager_id else self.default_job_manager_id
        return self._detail(number, manager)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """The user's jobs in the realtime list of ``job_manager_id``, else of every manager of the account."""
        params = self.validate_params(params)
        if params.get("job_managers"):
            raise InvalidInputError("job_managers addresses given job ids; to list by filter use job_manager_id")
        owner = params.get("user") or self.cluster_user
        query: dict[str, Any] = {"strJobOwner": owner}
        if len(job_filter.states) == 1:
            query["strJobStat"] = _canonical_state(job_filter.states[0])
        if job_filter.name_pattern and not re.search(r"[*?\[\]]", job_filter.name_pattern):
            query["strJobName"] = job_filter.name_pattern
        found: list[JobInfo] = []
        for manager in self._managers(params):
            pages = self._walk(
                "/hpc/openapi/v2/jobs", {**query, "strClusterIDList": manager}, manager=manager, owner=owner
            )
            found.extend(select_matching(pages, job_filter, self.service))
        return found

    def _managers(self, params: Mapping[str, Any]) -> list[str]:
        return [params["job_manager_id"]] if params.get("job_manager_id") else self.job_manager_ids

    def list_history_jobs(
        self, job_filter: JobFilter, *, since: datetime, until: datetime | None = None, **params: Any
    ) -> list[JobInfo]:
        """Ended jobs from ``/hpc/openapi/v2/historyjobs`` whose end time is in ``[since, until]``, on
        ``job_manager_id``, else on every manager of the account."""
        params = self.validate_params(params)
        # the API's times have whole seconds: "now" rounded up, so jobs that ended this second are included
        until = until or datetime.now(timezone.utc) + timedelta(seconds=1)
        owner = params.get("user") or self.cluster_user
        query: dict[str, Any] = {
            "strUser": owner,
            "timeType": "CUSTOM",
            "isQueryByQueueTime": "false",
            "startTime": proto.format_time(since),
            "endTime": proto.format_time(until),
        }
        if len(job_filter.states) == 1:
            query["jobState"] = _canonical_state(job_filter.states[0])
        found: list[JobInfo] = []
        for manager in self._managers(params):
            pages = self._walk(
                "/hpc/openapi/v2/historyjobs", {**query, "strClusterNameList": manager}, manager=manager, owner=owner
            )
            found.extend(select_matching(pages, self.check_filter(job_filter), self.service))
        return found

    def check_access(self) -> str | None:
        """Log in, discover the HPC URL and job manager, and read one page of the realtime list."""
        calls = self.api_calls
        manager = self.default_job_manager_id
        next(self._walk("/hpc/openapi/v2/jobs", {"strClusterIDList": manager}, manager=manager, owner=None), None)
        return self.proof(f"listed jobs of job manager {manager}", calls)


def _manager_id(value: Any, what: str) -> str:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not proto.MANAGER_ID.fullmatch(text):
        raise InvalidInputError(f"{what} must be a job manager (scheduler) id such as 1638523853, got {value!r}")
    return text


def _canonical_state(state: str) -> str:
    """``statr`` / ``STATR`` -> ``statR`` (the API's spelling); unknown words are passed through."""
    for known in proto.STATES:
        if known.lower() == state.lower():
            return known
    return state
