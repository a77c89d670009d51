"""Run a module (-m NAME args...) or a script (PATH args...) in this process, then print its
wall time and peak resident memory (VmHWM) on the last line of stderr as JSON."""

from __future__ import annotations

import json
import runpy
import sys
import time


def status_mib(field: str) -> float:
    """A memory field of this process's /proc/self/status ("VmHWM": peak resident, "VmRSS": now), MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mib() -> float:
    return status_mib("VmHWM")


def main() -> None:
    start = time.perf_counter()
    args = sys.argv[1:]
    code = 0
    try:
        if args[0] == "-m":
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__")
        else:
            sys.argv = args
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    sys.stderr.write(json.dumps({"wall_s": time.perf_counter() - start, "peak_mib": peak_mib(), "code": code}) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
