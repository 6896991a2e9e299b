"""Errors and bad input at the Python boundary (issue 15, brief i15-python): one Error subclass per
vbk_status, the Kubernetes HTTP status and reason where the API server refused a call, bad input
named in the message, closed handles refused, context managers, type hints and docstrings."""
import inspect
import json
import re
import time

import pytest

import vbackup
from vbackup import _lib
from emulators import BUILD, free_port, process

CLASSES = {-1: vbackup.Error, -2: vbackup.InvalidError, -3: vbackup.NotFoundError, -4: vbackup.AlreadyExistsError,
           -5: vbackup.StorageError, -6: vbackup.KubeError, -7: vbackup.CancelledError, -8: vbackup.LocalIOError,
           -9: vbackup.UnsupportedError}


@pytest.mark.parametrize("status", sorted(CLASSES))
def test_each_vbk_status_raises_its_own_class(status):
    with pytest.raises(vbackup.Error) as err:
        _lib.check(status)
    assert type(err.value) is CLASSES[status] and err.value.code == status
    assert issubclass(CLASSES[status], vbackup.Error) and CLASSES[status].__doc__


def test_the_http_status_and_reason_of_a_kubernetes_refusal():
    e = vbackup.AlreadyExistsError('restore r: POST https://k:6443/api/v1/namespaces/demo/configmaps: 409 '
                                   'AlreadyExists: configmaps "c" already exists')
    assert (e.http_status, e.reason) == (409, "AlreadyExists")
    e = vbackup.KubeError("GET https://k:6443/api/v1/pods: 403 Forbidden: pods is forbidden")
    assert (e.http_status, e.reason) == (403, "Forbidden")
    # Not an API answer: a size, a name or a port in the message is no HTTP status.
    assert vbackup.StorageError("backups/b/b.tar.gz: 409 bytes written").http_status is None
    assert vbackup.KubeError("cannot reach the Kubernetes API server https://k:6443 (kubeconfig): refused").http_status is None


@pytest.fixture
def token_server(tmp_path, demo_manifests):
    """The test API server requiring a bearer token, with a kubeconfig carrying a wrong one."""
    port = free_port()
    good = tmp_path / "kubeconfig"
    cmd = [str(BUILD / "tests" / "support" / "kube-test-server"), "--port", str(port), "--token", "s3cret",
           "--write-kubeconfig", str(good), "--seed", str(demo_manifests)]
    with process(cmd, port, "kube-test-server"):
        deadline = time.monotonic() + 10
        while not good.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        bad = tmp_path / "bad-kubeconfig"
        text = good.read_text()
        assert "s3cret" in text
        bad.write_text(text.replace("s3cret", "wrong"))
        yield good, bad


def test_kubernetes_errors_carry_the_http_status(token_server, location):
    good, bad = token_server
    with vbackup.Cluster(bad) as c:
        with pytest.raises(vbackup.KubeError) as err:
            c.version()
    assert err.value.http_status == 401 and err.value.reason == "Unauthorized"
    with vbackup.Cluster(good) as c:
        assert c.version()["gitVersion"]
        with pytest.raises(vbackup.UnsupportedError):  # no Velero CRDs in this cluster
            vbackup.request_backup_deletion("nope", cluster=c)
    port = free_port()  # nobody listens there
    unreachable = good.parent / "unreachable"
    unreachable.write_text(re.sub(r"server: \S+", f"server: http://127.0.0.1:{port}", good.read_text()))
    with vbackup.Cluster(unreachable, request_timeout="2s") as c:
        with pytest.raises(vbackup.KubeError) as err:
            c.version()
    assert err.value.http_status is None and f"127.0.0.1:{port}" in err.value.message


def test_not_found_and_already_exists(location, demo_manifests, kube_server):
    with vbackup.Location(location) as loc:
        with pytest.raises(vbackup.NotFoundError) as err:
            loc.get_backup("nope")
        assert "nope" in err.value.message and err.value.http_status is None
    vbackup.backup({"includedNamespaces": ["demo"]}, name="b", location=location, from_manifests=demo_manifests)
    with pytest.raises(vbackup.AlreadyExistsError) as err:
        vbackup.backup({"includedNamespaces": ["demo"]}, name="b", location=location, from_manifests=demo_manifests)
    assert '"b"' in err.value.message or " b " in err.value.message or "b:" in err.value.message
    assert err.value.backup["status"]["phase"] in ("Failed", "FailedValidation")


def test_unsupported_and_local_io(location, demo_manifests, tmp_path):
    with vbackup.Cluster.from_manifests(demo_manifests) as c:
        with pytest.raises(vbackup.UnsupportedError):
            c.version()
    with pytest.raises(vbackup.Error) as err:
        vbackup.backup(name="b", location=location, from_manifests=tmp_path / "no-such-folder")
    assert "no-such-folder" in err.value.message


def test_bad_input_is_invalid_error_naming_it(location, demo_manifests):
    # A spec that fails validation: the Backup comes back in phase FailedValidation with the reasons.
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup({"includedNamespaces": ["demo"], "excludedNamespaces": ["demo"]}, name="v", location=location,
                       from_manifests=demo_manifests)
    assert err.value.backup["status"]["phase"] == "FailedValidation"
    assert err.value.backup["status"]["validationErrors"]
    # A value of the wrong type.
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup({"includedNamespaces": "demo"}, name="t", location=location, from_manifests=demo_manifests)
    assert "includedNamespaces" in err.value.message
    # A key Velero does not know, with strict_spec.
    with pytest.raises(vbackup.InvalidError) as err:
        vbackup.backup({"includedNamespace": ["demo"]}, name="k", location=location, from_manifests=demo_manifests,
                       strict_spec=True)
    assert "includedNamespace" in str(err.value.backup["status"]["validationErrors"])
    # Invalid JSON where JSON is read (a BackupStorageLocation given as text).
    with pytest.raises(vbackup.Error) as err:
        vbackup.Location('{"spec": ')
    assert err.value.message
    # An item hook answer the library does not know: that item's error, named, not a crash.
    b = vbackup.backup({"includedNamespaces": ["demo"]}, name="h", location=location, from_manifests=demo_manifests,
                       item_hook=lambda item: {"objekt": {}})
    assert b["status"]["phase"] == "PartiallyFailed"
    with vbackup.Location(location) as loc:
        assert 'unknown key \\"objekt\\"' in json.dumps(loc.describe_backup("h", details=True)["results"])
        # Nothing half-written for the ones that failed validation.
        assert [x["metadata"]["name"] for x in loc.list_backups()] == ["h"]
    with pytest.raises(TypeError):
        vbackup.restore(backup="h", location=location, dry_run=True, resource_modifiers=42)


def test_handles_are_context_managers_and_refuse_use_after_close(location, demo_manifests):
    with vbackup.Location(location) as loc, vbackup.Cluster.from_manifests(demo_manifests) as c:
        assert not loc.closed and not c.closed
        vbackup.backup({"includedNamespaces": ["demo"]}, name="b", location=loc, cluster=c)
    assert loc.closed and c.closed
    with pytest.raises(vbackup.InvalidError, match="Location: used after close"):
        loc.list_backups()
    with pytest.raises(vbackup.InvalidError, match="Cluster: used after close"):
        vbackup.backup(name="b2", location=location, cluster=c)
    loc.close()  # twice is fine
    c.close()
    # The C registry of live handles catches a stale pointer too (capi_internal.hpp).
    stale = vbackup.Location(location)
    handle = stale._handle
    stale.close()
    out = _lib.ctypes.c_void_p()
    assert _lib.backup_list(handle, _lib.ctypes.byref(out)) == -2
    assert b"not an open vbk_location" in _lib.last_error()


def public_callables():
    for name in vbackup.__all__:
        obj = getattr(vbackup, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            yield name, obj
            for mname, m in vars(obj).items():
                public = not mname.startswith("_") or mname in ("__init__", "__enter__", "__exit__")
                if (callable(m) or isinstance(m, classmethod)) and public:
                    yield f"{name}.{mname}", getattr(obj, mname)
        elif callable(obj):
            yield name, obj


def test_every_public_function_has_type_hints_and_a_docstring():
    missing = []
    for name, fn in public_callables():
        if not (fn.__doc__ or "").strip() and not name.endswith(("__enter__", "__exit__", "__init__")):
            missing.append(f"{name}: no docstring")
        if inspect.isclass(fn):
            continue
        sig = inspect.signature(fn)
        for p in sig.parameters.values():
            if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.annotation is inspect.Parameter.empty:
                missing.append(f"{name}({p.name}): no type hint")
        if sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{name}: no return type")
    assert missing == []
    import importlib.resources
    assert (importlib.resources.files("vbackup") / "py.typed").is_file()


def test_the_c_boundary_from_python(location):
    """NULL, invalid JSON, a wrong type and an unknown key through the raw ctypes functions: each
    InvalidError naming the argument or key (capi_boundary.c checks the same from C)."""
    with vbackup.Location(location) as loc:
        out = _lib.ctypes.c_void_p()
        with pytest.raises(vbackup.InvalidError, match="vbk_backup_get: name must not be NULL"):
            _lib.check(_lib.backup_get(loc._handle, None, _lib.ctypes.byref(out)))
        with pytest.raises(vbackup.InvalidError, match='unknown key "graec"'):
            _lib.call_json(_lib.location_prune, loc._handle, b'{"graec": "1h"}')
        with pytest.raises(vbackup.InvalidError, match="prune options"):
            _lib.call_json(_lib.location_prune, loc._handle, b'{"grace": ')
        with pytest.raises(vbackup.InvalidError, match="grace"):
            loc.prune(grace="soon")
        with pytest.raises(vbackup.InvalidError, match="includeNames"):
            _lib.call_json(_lib.backup_items, loc._handle, b"b", b'{"includeNames": "demo/*"}')
