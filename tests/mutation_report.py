"""Prints the score of the last `make mutation` run: killed / total over the planned mutants, and every
mutant that survived (``mutmut show NAME`` prints its diff while ``mutants/`` exists).

Run from the project root: ``python -m tests.mutation_report [PATTERN ...]``: the mutants the run was asked for
(``MUTANTS``; every planned one by default). Exits non-zero when none of them was checked.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

from tests.mutation_plan import patterns

#: the tests did not pass with the mutant: a test failed, it ran out of time, or it was killed by a signal (mutmut
#: says "segfault" for SIGSEGV and for the SIGKILL of its CPU-time limit, as when a mutant loops)
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def results(asked: list[str]) -> dict[str, str]:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True)
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and any(fnmatchcase(name, p) for p in asked):
            found[name] = status
    return found


def changed_lines(name: str) -> list[str]:
    """The removed and added lines of a mutant's diff (``mutmut show``)."""
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "show", name], capture_output=True, text=True, check=False).stdout
    return [line.strip() for line in out.splitlines() if line[:2] in ("- ", "+ ")]


def main(argv: list[str]) -> int:
    found = results(argv or patterns())
    counts = Counter(found.values())
    total = sum(n for status, n in counts.items() if status not in ("not checked", "skipped"))
    killed = sum(counts[s] for s in KILLED)
    print("mutation statuses:", ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    by_module = Counter(name.split(".x")[0] for name, status in found.items() if status == "survived")
    for module, n in sorted(by_module.items()):
        print(f"  survivors in {module}: {n}")
    for name, status in sorted(found.items()):
        if status not in KILLED:
            print(f"  {status}: {name}")
            for line in changed_lines(name):
                print(f"      {line}")
    if not total:
        print("no mutant was checked")
        return 1
    print(f"mutation score: {killed}/{total} killed ({100 * killed / total:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
