"""Callbacks from the library's threads into Python (issue 15, brief i15-python): the GIL is taken by
each callback and released during the C call, on any thread; an exception in an item hook becomes
that item's error; one in a progress, log or plan callback (or a KeyboardInterrupt in any) cancels
and is raised by the call."""
import ctypes
import threading
import time

import pytest

import vbackup
from vbackup import _lib

NAMESPACES = 3
PER_NAMESPACE = 60


@pytest.fixture
def many(tmp_path):
    """A folder of manifests: NAMESPACES namespaces of PER_NAMESPACE ConfigMaps each."""
    folder = tmp_path / "many"
    folder.mkdir()
    docs = []
    for n in range(NAMESPACES):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: many-{n}\n")
        for i in range(PER_NAMESPACE):
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: many-{n}\n"
                        f"data:\n  i: \"{i}\"\n")
    (folder / "many.yaml").write_text("---\n".join(docs))
    return folder


def test_the_library_is_called_without_the_gil():
    # ctypes.CDLL releases the GIL around every foreign call; PyDLL would keep it (and deadlock a
    # restore whose worker threads call back into Python while the caller waits in C).
    assert type(_lib.lib) is ctypes.CDLL


def test_parallel_restore_calls_python_hooks_from_its_worker_threads(many, location, kube_server):
    vbackup.backup({"includedNamespaces": ["many-*"]}, name="many", location=location, from_manifests=many)
    state = {"items": 0, "threads": set(), "progress": [], "log": 0, "active": 0, "overlap": False}
    ticks = [0]
    stop = threading.Event()

    def ticker():  # runs only if nobody holds the GIL while the restore waits in C
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    def hook(item):
        state["active"] += 1
        state["overlap"] |= state["active"] > 1  # vbackup.h 6: never two callbacks at once
        state["threads"].add(threading.get_ident())
        state["items"] += 1
        obj = item["object"]
        obj.setdefault("metadata", {}).setdefault("labels", {})["hooked"] = "yes"
        state["active"] -= 1
        return {"object": obj}

    t = threading.Thread(target=ticker)
    t.start()
    try:
        r = vbackup.restore({"includedNamespaces": ["many-*"],
                             "namespaceMapping": {f"many-{n}": f"copy-{n}" for n in range(NAMESPACES)}},
                            name="r", backup="many", location=location, kubeconfig=kube_server.kubeconfig,
                            parallel=4, item_hook=hook,
                            progress=lambda done, total: state["progress"].append((done, total)),
                            log=lambda level, line: state.__setitem__("log", state["log"] + 1))
    finally:
        stop.set()
        t.join()
    assert r["status"]["phase"] == "Completed", r["status"]
    assert state["items"] >= NAMESPACES * PER_NAMESPACE
    assert threading.get_ident() not in state["threads"]
    assert len(state["threads"]) >= 2, "parallel=4 ran every hook on one thread"
    assert not state["overlap"]
    assert state["progress"][-1][0] == state["progress"][-1][1] >= state["items"]
    assert state["log"] > 0
    assert ticks[0] > 10
    with vbackup.Cluster(kube_server.kubeconfig) as c:  # the hook's change reached the cluster
        import json, urllib.request
        with urllib.request.urlopen(f"{kube_server.url}/api/v1/namespaces/copy-2/configmaps/cm-7") as resp:
            assert json.loads(resp.read())["metadata"]["labels"]["hooked"] == "yes"
        assert c.version()["gitVersion"]


def test_an_item_hook_exception_is_that_items_error_in_a_backup(many, location):
    def hook(item):
        if item["object"]["metadata"].get("name") == "cm-13" and item["object"]["metadata"]["namespace"] == "many-1":
            raise ValueError("no thirteens")
        return None

    b = vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many,
                       item_hook=hook)
    assert b["status"]["phase"] == "PartiallyFailed"
    assert b["status"]["errors"] >= 1
    with vbackup.Location(location) as loc:
        errors = str(loc.describe_backup("b", details=True)["results"]["errors"])
        assert "name=cm-13" in errors and "many-1" in errors
        assert "item callback: ValueError: no thirteens" in errors
        names = {(i["namespace"], i["name"]) for i in loc.backup_items("b")}
        assert ("many-1", "cm-13") not in names
        assert ("many-0", "cm-13") in names and ("many-2", "cm-59") in names


def test_an_item_hook_exception_is_that_items_error_in_a_restore(many, location):
    vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many)
    plan = []

    def hook(item):
        if item["object"]["metadata"]["name"] == "cm-5" and item["sourceNamespace"] == "many-0":
            raise KeyError("cm-5")
        return None

    r = vbackup.restore(name="r", backup="b", location=location, dry_run=True, item_hook=hook, plan=plan.append)
    assert r["status"]["phase"] == "PartiallyFailed", r["status"]
    failed = [p for p in plan if p["action"] == "fail"]
    assert [(p["namespace"], p["name"]) for p in failed] == [("many-0", "cm-5")]
    assert "KeyError: 'cm-5'" in failed[0]["reason"]


@pytest.mark.parametrize("where", ["progress", "log"])
def test_a_progress_or_log_callback_that_raises_cancels_and_the_call_raises_it(many, location, where):
    class Boom(Exception):
        pass

    def boom(*_):
        raise Boom(where)

    kwargs = {where: boom}
    with pytest.raises(Boom):
        vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many, **kwargs)
    with vbackup.Location(location) as loc:  # cancelled: nothing half-visible
        assert loc.list_backups() == []
        assert loc.leftovers() == []


def test_keyboard_interrupt_in_an_item_hook_cancels(many, location):
    seen = []

    def hook(item):
        seen.append(item)
        if len(seen) == 10:
            raise KeyboardInterrupt
        return None

    with pytest.raises(KeyboardInterrupt):
        vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many,
                       item_hook=hook)
    assert len(seen) == 10  # nothing called after the cancel
    with vbackup.Location(location) as loc:
        assert loc.list_backups() == [] and loc.leftovers() == []


def test_a_progress_callback_returning_false_is_cancelled_error(many, location):
    with pytest.raises(vbackup.CancelledError) as err:
        vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many,
                       progress=lambda done, total, written: done < 5)
    assert not isinstance(err.value, KeyboardInterrupt)
    with vbackup.Location(location) as loc:
        assert loc.list_backups() == []


def test_a_plan_callback_that_raises_cancels_a_dry_run(many, location):
    vbackup.backup({"includedNamespaces": ["many-*"]}, name="b", location=location, from_manifests=many)
    seen = []

    def plan(p):
        seen.append(p)
        raise RuntimeError("stop planning")

    with pytest.raises(RuntimeError, match="stop planning"):
        vbackup.restore(name="r", backup="b", location=location, dry_run=True, plan=plan)
    assert 1 <= len(seen) < NAMESPACES * PER_NAMESPACE
