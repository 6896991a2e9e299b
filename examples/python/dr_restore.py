"""A small disaster-recovery tool: restores the newest Completed backup of a schedule into another
cluster, with a namespace mapping, after showing what it would change.

    python3 examples/python/dr_restore.py LOCATION SCHEDULE KUBECONFIG OLD=NEW[,OLD=NEW...]

LOCATION is where the backups are (file://…, s3://…, a named location); a schedule's backups carry
the label velero.io/schedule-name and are named <schedule>-<yyyyMMddHHmmss>. Exits 1 on any error.
"""
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import vbackup  # noqa: E402


def newest_completed(location: str, schedule: str) -> str:
    """What Velero's restore --from-schedule takes: the schedule's newest Completed backup by start time."""
    with vbackup.Location(location) as loc:
        backups = [b for b in loc.list_backups()
                   if b["metadata"].get("labels", {}).get("velero.io/schedule-name") == schedule
                   and b.get("status", {}).get("phase") == "Completed"]
    if not backups:
        raise vbackup.NotFoundError(f"schedule {schedule}: no Completed backup in {location}")
    return max(backups, key=lambda b: (b["status"].get("startTimestamp", ""), b["metadata"]["name"]))["metadata"]["name"]


def parse_mapping(text: str) -> dict:
    pairs = [pair.split("=", 1) for pair in text.split(",")]
    if any(len(p) != 2 or not all(p) for p in pairs):
        raise ValueError(f"namespace mapping {text!r}: not OLD=NEW[,OLD=NEW...]")
    return dict(pairs)


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    location, schedule, kubeconfig, mapping_arg = sys.argv[1:]
    try:
        spec = {"namespaceMapping": parse_mapping(mapping_arg)}  # {"demo": "demo-dr"}
        backup = newest_completed(location, schedule)
        print(f"backup {backup}")
        with vbackup.Cluster(kubeconfig) as target:
            # 1. The diff: a dry run against the live target, writing nothing anywhere.
            actions = collections.Counter()
            vbackup.restore(spec, name=f"{backup}-diff", backup=backup, location=location, cluster=target,
                            diff=True, plan=lambda p: actions.update([p["action"]]))
            print("diff: " + ", ".join(f"{n} {a}" for a, n in sorted(actions.items())))
            # 2. The restore itself, recorded in the location under restores/<name>/.
            result = vbackup.restore(spec, backup=backup, location=location, cluster=target)
    except (vbackup.Error, ValueError) as e:  # ValueError: a mapping that is not OLD=NEW
        print(f"error: {e}", file=sys.stderr)
        return 1
    status = result["status"]
    print(f"restore {result['metadata']['name']}: {status['phase']}, {status.get('progress', {}).get('itemsRestored', 0)}"
          f" items, {status.get('errors', 0)} errors, {status.get('warnings', 0)} warnings")
    return 0 if status["phase"] == "Completed" else 1


if __name__ == "__main__":
    sys.exit(main())
