"""vbackup.restore(spool_dir=…) (issue 17, brief s5-spooldir): the backup, its index and the
restored-items set are spooled into the directory given (unlinked at once: open while the restore
runs, no name in the directory), the restore completes and leaves it empty; a directory that does
not exist fails the restore, naming it, before anything is created. Ours, not Velero's."""
import os
from pathlib import Path

import pytest

import vbackup


def open_files_under(directory: Path) -> int:
    """This process's descriptors on files under `directory` (deleted ones included)."""
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith(f"{directory}/")
        except OSError:
            pass
    return n


@pytest.fixture
def demo_backup(demo_manifests, location) -> str:
    vbackup.backup(name="demo", location=location, from_manifests=demo_manifests)
    return "demo"


@pytest.mark.parametrize("as_path", [True, False], ids=["pathlib", "str"])
def test_restore_spools_into_the_directory_given_and_leaves_it_empty(kube_server, demo_backup, location, tmp_path,
                                                                    as_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    open_during = []
    plan = []

    def on_plan(item):
        plan.append(item)
        open_during.append(open_files_under(spool))

    target = f"demo-spool-{'p' if as_path else 's'}"
    result = vbackup.restore({"namespaceMapping": {"demo": target}, "includedNamespaces": ["demo"]},
                             name=f"r-{target}", backup=demo_backup, location=location,
                             kubeconfig=kube_server.kubeconfig, spool_dir=spool if as_path else str(spool),
                             record_in_cluster=False, plan=on_plan)
    assert result["status"]["phase"] == "Completed", result["status"]
    moved = [p for p in plan if p["namespace"] == target]
    assert moved and all(p["action"] == "created" for p in moved), plan  # the CRD exists: skipped
    assert min(open_during) >= 2  # the spool, its index and the restored set live there meanwhile
    assert list(spool.iterdir()) == []
    assert open_files_under(spool) == 0


def test_a_spool_dir_that_does_not_exist_fails_the_restore_naming_it(kube_server, demo_backup, location, tmp_path):
    missing = tmp_path / "no-such-dir"
    plan = []
    with pytest.raises(vbackup.Error) as err:
        vbackup.restore({"namespaceMapping": {"demo": "demo-nospool"}, "includedNamespaces": ["demo"]},
                        name="r-nospool", backup=demo_backup, location=location,
                        kubeconfig=kube_server.kubeconfig, spool_dir=missing, record_in_cluster=False,
                        plan=plan.append)
    assert str(missing) in str(err.value)
    assert plan == []  # nothing decided, so nothing created
    assert not missing.exists()
