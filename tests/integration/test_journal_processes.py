"""Several processes share one journal file (real subprocesses writing at once)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wan_nb.client import Journal


def test_several_processes_share_one_journal(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    Journal(path)
    script = (
        "import sys\nfrom wan_nb.client import Journal\nfrom wan_nb.models import Task, TaskStatus, VideoRequest\n"
        "j = Journal(sys.argv[1])\n"
        "for i in range(25):\n"
        "    j.record(Task(f'{sys.argv[2]}-{i}', TaskStatus.QUEUED, provider='sim'), base_url='https://h', dialect='native',"
        " request=VideoRequest(prompt='x'))\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(path), name]) for name in ("a", "b", "c")]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0]
    assert len(Journal(path).entries()) == 75
