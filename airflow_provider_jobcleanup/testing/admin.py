"""Client of the emulator's admin API (``/_emulator/...``): seed jobs and clusters, read state and request
counts, inject faults. It sends no credentials: the admin API needs none."""

from __future__ import annotations

from typing import Any

import requests

#: the ``attrs`` key naming where a job lives, per service: MRS cluster, E-HPC region, SCNet job manager
PLACE_ATTRS = {"mrs": "cluster_id", "ehpc": "region", "scnet": "job_manager_id"}


class EmulatorAdmin:
    """Admin client of the emulator at ``url`` (e.g. ``http://127.0.0.1:8765``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.post(f"{self.url}{path}", json=body or {}, timeout=30)
        if not response.ok:  # the emulator says what was wrong with the request: keep it in the error
            message = f"emulator {path}: HTTP {response.status_code}: {response.text[:500]}"
            raise requests.HTTPError(message, response=response)
        return dict(response.json())

    def _get(self, path: str, **params: str) -> dict[str, Any]:
        response = self.session.get(f"{self.url}{path}", params=params, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    # ------------------------------------------------------------------ jobs
    def seed(
        self,
        service: str,
        count: int = 1,
        *,
        state: str | None = None,
        name: str | None = None,
        age_seconds: float | None = None,
        attrs: dict[str, Any] | None = None,
        cluster_id: str | None = None,
        region: str | None = None,
        job_manager_id: str | None = None,
    ) -> list[str]:
        """Create ``count`` jobs of ``service`` (``mrs``, ``dli``, ``res``, ``ehpc``, ``scnet``); returns their ids.

        :param state: the service's own state name (e.g. ``FAILED`` for MRS, ``Running`` for E-HPC,
            ``statQ`` for SCNet); default: a finished or failed state the service can delete.
        :param name: job names are ``{name}-0``, ``{name}-1``... (default ``{service}-job-N``).
        :param age_seconds: how long ago the jobs were created (for ``older_than`` filters).
        :param attrs: service-specific fields, see the README's seed format.
        :param cluster_id: MRS cluster, :param region: E-HPC region, :param job_manager_id: SCNet job manager
            (shortcuts for the same ``attrs`` keys; a cluster or region that does not exist yet is created).
        """
        spec: dict[str, Any] = {"service": service, "count": count, "attrs": dict(attrs or {})}
        if state is not None:
            spec["state"] = state
        if name is not None:
            spec["name"] = name
        if age_seconds is not None:
            spec["age_seconds"] = age_seconds
        for key, value in (("cluster_id", cluster_id), ("region", region), ("job_manager_id", job_manager_id)):
            if value is not None:
                if PLACE_ATTRS.get(service) != key:
                    raise ValueError(f"{key}= does not apply to service {service!r}")
                spec["attrs"][key] = value
        return list(self._post("/_emulator/jobs", spec)["job_ids"])

    def seed_jobs(self, service: str, jobs: list[dict[str, Any]]) -> list[str]:
        """Create one job per entry (``job_id``, ``name``, ``state``, ``age_seconds``, ``attrs``)."""
        return list(self._post("/_emulator/jobs", {"service": service, "jobs": jobs})["job_ids"])

    def jobs(self, service: str) -> list[dict[str, Any]]:
        """Every job of ``service``, deleted ones included (``deleted_at``, ``delete_count``)."""
        return list(self._get("/_emulator/jobs", service=service)["jobs"])

    def job(self, service: str, job_id: str) -> dict[str, Any] | None:
        """One job as :meth:`jobs` shows it, or ``None`` if it was never seeded."""
        return next((j for j in self.jobs(service) if j["job_id"] == str(job_id)), None)

    def state(self, service: str, job_id: str) -> str | None:
        """The job's state as the service shows it (E-HPC ``Deleted`` and SCNet ``statE`` after a delete; the
        Huawei services keep the last state), or ``None`` if it was never seeded."""
        job = self.job(service, job_id)
        return None if job is None else str(job["state"])

    def is_deleted(self, service: str, job_id: str) -> bool:
        """Whether a delete call removed the job (``False`` for a job that was never seeded)."""
        job = self.job(service, job_id)
        return job is not None and job["deleted_at"] is not None

    def live_ids(self, service: str) -> set[str]:
        """Ids of the jobs of ``service`` that are not deleted."""
        return {j["job_id"] for j in self.jobs(service) if j["deleted_at"] is None}

    # ------------------------------------------------------------------ clusters
    def add_clusters(self, service: str, ids: list[str]) -> list[str]:
        """Create MRS clusters (``service="mrs"``) or E-HPC regions (``"ehpc"``); returns all of them."""
        return list(self._post("/_emulator/clusters", {"service": service, "ids": list(ids)})["clusters"])

    def clusters(self) -> dict[str, list[str]]:
        """Every service's clusters (MRS cluster ids, E-HPC regions)."""
        return dict(self._get("/_emulator/clusters")["clusters"])

    # ------------------------------------------------------------------ behaviour
    def stats(self) -> dict[str, int]:
        """Request counts: per route (``mrs.batch_delete``...), per service (``service:mrs``), ``total``."""
        return dict(self._get("/_emulator/stats")["requests"])

    def faults(self, **config: Any) -> None:
        """Inject faults: ``rate`` (0..1), ``kinds`` (weights of ``throttle``, ``unavailable``, ``slow``,
        ``reset``, ``lost_response``), ``services`` (default all), ``retry_after``, ``slow_seconds``, ``seed``.
        ``faults()`` with no argument turns them off."""
        self._post("/_emulator/faults", config)

    def config(self, **values: Any) -> None:
        """Runtime settings, e.g. ``huawei_token_ttl=2``, ``scnet_linger_seconds=0``."""
        self._post("/_emulator/config", values)

    def expire_tokens(self, older_than: float = 0.0) -> None:
        """Every token issued so far stops working (``older_than``: only those issued that long ago)."""
        self._post("/_emulator/expire-tokens", {"older_than": older_than} if older_than else None)

    def reset(self) -> None:
        """Forget jobs, clusters (but the defaults), tokens, stats, faults and config."""
        self._post("/_emulator/reset")
