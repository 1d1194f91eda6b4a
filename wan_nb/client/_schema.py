"""The journal's tables (see ``journal``'s docstring for their life cycle), and how an older file catches up.

A journal written by an earlier release is opened as it is: missing columns are added (NULL in old rows) and
the index is built; nothing is rewritten. Reading ignores columns this release does not know (``_rows.entry``),
so a file a newer wan_nb extended stays readable here.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import sqlite3

__all__ = ["ADDED_COLUMNS", "SCHEMA", "prepare"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL, base_url TEXT, dialect TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, status_raw TEXT NOT NULL, video_url TEXT,
    error_code TEXT, error_message TEXT, request_id TEXT,
    created REAL NOT NULL, updated REAL NOT NULL, path TEXT, expires REAL,
    PRIMARY KEY (provider, task_id))""",
    """CREATE TABLE IF NOT EXISTS creates (
    create_id TEXT PRIMARY KEY, provider TEXT NOT NULL, base_url TEXT NOT NULL,
    request TEXT NOT NULL, request_fingerprint TEXT NOT NULL, sent REAL NOT NULL, problem TEXT)""",
    """CREATE TABLE IF NOT EXISTS planned (
    plan_id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, position INTEGER NOT NULL, provider TEXT NOT NULL,
    base_url TEXT NOT NULL, request TEXT NOT NULL, planned REAL NOT NULL, create_id TEXT)""",
)
# Columns added since the first release: a journal written before them gains them on open.
ADDED_COLUMNS = {
    "base_url": "TEXT",
    "expires": "REAL",
    "actual_prompt": "TEXT",
    "billed_seconds": "REAL",
    "short_side": "INTEGER",
    "run_seconds": "REAL",
}

# What ``Journal.recent_runs`` reads, newest first, without a scan of a long journal.
RUNS_INDEX = "CREATE INDEX IF NOT EXISTS tasks_by_api ON tasks (base_url, updated)"


def prepare(db: sqlite3.Connection) -> None:
    """WAL mode, the tables, the columns added since the first release, the index (inside a transaction)."""
    db.execute("PRAGMA journal_mode=WAL")
    for table in SCHEMA:
        db.execute(table)
    columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}  # (cid, name, type, ...)
    for name, kind in ADDED_COLUMNS.items():
        if name not in columns:
            db.execute(f"ALTER TABLE tasks ADD COLUMN {name} {kind}")
    db.execute(RUNS_INDEX)
