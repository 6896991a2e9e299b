"""Schedules from Python (brief i13-schedule, spec §4.4): schedule_next with robfig's vectors and
Velero's validation messages; schedule_decide as Velero's schedule controller decides."""
import pytest

import vbackup


def test_next_robfig_vectors_and_zones():
    # robfig TestNext: New York's spring gap skips 02:00; its autumn overlap runs an hourly job twice.
    assert vbackup.schedule_next("TZ=America/New_York 0 * * * *", "2012-03-11T06:00:00Z") == "2012-03-11T07:00:00Z"
    assert vbackup.schedule_next("CRON_TZ=America/New_York 0 * * * *", "2012-11-04T05:00:00Z") == "2012-11-04T06:00:00Z"
    assert vbackup.schedule_next("@every 1s", "2024-01-01T00:00:00Z") == "2024-01-01T00:00:01Z"
    assert vbackup.schedule_next("@weekly", "2024-05-01T10:00:00+02:00") == "2024-05-05T00:00:00Z"
    assert vbackup.schedule_next("0 0 29 Feb ?", "2012-07-09T23:35:00Z") == "2016-02-29T00:00:00Z"
    assert vbackup.schedule_next("@hourly").endswith("Z")


def test_next_errors_are_velero_validation_errors():
    with pytest.raises(vbackup.InvalidError, match=r"^invalid schedule: expected exactly 5 fields, found 6: "
                                                    r"\[0 0 1 \* \* \*\]$"):
        vbackup.schedule_next("0 0 1 * * *")
    with pytest.raises(vbackup.InvalidError, match="unrecognized descriptor: @fortnightly"):
        vbackup.schedule_next("@fortnightly")
    with pytest.raises(vbackup.NotFoundError, match="no run within five years"):
        vbackup.schedule_next("0 0 31 Apr *", "2024-01-01T00:00:00Z")


def schedule(**spec):
    return {"apiVersion": "velero.io/v1", "kind": "Schedule",
            "metadata": {"name": "nightly", "namespace": "velero", "uid": "u-1",
                         "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"team": "a"}},
            "spec": {"schedule": "0 1 * * *", "template": {"ttl": "24h0m0s"}, **spec}}


def test_decide_due_backup_named_and_labelled():
    d = vbackup.schedule_decide(schedule(), "2024-01-01T01:00:30Z")
    assert d["patch"] == {"spec": {"skipImmediately": False}, "status": {"phase": "Enabled"}}
    b = d["backup"]
    assert b["metadata"]["name"] == "nightly-20240101010030"
    assert b["metadata"]["labels"] == {"team": "a", "velero.io/schedule-name": "nightly"}
    assert b["spec"]["ttl"] == "24h0m0s"
    assert "ownerReferences" not in b["metadata"]
    assert d["backupPatch"] == {"status": {"lastBackup": "2024-01-01T01:00:30Z"}}
    assert d["nextRun"] == "2024-01-02T01:00:00Z"

    owned = vbackup.schedule_decide(schedule(useOwnerReferencesInBackup=True), "2024-01-01T01:00:30Z")
    assert owned["backup"]["metadata"]["ownerReferences"] == [
        {"apiVersion": "velero.io/v1", "kind": "Schedule", "name": "nightly", "uid": "u-1", "controller": True}]


def test_decide_skip_paused_running_invalid():
    d = vbackup.schedule_decide(schedule(skipImmediately=True), "2024-01-01T01:00:30Z")
    assert "backup" not in d
    assert d["patch"]["status"]["lastSkipped"] == "2024-01-01T01:00:30Z"
    assert d["nextRun"] == "2024-01-02T01:00:00Z"
    d = vbackup.schedule_decide(schedule(), "2024-01-01T01:00:30Z", skip_immediately=True)
    assert "backup" not in d

    d = vbackup.schedule_decide(schedule(paused=True), "2024-01-01T01:00:30Z")
    assert d["patch"] == {} and "backup" not in d and d["reason"] == "paused"

    running = [{"metadata": {"name": "nightly-x", "namespace": "velero",
                             "labels": {"velero.io/schedule-name": "nightly"}}, "status": {"phase": "New"}}]
    d = vbackup.schedule_decide(schedule(), "2024-01-01T01:00:30Z", backups=running)
    assert "backup" not in d
    running[0]["status"]["phase"] = "Completed"
    assert "backup" in vbackup.schedule_decide(schedule(), "2024-01-01T01:00:30Z", backups=running)

    d = vbackup.schedule_decide(schedule(schedule="TZ=Mars/Olympus 0 1 * * *"), "2024-01-01T01:00:30Z")
    assert d["schedule"]["status"]["phase"] == "FailedValidation"
    assert d["schedule"]["status"]["validationErrors"] == [
        "invalid schedule: provided bad location Mars/Olympus: unknown time zone Mars/Olympus"]

    with pytest.raises(vbackup.InvalidError, match="localZone"):
        vbackup.schedule_decide(schedule(), local_zone=7)
