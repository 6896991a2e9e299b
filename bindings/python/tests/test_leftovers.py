"""Location.leftovers() and Location.prune() (issue 12): what a killed backup left in a location is
seen and removed from Python, as from the CLI and C."""
import datetime
import os
import time
from pathlib import Path

import pytest

import vbackup


def bucket_of(location: str) -> Path:
    return Path(location[len("file://"):])


def killed_backup(location: str, hours_ago: float) -> Path:
    """A temporary file as a writer killed `hours_ago` leaves it, and a folder without a record."""
    folder = bucket_of(location) / "backups" / "killed"
    folder.mkdir(parents=True)
    temp = folder / ".vbk-tmp-killed.tar.gz-0123456789abcdef"
    temp.write_bytes(b"partial")
    old = time.time() - hours_ago * 3600
    os.utime(temp, (old, old))
    half = bucket_of(location) / "backups" / "half"
    half.mkdir(parents=True)
    (half / "half.tar.gz").write_bytes(b"tarball")
    return temp


def test_leftovers_reports_uploads_and_folders_without_record(location):
    killed_backup(location, hours_ago=2)
    with vbackup.Location(location) as loc:
        found = loc.leftovers()
        assert [(l["kind"], l["key"]) for l in found] == [("upload", "backups/killed/killed.tar.gz"),
                                                          ("backup", "backups/half/")]
        assert found[0]["uploadId"] == "backups/killed/.vbk-tmp-killed.tar.gz-0123456789abcdef"
        assert found[0]["name"] == "killed"
        assert found[0]["ageSeconds"] >= 7200 - 60
        assert found[0]["bytes"] == len(b"partial")
        assert found[1]["objects"] == 1
        assert loc.list_backups() == []  # none of them is a backup


def test_prune_keeps_what_is_younger_than_the_grace_period(location):
    temp = killed_backup(location, hours_ago=2)
    with vbackup.Location(location) as loc:
        result = loc.prune()  # 1h
        assert [l["key"] for l in result["removed"]] == ["backups/killed/killed.tar.gz"]
        assert [l["key"] for l in result["kept"]] == ["backups/half/"]
        assert result["errors"] == []
        assert not temp.exists()
        # seconds and timedeltas work as well as Go durations
        assert loc.prune(grace=datetime.timedelta(hours=1))["kept"]
        assert loc.prune(grace=0)["removed"][0]["key"] == "backups/half/"
        assert loc.leftovers() == []


def test_prune_refuses_a_bad_grace(location):
    with vbackup.Location(location) as loc:
        with pytest.raises(vbackup.InvalidError, match="grace"):
            loc.prune(grace="an hour")


def test_delete_backup_removes_a_folder_without_record_and_its_unfinished_uploads(location):
    killed_backup(location, hours_ago=0)
    with vbackup.Location(location) as loc:
        loc.delete_backup("killed")
        loc.delete_backup("half")
        assert loc.leftovers() == []
        with pytest.raises(vbackup.NotFoundError):
            loc.delete_backup("killed")
