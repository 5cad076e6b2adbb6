"""Watches the metadata database from a thread: when each task instance changed state, which triggerer ran
each trigger, and each deferred task's deadline (``trigger_timeout``), sampled twice a second."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

import psycopg2


class Observer:
    def __init__(self, dsn: dict[str, Any], interval: float = 0.5) -> None:
        self.dsn = dsn
        self.interval = interval
        self.lock = threading.Lock()
        #: (dag_id, task_id) -> [(time, state, try_number)], one entry per change
        self.states: dict[tuple[str, str], list[tuple[float, str | None, int]]] = defaultdict(list)
        #: (dag_id, task_id) -> every trigger_timeout seen while deferred (epoch seconds)
        self.deadlines: dict[tuple[str, str], set[float]] = defaultdict(set)
        #: (dag_id, task_id) -> [(time, triggerer job id)], one entry per change
        self.assignments: dict[tuple[str, str], list[tuple[float, int | None]]] = defaultdict(list)
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="metadata-observer", daemon=True)

    def __enter__(self) -> Observer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        conn = psycopg2.connect(**self.dsn)
        conn.autocommit = True
        try:
            while not self._stop.is_set():
                try:
                    self._sample(conn)
                except psycopg2.Error:
                    self.errors += 1
                self._stop.wait(self.interval)
        finally:
            conn.close()

    def _sample(self, conn: Any) -> None:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT ti.dag_id, ti.task_id, ti.state, ti.try_number, "
                "EXTRACT(EPOCH FROM ti.trigger_timeout), tr.triggerer_id "
                "FROM task_instance ti LEFT JOIN trigger tr ON tr.id = ti.trigger_id "
                "WHERE ti.dag_id LIKE %s",
                ("dist\\_%",),
            )
            rows = cur.fetchall()
        now = time.time()
        with self.lock:
            for dag_id, task_id, state, try_number, deadline, triggerer in rows:
                key = (dag_id, task_id)
                history = self.states[key]
                if not history or history[-1][1:] != (state, try_number):
                    history.append((now, state, try_number))
                if state == "deferred":
                    if deadline is not None:
                        self.deadlines[key].add(float(deadline))
                    assigned = self.assignments[key]
                    if not assigned or assigned[-1][1] != triggerer:
                        assigned.append((now, triggerer))

    # ------------------------------------------------------------------ questions
    def first(self, key: tuple[str, str], predicate) -> float | None:
        with self.lock:
            return next((t for t, state, tries in self.states[key] if predicate(state, tries)), None)

    def left_deferred_at(self, key: tuple[str, str]) -> float | None:
        """When the task was first seen out of ``deferred`` after being deferred (its trigger fired)."""
        with self.lock:
            history = list(self.states[key])
        seen_deferred = False
        for at, state, _ in history:
            if state == "deferred":
                seen_deferred = True
            elif seen_deferred:
                return at
        return None

    def assigned_at(self, key: tuple[str, str], triggerer: int) -> float | None:
        with self.lock:
            return next((t for t, job in self.assignments[key] if job == triggerer), None)

    def holders(self, key: tuple[str, str]) -> list[int | None]:
        with self.lock:
            return [job for _, job in self.assignments[key]]
