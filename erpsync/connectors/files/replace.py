"""Replacing the warehouses file safely while other programs may be using it.

What a rewrite keeps and guards against:

- **Symlinks.** The file is replaced at the link's target (``os.path.realpath``); the link stays
  a link, so the ERP that owns the real file sees the change.
- **Mode, owner and group.** The temp file gets the original's permission bits, owner and group
  before it is renamed over. If they cannot be kept (not root and not the owner), nothing is
  written and the error says so: a file that silently changes hands is worse than no write.
  ACLs and extended attributes are not copied.
- **Read-only files.** A file with no write bit, or one this user may not write, is refused
  with an error naming it, even for root: read-only is how an operator says "do not touch".
  The folder must be writable too (the temp file is created there): a folder that is not is
  refused with an error naming the folder.
- **Concurrent writers.** While rewriting, erpsync holds ``fcntl.flock(LOCK_EX)`` on the file
  itself, not on a sidecar ``.lock`` file: a program that flocks the file it edits (``flock(1)``,
  many ERP exporters) is then excluded for real, and no extra file appears in a folder an ERP
  import may be watching. Because the rename swaps the inode, a waiter re-checks after getting
  the lock that the path still names the inode it locked, and locks the new one if not; the new
  file is locked before it is renamed into place. Programs that append without any lock (the
  common case) are caught by a second guard: right before the rename the file must still be the
  inode that was read, its first bytes must still hash (SHA-256) to what was read, and, at the
  same size, its mtime must be unchanged. Anything else (an edit in place, a replacement, a
  truncation) makes the caller re-read and re-apply its change, a bounded number of times. Rows
  appended after a complete last line are no conflict for a CSV file (rows are independent):
  they are copied to the end of the new file before the rename, and those that land in the old
  file just after it (an appender that opened the path a moment before) are copied over while
  the old file is watched until it has been quiet for ``QUIET`` seconds. A program that keeps
  the file open for minutes and writes to it later still writes to the old file: nothing can
  carry that over. JSON files get no carry-over: appending to a JSON list is not a thing a
  program does, so any change there means re-read.
- **Kills.** Temp files are named ``.<file>.erpsync-tmp-<pid>-<random>``; the next run removes
  those whose process is gone or that are more than an hour old, and nothing else.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: a leftover older than this is removed even if its pid is alive (pid reused, other host)
STALE_AFTER = 3600.0
#: after the rename, the old file is watched this long without a write (at most SETTLE) for late rows
QUIET = 0.05
SETTLE = 1.0
#: what creating a file says in a folder this user may not write (EROFS: a read-only mount)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
_TMP = re.compile(r"^\.(?P<name>.+)\.erpsync-tmp-(?P<pid>\d+)-")


class Changed(Exception):
    """The file changed between reading it and replacing it; read it again and re-apply."""


class Refused(Exception):
    """The file must not be written (read-only, owner cannot be kept)."""


class Busy(Exception):
    """Another program held the file's lock for longer than erpsync waits; a later run may succeed."""


@dataclass(frozen=True)
class Snapshot:
    """What was read, and how to tell whether the file is still the same."""

    data: bytes
    dev: int
    ino: int
    mtime_ns: int
    digest: bytes


def temp_prefix(name: str) -> str:
    return f".{name}.erpsync-tmp-{os.getpid()}-"


@contextmanager
def locked(path: Path, timeout: float = 30.0) -> Iterator[tuple[Path, int]]:
    """Hold an exclusive flock on the file ``path`` names (through symlinks): yields (real path, fd).

    The fd stays open on the inode that was there when the lock was taken, so bytes appended to
    it after it is replaced can still be found (see ``replace``).
    """
    real = Path(os.path.realpath(path))
    deadline = time.monotonic() + timeout
    while True:
        fd = os.open(real, os.O_RDONLY | os.O_CLOEXEC)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Busy(f"another program has held a lock on it for over {timeout:g} s") from None
                    time.sleep(0.05)
            held, now = os.fstat(fd), os.stat(real)
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            break
        os.close(fd)  # replaced while we waited: lock the file that is there now
    try:
        yield real, fd
    finally:
        os.close(fd)


def snapshot(fd: int) -> Snapshot:
    """Read the locked file through its fd, so what is read is the inode that is locked."""
    st = os.fstat(fd)
    data = b""
    while len(data) < st.st_size:  # pread may return less than asked
        chunk = os.pread(fd, st.st_size - len(data), len(data))
        if not chunk:
            break
        data += chunk
    return Snapshot(data, st.st_dev, st.st_ino, st.st_mtime_ns, hashlib.sha256(data).digest())


def appended(real: Path, snap: Snapshot) -> int | None:
    """How many bytes were appended to ``real`` since ``snap`` (0: unchanged); None if it changed otherwise.

    Changed otherwise: another file is there now (replaced), it is shorter, the bytes that were
    read differ (SHA-256), or it has the same size but a new mtime. A pure append after a
    complete last line is not a conflict for a CSV file: the appended rows are carried over.
    """
    st = os.stat(real)
    size = len(snap.data)
    if (st.st_dev, st.st_ino) != (snap.dev, snap.ino) or st.st_size < size:
        return None
    if st.st_size == size and st.st_mtime_ns != snap.mtime_ns:
        return None
    if st.st_size > size and snap.data and not snap.data.endswith(b"\n"):
        return None  # the new bytes continue a row that was read half-written
    with open(real, "rb") as fh:
        if hashlib.sha256(fh.read(size)).digest() != snap.digest:
            return None
    return st.st_size - size


def replace(real: Path, snap: Snapshot, data: bytes, old_fd: int, *, carry_tail: bool) -> None:
    """Write ``data`` over ``real`` atomically if it is still as ``snap`` saw it, else raise Changed.

    With ``carry_tail`` (CSV), rows appended since ``snap`` are appended to ``data`` too, up to
    the rename and in the instant after it. Raises Refused for a file that must not be written,
    OSError for a failed write; either way the file is left as it was and no temp file remains.
    """
    st = os.stat(real)
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o222 or not os.access(real, os.W_OK):
        raise Refused(f"it is read-only (mode {mode:04o}): make it writable to let erpsync correct it")
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(real.name), dir=real.parent)
    except OSError as exc:
        raise (folder_refused(real.parent) if exc.errno in _NOT_WRITABLE else exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            _keep_owner(fh.fileno(), st)
            os.fchmod(fh.fileno(), mode)  # after chown, which may clear set-id bits
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # born locked: no one edits it before we are done
            grown = appended(real, snap)
            if grown is None or (grown and not carry_tail):
                raise Changed
            done = len(snap.data) + grown
            fh.write(_read_at(old_fd, len(snap.data), done))  # rows appended since the read
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, real)
            if carry_tail:
                _carry_over(real, old_fd, done)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def folder_refused(folder: Path) -> Refused:
    """The error for a folder this user may not create files in: a writable file is not enough."""
    return Refused(
        f"the folder {folder} is not writable: erpsync replaces the file through a temporary file "
        "in that folder, so this user needs write permission on the folder, not only on the file"
    )


def _carry_over(real: Path, old_fd: int, done: int) -> None:
    """Append to the new file what lands in the old one after the last check.

    An appender that opened the path just before the rename writes its row to the old inode a
    moment later; the old file is watched until it has been quiet for ``QUIET`` seconds (at most
    ``SETTLE``), and what it gained is appended to the new one.
    """
    deadline = time.monotonic() + SETTLE
    quiet_since = time.monotonic()
    while True:
        size = os.fstat(old_fd).st_size
        if size > done:
            with open(real, "ab") as out:
                out.write(_read_at(old_fd, done, size))
            done, quiet_since = size, time.monotonic()
        now = time.monotonic()
        if now - quiet_since >= QUIET or now > deadline:
            return
        time.sleep(QUIET / 5)


def _read_at(fd: int, start: int, end: int) -> bytes:
    data = b""
    while start + len(data) < end:
        chunk = os.pread(fd, end - start - len(data), start + len(data))
        if not chunk:
            break
        data += chunk
    return data


def _keep_owner(fd: int, original: os.stat_result) -> None:
    now = os.fstat(fd)
    uid = original.st_uid if now.st_uid != original.st_uid else -1
    gid = original.st_gid if now.st_gid != original.st_gid else -1
    if uid == gid == -1:
        return
    try:
        os.fchown(fd, uid, gid)
    except PermissionError:
        raise Refused(
            f"its owner and group ({original.st_uid}:{original.st_gid}) could not be kept: "
            "run erpsync as that user (or root)"
        ) from None


def sweep(folder: Path, names: tuple[str, ...], *, now: float | None = None) -> list[Path]:
    """Remove temp files a killed erpsync left beside ``names``: only ours, only if dead or old."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP.match(entry.name)
        if not m or m["name"] not in names or not entry.is_file(follow_symlinks=False):
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or not _alive(int(m["pid"])):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove: the next run tries again
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # a write of this process may be in progress in another thread
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError as exc:
        return exc.errno == errno.EPERM  # exists, belongs to someone else
    return True
