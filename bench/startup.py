"""How long does ``erpsync --help`` take, start to exit, in a fresh interpreter?

An operator types ``erpsync --help`` (or ``erpsync <command> --help``) to find their way; cron runs
``erpsync reconcile`` many times a day. Both pay for every module the CLI imports before it parses
the command line, so SQLAlchemy, requests, marshmallow and rich are imported where a command uses
them, not at start-up.

Runs the console script RUNS times in a subprocess (one warm-up first, so the bytecode cache is
written and the OS has the files in memory), prints each command's median and ends with one line
``startup: help_seconds=<median of erpsync --help> target=0.2``. Timings vary with the machine's
load: compare runs on the same machine.

Usage: python bench/startup.py [RUNS]   (default 15)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 0.2
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("reconcile", "--help"), ("auth", "--help"))


def _script() -> list[str]:
    """The installed ``erpsync`` console script next to this interpreter, else ``python -m erpsync``."""
    script = Path(sys.executable).with_name("erpsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "erpsync"]


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_seconds(args: tuple[str, ...], runs: int) -> float:
    argv = [*_script(), *args]
    time_once(argv)  # warm-up: not counted
    return statistics.median(time_once(argv) for _ in range(runs))


def main(runs: int) -> None:
    medians = {args: median_seconds(args, runs) for args in COMMANDS}
    for args, seconds in medians.items():
        print(f"erpsync {' '.join(args):<18} median {seconds:.3f} s over {runs} runs")
    print(f"startup: help_seconds={medians[('--help',)]:.3f} target={TARGET}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
