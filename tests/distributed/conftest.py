"""The distributed run needs drivers that only `make test-distributed` installs (its extra); without them the
default suite does not collect it (`make test-distributed` then fails on "no tests ran")."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("psycopg2") else ["test_*.py"]
