"""Fault injection: decides, per request, whether the emulator misbehaves and how."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KINDS = ("throttle", "unavailable", "unknown_code", "slow", "reset", "lost_response")


@dataclass
class FaultConfig:
    """``rate`` is the share of requests that get a fault; ``kinds`` weights which one.

    * ``throttle``: HTTP 429 (or the service's throttling shape) with a retry-after hint;
    * ``unavailable``: HTTP 503;
    * ``unknown_code``: an error in the service's own shape with a code no client knows (``EMU.9999`` for
      Huawei, ``Emulator.UnknownCode`` for E-HPC, ``"99999"`` for SCNet), never retryable, never "not found";
    * ``slow``: the answer is delayed by ``slow_seconds`` (then processed normally);
    * ``reset``: the connection is reset before the request is processed;
    * ``lost_response``: the request is processed, then the connection is reset (the client never
      learns that it succeeded).
    """

    rate: float = 0.0
    kinds: dict[str, float] = field(default_factory=lambda: {"throttle": 1.0, "unavailable": 1.0})
    retry_after: float = 0.05
    slow_seconds: float = 2.0
    services: list[str] | None = None  # None: every service
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        config = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if not 0.0 <= float(config.rate) <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {config.rate!r}")
        unknown = set(config.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {list(KINDS)}")
        return config


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.config = FaultConfig()
        self._rng = random.Random()
        self.injected: Counter[str] = Counter()

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def pick(self, service: str) -> str | None:
        """The fault for this request, or ``None``."""
        with self._lock:
            config = self.config
            if config.rate <= 0 or (config.services is not None and service not in config.services):
                return None
            if self._rng.random() >= config.rate:
                return None
            kinds = [k for k, w in config.kinds.items() if w > 0]
            if not kinds:
                return None
            kind = self._rng.choices(kinds, weights=[config.kinds[k] for k in kinds])[0]
            self.injected[kind] += 1
            return kind
