"""Thread-safe job store shared by every emulated service."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EmulatedJob:
    """A job in one service. ``attrs`` holds service-specific fields (cluster id, job type, manager id...)."""

    service: str
    job_id: str
    name: str = ""
    state: str = ""
    created_at: float = field(default_factory=time.time)
    attrs: dict[str, Any] = field(default_factory=dict)
    deleted_at: float | None = None
    delete_count: int = 0  # how many delete calls hit this job while it existed (chaos checks want 1)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JobStore:
    """Jobs by service and id, insertion-ordered; and the clusters they live in.

    A *cluster* is the place a service keeps jobs in: an MRS cluster id, an E-HPC region. It exists on its own,
    before its first job and after its last one is deleted; a reset keeps only the service's default clusters.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._jobs: dict[str, dict[str, EmulatedJob]] = {}
        self._removed: dict[str, dict[str, EmulatedJob]] = {}  # deleted without a record, kept for the admin API
        self._default_clusters: dict[str, tuple[str, ...]] = {}
        self._clusters: dict[str, dict[str, None]] = {}  # insertion-ordered sets

    def add(self, job: EmulatedJob) -> EmulatedJob:
        with self.lock:
            self._jobs.setdefault(job.service, {})[job.job_id] = job
        return job

    def get(self, service: str, job_id: str) -> EmulatedJob | None:
        with self.lock:
            return self._jobs.get(service, {}).get(job_id)

    def live(self, service: str, job_id: str) -> EmulatedJob | None:
        """The job if it exists and is not deleted."""
        job = self.get(service, job_id)
        return job if job is not None and not job.deleted else None

    def select(self, service: str, predicate: Callable[[EmulatedJob], bool] | None = None) -> list[EmulatedJob]:
        with self.lock:
            jobs = list(self._jobs.get(service, {}).values())
        return [j for j in jobs if predicate is None or predicate(j)]

    def mark_deleted(self, job: EmulatedJob, *, keep_record: bool = False, deleted_state: str = "") -> None:
        """Delete ``job``; ``keep_record`` keeps it visible in a deleted state (E-HPC keeps ``Deleted``)."""
        with self.lock:
            job.delete_count += 1
            job.deleted_at = time.time()
            if keep_record and deleted_state:
                job.state = deleted_state
            if not keep_record:
                self._jobs.get(job.service, {}).pop(job.job_id, None)
                self._removed.setdefault(job.service, {})[job.job_id] = job

    def snapshot(self, service: str | None = None, include_deleted: bool = True) -> list[dict[str, Any]]:
        """Every job (and, with ``include_deleted``, every removed one) as plain dicts, for the admin API."""
        with self.lock:
            services: Iterable[str] = [service] if service else sorted(set(self._jobs) | set(self._removed))
            out: list[dict[str, Any]] = []
            for name in services:
                out.extend(j.to_dict() for j in self._jobs.get(name, {}).values())
                if include_deleted:
                    out.extend(j.to_dict() for j in self._removed.get(name, {}).values())
            return out

    def define_clusters(self, service: str, defaults: Iterable[str]) -> None:
        """Declare that ``service`` keeps jobs in clusters, and which ones exist from the start."""
        with self.lock:
            self._default_clusters[service] = tuple(defaults)
            self._clusters[service] = dict.fromkeys(self._default_clusters[service])

    def add_clusters(self, service: str, cluster_ids: Iterable[str]) -> list[str]:
        """Create clusters (existing ones are kept); returns every cluster of ``service``."""
        with self.lock:
            if service not in self._clusters:
                known = sorted(self._clusters)
                raise ValueError(f"service {service!r} has no clusters; services with clusters: {known}")
            for cluster_id in cluster_ids:
                if not isinstance(cluster_id, str) or not cluster_id:
                    raise ValueError(f"a cluster id must be a non-empty string, got {cluster_id!r}")
                self._clusters[service][cluster_id] = None
            return list(self._clusters[service])

    def has_cluster(self, service: str, cluster_id: str) -> bool:
        with self.lock:
            return cluster_id in self._clusters.get(service, {})

    def clusters(self) -> dict[str, list[str]]:
        """Every service's clusters, for the admin API."""
        with self.lock:
            return {service: list(ids) for service, ids in self._clusters.items()}

    def clear(self) -> None:
        with self.lock:
            self._jobs.clear()
            self._removed.clear()
            self._clusters = {service: dict.fromkeys(ids) for service, ids in self._default_clusters.items()}
