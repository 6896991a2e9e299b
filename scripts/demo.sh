#!/usr/bin/env bash
# The main job on the embedded defaults: set up, build, back up the demo application
# (examples/manifests) into the file store ./demo-backups, describe the backup, then plan its restore
# as a dry run (no cluster needed) with every object written to ./demo-restore-plan, ready for
# `kubectl apply -f demo-restore-plan`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh >/dev/null
vbackup=build/tools/vbackup/vbackup
location="file://$PWD/demo-backups"
# A rerun replaces the previous demo backup (a name can be used once per location, as in Velero) and
# the previous plan folder (the folder must be empty or absent).
"$vbackup" backup delete demo --confirm --storage-location "$location" >/dev/null 2>&1 || true
rm -rf demo-restore-plan
"$vbackup" backup create demo --from-manifests examples/manifests --storage-location "$location"
echo
"$vbackup" backup describe demo --details --storage-location "$location"
echo
echo "Files of the backup (a Velero server syncs this folder from a bucket):"
find demo-backups -type f | sort
echo
echo "Tarball (tar -tzf):"
tar -tzf demo-backups/backups/demo/demo.tar.gz
echo
echo "Restore plan (a dry run: no cluster is read or written; KUBECONFIG is ignored here):"
KUBECONFIG= "$vbackup" restore create demo-restore --from-backup demo --dry-run --output-dir ./demo-restore-plan \
  --storage-location "$location"
echo
echo "Files of the plan, in restore order (kubectl apply -f demo-restore-plan replays the restore):"
ls -1 demo-restore-plan
echo
echo "The Deployment as the restore would create it (Velero's restore labels, no status):"
cat demo-restore-plan/*-deployment-demo-web.yaml
