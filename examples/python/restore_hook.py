"""Restores a backup as a dry run with an item hook: the in-process RestoreItemAction. The hook sees
every item after Velero's own restore actions, just before it would go to the cluster; here it adds
the label ``restored-by: example`` to every object and leaves Secrets out.

    python3 examples/python/restore_hook.py examples/manifests file:///tmp/backups OUTPUT_DIR

It backs up the manifests first, then plans the restore (no cluster needed) and writes every object
it would create to OUTPUT_DIR/<restore name>/, one YAML file each.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import vbackup  # noqa: E402


def hook(item: dict) -> dict:
    """Called once per item with {"groupResource", "sourceNamespace", "targetNamespace", "object", ...}."""
    obj = item["object"]
    where = f"{item['groupResource']} {item['targetNamespace'] + '/' if item['targetNamespace'] else ''}" \
            f"{obj['metadata']['name']}"
    if item["groupResource"] == "secrets":
        print(f"hook: skipped  {where}")
        return {"skip": True}  # recorded as skipped, never sent to the cluster
    obj["metadata"].setdefault("labels", {})["restored-by"] = "example"
    print(f"hook: labelled {where}")
    return {"object": obj}  # the changed object replaces the item; return None to keep it as it was


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    manifests, location, output_dir = sys.argv[1:]
    backup = f"py-hook-example-{int(time.time())}-{os.getpid()}"
    vbackup.backup(name=backup, location=location, from_manifests=manifests)

    def show(p: dict) -> None:  # one line of the plan per object, in restore order
        print(f"plan: {p['action']:6} {p['kind']:40} {p['namespace']}/{p['name']} {p.get('reason', '')}")

    name = f"{backup}-hooked"
    folder = os.path.join(output_dir, name)
    try:
        result = vbackup.restore(name=name, backup=backup, location=location, dry_run=True, output_dir=folder,
                                 item_hook=hook, plan=show)
    except vbackup.Error as e:
        print(f"restore failed: {e}", file=sys.stderr)
        return 1
    print(f"{name}: {result['status']['phase']}, objects in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
