"""`erpsync reconcile --format html` as a real process against the sandbox: the file, stdout, --lang."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.integration

IN_SYNC_MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}
MARKUP = "<b>Tower</b><script>alert(1)</script>"


class Rows(HTMLParser):
    """The drift rows' cell texts, as a browser shows them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, str]] = []
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "drift" in (attrs.get("class") or ""):
            self.rows.append({})
        elif tag == "td" and self.rows:
            self._cell = attrs["class"]
            self.rows[-1][self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self.rows[-1][self._cell] += data


def rows(page: str) -> dict[str, dict[str, str]]:
    parser = Rows()
    parser.feed(page)
    return {r["warehouse"]: r for r in parser.rows}


def drifted(ws) -> list[dict]:
    erp = ws.erp_rows_matching_seller(IN_SYNC_MODES)
    erp[0]["handover_mode"] = "PICK UP"  # WH-DG is not subscribed: the ERP is wrong
    erp[1]["street"] = erp[1]["street"] + MARKUP  # markup in a value reaches the page as text
    return erp


def test_html_file_holds_the_drift_table(demo_ws):
    demo_ws.write_erp(drifted(demo_ws))
    result = demo_ws.cli("reconcile", "--format", "html", "-o", "report.html")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""  # the report went to the file
    assert "report.html: 2 drift(s) found on 1 shop(s)" in result.stderr
    assert sorted(p.name for p in demo_ws.root.iterdir() if "report" in p.name) == ["report.html"]  # no partial
    page = (demo_ws.root / "report.html").read_text(encoding="utf-8")
    table = rows(page)
    assert table["WH-DG"]["seller"] == "DROP OFF" and table["WH-DG"]["erp"] == "PICK UP"
    assert table["WH-DG"]["action"] == "fix ERP"
    assert table["WH-SZ"]["erp"].endswith(MARKUP) and table["WH-SZ"]["problem"] == "street address"
    assert "<script>alert" not in page and not re.search(r"https?://", page)
    assert '<meta charset="utf-8">' in page


def test_html_to_stdout_in_chinese_and_in_sync(demo_ws):
    demo_ws.write_erp(drifted(demo_ws))
    result = demo_ws.cli("reconcile", "--format", "html", "--lang", "zh", "--aspect", "pickup")
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and '<html lang="zh">' in result.stdout
    assert rows(result.stdout)["WH-DG"]["problem"] == "交接方式不一致"
    assert '<th scope="col" class="seller">商家后台</th>' in result.stdout

    demo_ws.write_erp(demo_ws.erp_rows_matching_seller(IN_SYNC_MODES))
    clean = demo_ws.cli("reconcile", "--format", "html")
    assert clean.returncode == 0, clean.stderr
    assert "In sync: 1 shop(s), no drift." in clean.stdout and "<table" not in clean.stdout


def test_output_works_for_json_and_table_too(demo_ws):
    demo_ws.write_erp(drifted(demo_ws))
    as_json = demo_ws.cli("reconcile", "--format", "json", "-o", "report.json")
    assert as_json.returncode == 2 and as_json.stdout == ""
    assert '"run_id"' in (demo_ws.root / "report.json").read_text(encoding="utf-8")
    table = demo_ws.cli("reconcile", "-o", "report.txt")
    assert table.returncode == 2 and table.stdout == ""
    text = (demo_ws.root / "report.txt").read_text(encoding="utf-8")
    assert "WH-DG" in text and "\x1b[" not in text  # no colour codes in a file
