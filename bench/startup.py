"""How long does ``erpsync --help`` take, start to exit, in a fresh interpreter?

An operator types ``erpsync --help`` (or ``erpsync <command> --help``) to find their way; cron runs
``erpsync reconcile`` many times a day. Both pay for every module the CLI imports before it parses
the command line, so SQLAlchemy, requests, marshmallow and rich are imported where a command uses
them, not at start-up.

Runs the console script RUNS times in a subprocess (one warm-up first, so the bytecode cache is
written and the OS has the files in memory), prints each command's median and ends with one line
``startup: help_seconds=<median of erpsync --help> target=0.2 floor_seconds=... ratio=...``.

The floor is what any ``--help`` listing plugin commands pays before a line of erpsync runs: the
interpreter with this environment's ``site`` (an editable install adds its import finder), click,
pluggy, and ``importlib.metadata`` finding the ``erpsync`` entry points (the import alone pulls in
``email``, ``zipfile`` and ``csv``). It is timed the same way, in subprocesses of the same
interpreter, so the ratio says how much erpsync adds to it on this machine. Timings vary with the
machine's load: compare runs on the same machine.

Usage: python bench/startup.py [RUNS]   (default 15)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 0.2
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("reconcile", "--help"), ("auth", "--help"))
#: what ``erpsync --help`` cannot do without: click, pluggy, and the plugins' entry points found
FLOOR = "import click, pluggy, importlib.metadata as m; m.entry_points(group='erpsync')"


def _script() -> list[str]:
    """The installed ``erpsync`` console script next to this interpreter, else ``python -m erpsync``."""
    script = Path(sys.executable).with_name("erpsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "erpsync"]


#: the environment the commands run in: with the bytecode cache, as every installation has it. With
#: PYTHONDONTWRITEBYTECODE set (some containers set it), an editable install compiles all of
#: erpsync's modules again at every start (about 0.08 s more on the development machine), which
#: no installed wheel pays
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def median_seconds(argv: list[str], runs: int) -> float:
    time_once(argv)  # warm-up: not counted
    return statistics.median(time_once(argv) for _ in range(runs))


def main(runs: int) -> None:
    medians = {args: median_seconds([*_script(), *args], runs) for args in COMMANDS}
    for args, seconds in medians.items():
        print(f"erpsync {' '.join(args):<18} median {seconds:.3f} s over {runs} runs")
    bare = median_seconds([sys.executable, "-c", "pass"], runs)
    floor = median_seconds([sys.executable, "-c", FLOOR], runs)
    print(f"python -c pass             median {bare:.3f} s (the interpreter and site)")
    print(f"floor                      median {floor:.3f} s (+ click, pluggy, the plugins' entry points)")
    help_s = medians[("--help",)]
    print(f"startup: help_seconds={help_s:.3f} target={TARGET} floor_seconds={floor:.3f} ratio={help_s / floor:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
