"""Benchmark: start-up time of ``import rectify`` in fresh interpreters.

Each measurement starts a new interpreter and times it from spawn to exit,
so it includes the interpreter's own start-up; a bare interpreter
(``python -c pass``) is measured in the same run, interleaved, as the anchor,
and the library's own share is the difference of the medians.

Bytecode is written to a temporary cache (``PYTHONPYCACHEPREFIX``) by a first,
unmeasured run, so the numbers are those of an installed package with its
compiled modules, whatever ``PYTHONDONTWRITEBYTECODE`` says in the caller's
environment.  ``--importtime`` prints the modules costing most (their own
time, from ``python -X importtime``) and the third-party packages that were
loaded.

``rectify --help`` is measured as ``python -m rectify --help`` (the console
script adds only its own small entry point).

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--runs N] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
TARGET_IMPORT_MS = 100.0
TARGET_HELP_MS = 200.0
CASES: dict[str, list[str]] = {
    "python -c pass (anchor)": ["-c", "pass"],
    "import rectify": ["-c", "import rectify"],
    "import rectify.identify": ["-c", "import rectify.identify"],
    "from rectify import Campaign": ["-c", "from rectify import Campaign"],
    "everything in rectify.__all__": ["-c", "import rectify; [getattr(rectify, n) for n in "
                                      "rectify.__all__]"],
    "rectify --help": ["-m", "rectify", "--help"],
}


def _env(cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def importtime(env: dict[str, str], top: int = 15) -> tuple[list[tuple[int, str]], list[str]]:
    """The ``top`` modules by own import time (µs) and the top-level packages imported."""
    code = "import rectify; [getattr(rectify, n) for n in rectify.__all__]"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         env=env, check=True, capture_output=True, text=True).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            rows.append((int(m.group(1)), m.group(2)))
    packages = sorted({name.split(".")[0] for _, name in rows})
    return sorted(rows, reverse=True)[:top], packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="fresh interpreters per case")
    parser.add_argument("--importtime", action="store_true",
                        help="also print the costliest modules and the packages loaded")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rectify-pyc-") as cache:
        env = _env(cache)
        for case in CASES.values():  # warm the bytecode cache and the OS file cache
            _once(case, env)
        times: dict[str, list[float]] = {name: [] for name in CASES}
        for _ in range(args.runs):  # interleaved, so load changes hit every case alike
            for name, case in CASES.items():
                times[name].append(_once(case, env))
        load = os.getloadavg()
        print(f"python {sys.version.split()[0]}, {args.runs} runs each, "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"{'case':32} {'median ms':>10} {'min ms':>8} {'above anchor':>13}")
        anchor = statistics.median(next(iter(times.values())))
        for name, values in times.items():
            med = statistics.median(values)
            print(f"{name:32} {med * 1e3:10.1f} {min(values) * 1e3:8.1f} "
                  f"{(med - anchor) * 1e3:13.1f}")
        own = statistics.median(times["import rectify"])
        print(f"import rectify: {own * 1e3:.0f} ms (target <= {TARGET_IMPORT_MS:.0f} ms) -> "
              f"{'met' if own * 1e3 <= TARGET_IMPORT_MS else 'MISSED'}; "
              f"{own / anchor:.1f}x a bare interpreter")
        shown = statistics.median(times["rectify --help"])
        print(f"rectify --help: {shown * 1e3:.0f} ms (target <= {TARGET_HELP_MS:.0f} ms) -> "
              f"{'met' if shown * 1e3 <= TARGET_HELP_MS else 'MISSED'}")
        if args.importtime:
            top, packages = importtime(env)
            print("\ncostliest modules (own import time) when every public name is loaded:")
            for us, name in top:
                print(f"  {us / 1e3:7.1f} ms  {name}")
            third = Counter(p for p in packages if p not in sys.stdlib_module_names)
            print("packages outside the standard library:", ", ".join(sorted(third)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
