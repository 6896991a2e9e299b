"""Restores a backup as a dry run with the Python package: no cluster is needed. Every object goes,
after all of the restore's transforms, into a folder (for ``kubectl apply -f``), and the plan is
printed as a table in restore order.

    python3 examples/python/restore_demo.py examples/manifests file:///tmp/backups OUTPUT_DIR
    python3 examples/python/restore_demo.py --backup NAME file:///tmp/backups OUTPUT_DIR

The first backs up the manifests, then plans their restore; the second plans the restore of a
backup the location holds. The objects go to OUTPUT_DIR/<restore name>/.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import vbackup  # noqa: E402


def main() -> int:
    args = sys.argv[1:]
    existing = len(args) == 4 and args[0] == "--backup"
    if len(args) != 3 and not existing:
        print(__doc__, file=sys.stderr)
        return 2
    location, output_dir = args[-2], args[-1]
    if existing:
        backup = args[1]
    else:
        backup = f"py-restore-example-{int(time.time())}-{os.getpid()}"
        vbackup.backup(name=backup, location=location, from_manifests=args[0])

    print(f"{'ACTION':8} {'KIND':50} {'NAMESPACE/NAME':32} REASON")

    def show(item: dict) -> None:
        where = f"{item['namespace']}/{item['name']}" if item["namespace"] else item["name"]
        print(f"{item['action']:8} {item['kind']:50} {where:32} {item.get('reason', '')}")

    name = f"{backup}-dry-run"
    folder = os.path.join(output_dir, name)
    result = vbackup.restore(name=name, backup=backup, location=location, dry_run=True, output_dir=folder, plan=show)
    print(f"{name}: {result['status']['phase']}, objects in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
