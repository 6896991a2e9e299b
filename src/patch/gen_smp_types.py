#!/usr/bin/env python3
"""Generates src/patch/smp_types.inc: the Go struct graph strategic merge patch walks (field JSON names,
field types, `patchStrategy` and `patchMergeKey` tags) for the kinds of Velero's restore scheme.

Velero's restore client (pkg/cmd/server/server.go, mgr.GetClient()) registers core/v1, apps/v1,
batch/v1, velero.io v1 and v2alpha1, snapshot.storage.k8s.io/v1 and groupsnapshot.storage.k8s.io/
v1beta2. The last two live in kubernetes-csi/external-snapshotter (their kinds
are read from kubernetes-csi/external-snapshotter at client/v8.4.0, Velero's pin).

Usage: gen_smp_types.py K8S_API_GITDIR APIMACHINERY_GITDIR VELERO_GITDIR SNAPSHOTTER_GITDIR > smp_types.inc
(git directories; k8s.io/api and apimachinery are read at tag v0.36.0, Velero's pin; Velero at HEAD).
"""
import re
import subprocess
import sys

API_TAG = "v0.36.0"

# (short package name, git dir index, ref, files, group/version or None when not registered)
SNAPSHOTTER_TAG = "client/v8.4.0"


def packages(k8s, mach, velero, snap):
    return [
        ("core", k8s, API_TAG, ["core/v1/types.go"], "v1"),
        ("apps", k8s, API_TAG, ["apps/v1/types.go"], "apps/v1"),
        ("batch", k8s, API_TAG, ["batch/v1/types.go"], "batch/v1"),
        ("meta", mach, API_TAG, ["pkg/apis/meta/v1/types.go", "pkg/apis/meta/v1/time.go",
                                 "pkg/apis/meta/v1/micro_time.go", "pkg/apis/meta/v1/duration.go"], None),
        ("resource", mach, API_TAG, ["pkg/api/resource/quantity.go"], None),
        ("intstr", mach, API_TAG, ["pkg/util/intstr/intstr.go"], None),
        ("runtime", mach, API_TAG, ["pkg/runtime/types.go"], None),
        ("velero", velero, "HEAD", [f"pkg/apis/velero/v1/{f}" for f in [
            "backup_repository_types.go", "backup_types.go", "backupstoragelocation_types.go",
            "delete_backup_request_types.go", "download_request_types.go", "pod_volume_backup_types.go",
            "pod_volume_restore_type.go", "restore_types.go", "schedule_types.go",
            "server_status_request_types.go", "volume_snapshot_location_type.go"]], "velero.io/v1"),
        ("velerov2", velero, "HEAD", ["pkg/apis/velero/v2alpha1/data_download_types.go",
                                      "pkg/apis/velero/v2alpha1/data_upload_types.go"], "velero.io/v2alpha1"),
        ("snapshot", snap, SNAPSHOTTER_TAG, ["client/apis/volumesnapshot/v1/types.go"], "snapshot.storage.k8s.io/v1"),
        ("groupsnapshot", snap, SNAPSHOTTER_TAG, ["client/apis/volumegroupsnapshot/v1beta2/types.go"],
         "groupsnapshot.storage.k8s.io/v1beta2"),
    ]

# Go import aliases used in those files → our package names.
ALIASES = {"metav1": "meta", "v1": "core", "corev1": "core", "corev1api": "core", "resource": "resource",
           "intstr": "intstr", "runtime": "runtime", "types": "types", "velerov1api": "velero",
           "velerov1": "velero", "snapshotv1": "snapshot"}
REGISTER = {"core": "core/v1/register.go", "apps": "apps/v1/register.go", "batch": "batch/v1/register.go",
            "velero": "pkg/apis/velero/v1/register.go", "velerov2": "pkg/apis/velero/v2alpha1/register.go",
            "snapshot": "client/apis/volumesnapshot/v1/register.go",
            "groupsnapshot": "client/apis/volumegroupsnapshot/v1beta2/register.go"}
SCALARS = {"string", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
           "uint32", "uint64", "float32", "float64", "byte", "rune"}


def show(gitdir, ref, path):
    return subprocess.run(["git", "-C", gitdir, "show", f"{ref}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def parse_package(pkg, sources):
    structs, named = {}, {}
    for src in sources:
        src = strip_comments(src)
        for m in re.finditer(r"\btype\s+(\w+)\s+struct\s*\{", src):
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(src[i], 0)
                i += 1
            structs[m.group(1)] = parse_fields(src[m.end():i - 1])
        for m in re.finditer(r"\btype\s+(\w+)\s+([^\s{][^\n]*)", src):
            if m.group(2).strip().startswith("struct"):
                continue
            named[m.group(1)] = m.group(2).strip()
    return structs, named


def parse_fields(body):
    fields = []
    for line in body.split("\n"):
        line = line.strip()
        if not line:
            continue
        tag = ""
        t = re.search(r"`([^`]*)`", line)
        if t:
            tag = t.group(1)
            line = line[:t.start()].strip()
        parts = line.split(None, 1)
        if len(parts) == 1:  # embedded
            name, typ, embedded = parts[0].lstrip("*").split(".")[-1], parts[0], True
        else:
            name, typ, embedded = parts[0], parts[1], False
        tags = dict(re.findall(r'(\w+):"([^"]*)"', tag))
        fields.append({"name": name, "type": typ, "embedded": embedded, "tags": tags})
    return fields


class Graph:
    def __init__(self):
        self.pkgs = {}  # pkg -> (structs, named)

    def resolve(self, pkg, typ):
        """A type expression → shape: s (scalar), m (map), o:pkg.Name (struct), p:o:pkg.Name (pointer to
        a struct: the patch code may treat it as a list of that struct), l:<elem shape>."""
        typ = typ.strip()
        if typ.startswith("*"):
            shape = self.resolve(pkg, typ[1:])
            return "p:" + shape if shape.startswith("o:") else shape
        if typ.startswith("[]"):
            elem = typ[2:].lstrip("*")
            if elem in ("byte", "uint8"):
                return "s"  # []byte marshals as a base64 string
            return "l:" + self.resolve(pkg, elem)
        if typ.startswith("map["):
            return "m"
        if "." in typ:
            alias, name = typ.split(".", 1)
            pkg = ALIASES.get(alias, alias)
            typ = name
        if typ in SCALARS:
            return "s"
        structs, named = self.pkgs.get(pkg, ({}, {}))
        if typ in structs:
            return f"o:{pkg}.{typ}"
        if typ in named:
            return self.resolve(pkg, named[typ])
        return "s"  # time.Time-like and types from packages not read: no fields a patch can reach

    def fields(self, pkg, name, seen=None):
        """cachedTypeFields: JSON name → (shape, strategy, merge key), embedded structs flattened."""
        out = []
        for f in self.pkgs[pkg][0][name]:
            js = f["tags"].get("json", None)
            jname = js.split(",")[0] if js is not None else ""
            if js is not None and jname == "-":
                continue
            if not f["embedded"] and not f["name"][0].isupper():
                continue
            shape = self.resolve(pkg, f["type"])
            if f["embedded"] and jname == "" and shape.lstrip("p:").startswith("o:"):
                sub_pkg, sub = shape.split("o:", 1)[1].split(".", 1)
                out.extend(self.fields(sub_pkg, sub))
                continue
            if f["embedded"] and (not f["name"][0].isupper() or jname == ""):
                continue  # an embedded struct of a package not read (time.Time): no exported fields
            out.append((jname or f["name"], shape, f["tags"].get("patchStrategy", ""),
                        f["tags"].get("patchMergeKey", "")))
        return out


def main():
    k8s, mach, velero, snap = sys.argv[1:5]
    g = Graph()
    pkgs = packages(k8s, mach, velero, snap)
    registered = {}
    for pkg, gitdir, ref, files, gv in pkgs:
        srcs = [show(gitdir, ref, f) for f in files]
        g.pkgs[pkg] = parse_package(pkg, srcs)
        if gv:
            reg = show(gitdir, ref, REGISTER[pkg])
            kinds = [k for k in re.findall(r"&(\w+)\{\}", reg) if k in g.pkgs[pkg][0]]
            registered[gv] = (pkg, sorted(set(kinds)))
    # Only the structs reachable from a registered kind.
    reach, todo = set(), [f"{pkg}.{k}" for pkg, kinds in registered.values() for k in kinds]
    while todo:
        q = todo.pop()
        if q in reach:
            continue
        reach.add(q)
        pkg, name = q.split(".", 1)
        for _, shape, _, _ in g.fields(pkg, name):
            s = shape
            while s.startswith("l:") or s.startswith("p:"):
                s = s[2:]
            if s.startswith("o:"):
                todo.append(s[2:])
    print("// Generated by src/patch/gen_smp_types.py from k8s.io/api and k8s.io/apimachinery " + API_TAG + ",")
    print("// velero-io/velero pkg/apis and external-snapshotter " + SNAPSHOTTER_TAG + ": do not edit. One line per Go struct:")
    print("//   <pkg>.<Struct>|<json>:<shape>:<patchStrategy>:<patchMergeKey>|...")
    print("// shape: s scalar, m map, o:<pkg>.<Struct>, p:o:<pkg>.<Struct> (a pointer), l:<element shape>.")
    print("// Then one line per registered kind:")
    print("//   =<apiVersion> <Kind> <pkg>.<Struct>")
    print('R"SMP(')
    for q in sorted(reach):
        pkg, name = q.split(".", 1)
        cells = [f"{j}:{s}:{st}:{mk}" for j, s, st, mk in g.fields(pkg, name)]
        print(q + ("|" + "|".join(cells) if cells else ""))
    for gv, (pkg, kinds) in sorted(registered.items()):
        for k in kinds:
            print(f"={gv} {k} {pkg}.{k}")
    print(')SMP"')


if __name__ == "__main__":
    main()
