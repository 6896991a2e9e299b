"""Backs up a folder of manifests with the Python package and describes the result.

    python3 examples/python/backup_demo.py examples/manifests file:///tmp/backups [NAME]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import vbackup  # noqa: E402


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    manifests, location = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else f"py-example-{int(time.time())}-{os.getpid()}"
    result = vbackup.backup({"includedNamespaces": ["demo"]}, name=name, location=location, from_manifests=manifests,
                            progress=lambda done, total, written: print(f"\r{done} items", end="", file=sys.stderr))
    print(f"\n{name}: {result['status']['phase']}")
    with vbackup.Location(location) as loc:
        for kind, items in loc.describe_backup(name, details=True)["resourceList"].items():
            print(f"  {kind}: {', '.join(items)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
