"""The files ERP's rewrite on a real filesystem: links, permissions, owners, concurrent writers, kills.

Each case sets up what an operator's folder really looks like (a symlink into the ERP's own
folder, a 0600 file, a file owned by the ERP's user, a program appending rows while erpsync
writes) and checks the file afterwards.
"""

from __future__ import annotations

import csv
import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from erpsync.connectors.files import COLUMNS, FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import ErpsyncError, PermanentError, TemporaryError
from erpsync.core.models import HandoverMode

HEADER = ",".join(COLUMNS) + "\n"
GOOD = "WH-1,东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,洪梅镇,洪梅大道 1 号,523000,PICK UP\n"


def erp(tmp_path: Path) -> FilesErp:
    return FilesErp(FilesOptions().load({"path": "erp"}), shop=ShopContext(name="s", base_dir=tmp_path))


def write_csv(tmp_path: Path, body: str = GOOD) -> Path:
    folder = tmp_path / "erp"
    folder.mkdir(exist_ok=True)
    path = folder / "warehouses.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def ids(path: Path) -> list[str]:
    return [row["id"] for row in csv.DictReader(path.open(encoding="utf-8", newline=""))]


def test_a_symlinked_file_is_written_through_to_its_target(tmp_path):
    real = tmp_path / "erp-export" / "wh.csv"
    real.parent.mkdir()
    real.write_text(HEADER + GOOD, encoding="utf-8")
    (tmp_path / "erp").mkdir()
    link = tmp_path / "erp" / "warehouses.csv"
    link.symlink_to(Path("..") / "erp-export" / "wh.csv")

    erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)

    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "erp-export" / "wh.csv")
    assert real.read_text(encoding="utf-8").rstrip().endswith(",DROP OFF")
    assert erp(tmp_path).list_warehouses().items[0].handover_mode is HandoverMode.DROP_OFF
    assert sorted(p.name for p in real.parent.iterdir()) == ["wh.csv"]


def test_a_rewrite_keeps_mode_0600(tmp_path):
    path = write_csv(tmp_path)
    path.chmod(0o600)
    erp(tmp_path).set_warehouse_address("WH-1", {"phone": "13900139000"})
    assert "13900139000" in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o7777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand a file to another user")
def test_a_rewrite_keeps_owner_and_group(tmp_path):
    path = write_csv(tmp_path)
    os.chown(path, 1000, 1000)
    path.chmod(0o660)
    erp(tmp_path).set_warehouse_address("WH-1", {"phone": "13900139000"})
    st = path.stat()
    assert "13900139000" in path.read_text(encoding="utf-8")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1000, 0o660)


def test_a_read_only_file_is_refused_with_its_name_and_left_alone(tmp_path):
    path = write_csv(tmp_path)
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(PermanentError) as info:
        erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    message = str(info.value)
    assert message.startswith("files ERP write warehouse: cannot write ")
    assert "warehouses.csv" in message and "read-only" in message
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o444
    assert [p.name for p in path.parent.iterdir()] == ["warehouses.csv"]


def append_rows(path: str, count: int) -> None:
    """What a lock-free exporter does: open, append one row, close, about once a millisecond."""
    for i in range(count):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"AP-{i},appended,{8000 + i},,,,,,,,,\n")
        time.sleep(0.001)


@pytest.mark.parametrize("appender", ["thread", "process"])
def test_rows_appended_while_erpsync_rewrites_are_all_kept(tmp_path, appender):
    """Another program appends 500 rows without any lock while erpsync rewrites the file."""
    path = write_csv(tmp_path)
    appended = 500
    if appender == "process":
        code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        code += "from test_files_erp_safety import append_rows; append_rows(sys.argv[1], int(sys.argv[2]))"
        proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(appended)])
        running, finish = (lambda: proc.poll() is None), proc.wait
    else:
        thread = threading.Thread(target=append_rows, args=(str(path), appended))
        thread.start()
        running, finish = thread.is_alive, thread.join
    connector = erp(tmp_path)
    writes = 0
    try:
        while running():
            connector.set_warehouse_address("WH-1", {"phone": f"1390013{writes % 10000:04d}"})
            writes += 1
    finally:
        finish()
    assert writes > 5  # the rewrites really overlapped the appends
    present = ids(path)
    missing = [f"AP-{i}" for i in range(appended) if f"AP-{i}" not in present]
    assert missing == []
    assert len(present) == appended + 1 and present[0] == "WH-1"


def test_a_file_that_keeps_changing_is_re_read_a_few_times_then_a_clear_error(tmp_path, monkeypatch):
    from erpsync.connectors.files import replace

    path = write_csv(tmp_path, GOOD + GOOD.replace("WH-1", "WH-2").replace("7001", "7002"))
    real_check = replace.appended
    edits: list[int] = []

    def another_program_edits_first(real: Path, snap: replace.Snapshot) -> int | None:
        # a real edit in place of another row, just before erpsync checks the file
        edits.append(len(edits))
        text = real.read_text(encoding="utf-8").replace("WH-2,东莞仓", f"WH-2,仓{len(edits)}")
        real.write_text(text.replace(f"WH-2,仓{len(edits) - 1},", f"WH-2,仓{len(edits)},"), encoding="utf-8")
        return real_check(real, snap)

    monkeypatch.setattr(replace, "appended", another_program_edits_first)
    with pytest.raises(TemporaryError) as info:
        erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    assert "warehouses.csv" in str(info.value) and "changed 5 times" in str(info.value)
    assert len(edits) == 5
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",PICK UP") and lines[2].startswith("WH-2,仓5,")  # their edit kept, ours not made
    assert [p.name for p in path.parent.iterdir()] == ["warehouses.csv"]


def test_a_change_in_place_is_re_read_and_the_write_re_applied(tmp_path, monkeypatch):
    from erpsync.connectors.files import replace

    path = write_csv(tmp_path, GOOD + GOOD.replace("WH-1", "WH-2").replace("7001", "7002"))
    real_check = replace.appended
    edits: list[int] = []

    def another_program_edits_once(real: Path, snap: replace.Snapshot) -> int | None:
        if not edits:
            edits.append(1)
            text = real.read_text(encoding="utf-8").replace("WH-2,东莞仓", "WH-2,深圳仓")
            real.write_text(text, encoding="utf-8")
        return real_check(real, snap)

    monkeypatch.setattr(replace, "appended", another_program_edits_once)
    erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",DROP OFF") and lines[2].startswith("WH-2,深圳仓,")  # both changes kept


def test_a_write_waits_for_a_program_holding_the_files_lock(tmp_path):
    path = write_csv(tmp_path)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        thread = threading.Thread(target=write)
        thread.start()
        time.sleep(0.5)
        assert path.read_text(encoding="utf-8").rstrip().endswith(",PICK UP")  # still waiting
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    thread.join(10)
    assert errors == [] and not thread.is_alive()
    assert path.read_text(encoding="utf-8").rstrip().endswith(",DROP OFF")


def test_a_lock_held_too_long_is_a_temporary_error_naming_the_file(tmp_path):
    path = write_csv(tmp_path)
    before = path.read_bytes()
    connector = erp(tmp_path)
    connector.lock_timeout = 0.2
    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(TemporaryError) as info:
            connector.set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    assert "warehouses.csv" in str(info.value) and "held a lock on it for over 0.2 s" in str(info.value)
    assert path.read_bytes() == before


KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from erpsync.connectors.files import FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.core.models import HandoverMode
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed with the temp file written
erp = FilesErp(FilesOptions().load({"path": "erp"}), shop=ShopContext(name="s", base_dir=Path(sys.argv[1])))
erp.set_handover_mode("WH-1", HandoverMode.DROP_OFF)
"""


def test_a_temp_file_left_by_a_killed_write_is_removed_by_the_next_run(tmp_path):
    path = write_csv(tmp_path)
    before = path.read_bytes()
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(tmp_path)], check=False)
    assert killed.returncode == -9
    left = [p.name for p in path.parent.iterdir() if p.name != "warehouses.csv"]
    assert len(left) == 1 and path.read_bytes() == before  # the kill left its temp file, not a torn file
    other = path.parent / ".warehouses.csv.someone-elses"
    other.write_text("not ours")

    assert erp(tmp_path).list_warehouses().items[0].id == "WH-1"
    assert sorted(p.name for p in path.parent.iterdir()) == [other.name, "warehouses.csv"]


def test_a_temp_file_of_a_live_write_is_kept_unless_old(tmp_path):
    path = write_csv(tmp_path)
    live = path.parent / f".warehouses.csv.erpsync-tmp-{os.getppid()}-abc123"
    old = path.parent / f".warehouses.csv.erpsync-tmp-{os.getppid()}-def456"
    live.write_text("a write in progress")
    old.write_text("left hours ago")
    hours_ago = time.time() - 3 * 3600
    os.utime(old, (hours_ago, hours_ago))
    erp(tmp_path).list_warehouses()
    assert live.exists() and not old.exists()


def test_a_field_over_128_kib_is_a_record_error_for_its_row(tmp_path):
    big = "x" * (200 * 1024)
    path = write_csv(tmp_path, GOOD + f'WH-2,大仓,7002,,,,,,,"{big}",,\n' + GOOD.replace("WH-1", "WH-3"))
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["WH-1", "WH-3"]
    (error,) = records.errors
    assert isinstance(error, ErpsyncError)
    assert str(error).startswith(f"{path}:3: warehouse 'WH-2': street: a cell of {200 * 1024} characters")
    assert "128 KiB" in str(error)

    erp(tmp_path).set_handover_mode("WH-3", HandoverMode.DROP_OFF)  # another row's write keeps it
    assert big in path.read_text(encoding="utf-8")


def test_an_unclosed_quote_is_named_where_it_starts(tmp_path):
    filler = "".join(GOOD.replace("WH-1", f"F-{i}") for i in range(2500))  # > 128 KiB after the quote
    path = write_csv(tmp_path, GOOD + 'WH-2,"unclosed,7002,,,,,,,,,\n' + filler)
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["WH-1"]
    (error,) = records.errors
    assert str(error) == (
        f"{path}:3: cannot be parsed as CSV "
        "(a quote opened in this row is never closed: it runs to the end of the file)"
    )
