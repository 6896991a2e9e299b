#!/usr/bin/env python3
"""Writes N realistic Kubernetes objects (ConfigMaps, Secrets, Deployments, Pods with managedFields,
and custom resources with their CRD; about 4 KB on average) as JSON List files of 1,000 items into
a directory, for the benchmarks (issue 6). Deterministic for a given N and seed.

    bench/gen_objects.py OUT_DIR N [--namespaces K] [--seed S] [--no-managed-fields]

--no-managed-fields writes the same objects without metadata.managedFields (issue 17: a restore
then sends one write an item instead of Velero's create + managedFields patch).
"""
import argparse
import base64
import json
import os
import random

KINDS = ["ConfigMap", "Secret", "Deployment", "Pod", "Widget"]
WEIGHTS = [30, 15, 15, 30, 10]


def managed_fields(rng, manager):
    return [{"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": manager, "operation": "Update",
             "time": "2026-11-24T10:00:00Z",
             "fieldsV1": {"f:metadata": {"f:labels": {f"f:label-{i}": {} for i in range(rng.randint(2, 6))}},
                          "f:spec": {f"f:field{i}": {} for i in range(rng.randint(3, 10))}}}]


def meta(rng, kind, ns, name, i):
    return {"name": name, "namespace": ns, "uid": f"{i:08x}-0000-4000-8000-{rng.getrandbits(48):012x}",
            "resourceVersion": str(1000 + i), "creationTimestamp": "2026-11-24T10:00:00Z",
            "labels": {"app": f"app-{i % 97}", "tier": rng.choice(["web", "db", "cache"]), "bench": "yes"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "x" * rng.randint(900, 2800)},
            "managedFields": managed_fields(rng, "kubectl-client-side-apply")}


def obj(rng, kind, ns, i):
    name = f"{kind.lower()}-{i}"
    m = meta(rng, kind, ns, name, i)
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": kind, "metadata": m,
                "data": {f"key{k}": "".join(rng.choice("abcdefghij ") for _ in range(rng.randint(100, 700)))
                         for k in range(rng.randint(2, 8))}}
    if kind == "Secret":
        return {"apiVersion": "v1", "kind": kind, "metadata": m, "type": "Opaque",
                "data": {f"k{k}": base64.b64encode(rng.randbytes(rng.randint(16, 300))).decode() for k in range(4)}}
    container = {"name": "main", "image": f"registry.example.com/app:{i % 50}",
                 "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                 "env": [{"name": f"ENV_{k}", "value": str(rng.random())} for k in range(rng.randint(3, 12))],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": m,
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": m["labels"]["app"]}},
                         "template": {"metadata": {"labels": {"app": m["labels"]["app"]}},
                                      "spec": {"containers": [container]}}},
                "status": {"replicas": 2, "readyReplicas": 2, "observedGeneration": 1}}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": kind, "metadata": m,
                "spec": {"containers": [container], "nodeName": f"node-{i % 20}", "restartPolicy": "Always"},
                "status": {"phase": "Running", "podIP": f"10.0.{i % 250}.{i % 199}",
                           "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2026-11-24T10:00:00Z"}
                                          for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]}}
    return {"apiVersion": "bench.example.com/v1", "kind": "Widget", "metadata": m,
            "spec": {"size": rng.randint(1, 100), "colour": rng.choice(["red", "blue"]), "notes": "y" * rng.randint(100, 1500)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--namespaces", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-managed-fields", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.bench.example.com"},
           "spec": {"group": "bench.example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"bench-{k}"}} for k in range(a.namespaces)]
    with open(os.path.join(a.out, "000-setup.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": [crd] + namespaces}, f)
    total = 0
    batch = []
    for i in range(a.n):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        o = obj(rng, kind, f"bench-{i % a.namespaces}", i)
        if a.no_managed_fields:
            del o["metadata"]["managedFields"]
        total += len(json.dumps(o, separators=(",", ":")))
        batch.append(o)
        if len(batch) == 1000 or i == a.n - 1:
            with open(os.path.join(a.out, f"objects-{i // 1000:05d}.json"), "w") as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": batch}, f, separators=(",", ":"))
            batch = []
    print(f"{a.n} objects, {total / max(a.n, 1):.0f} bytes on average, {total / 1e6:.1f} MB of compact JSON")


if __name__ == "__main__":
    main()
