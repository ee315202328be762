"""Memory figures for the benches, from the kernel's own counters (Linux ``/proc``).

Shared by ``diff.py`` and ``diff_listings.py``: the resident set now, the peak since the last
reset, and the reset itself, so a bench can report the diff's own peak apart from its inputs'.
"""

from __future__ import annotations

import resource

__all__ = ["peak_mib", "reset_peak", "rss_mib"]


def rss_mib() -> float:
    """The resident set now (``/proc/self/statm``), not the peak."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak() -> bool:
    """Restart the kernel's peak-RSS count (VmHWM), so the diffs' peak is not the build's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """The peak resident set since the last ``reset_peak`` (VmHWM)."""
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib / 1024
