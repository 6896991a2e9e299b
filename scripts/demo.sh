#!/usr/bin/env bash
# The main job on the embedded defaults: set up, build, back up the demo application
# (examples/manifests) into the file store ./demo-backups, and describe the backup.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh >/dev/null
vbackup=build/tools/vbackup/vbackup
location="file://$PWD/demo-backups"
# A rerun replaces the previous demo backup (a name can be used once per location, as in Velero).
"$vbackup" backup delete demo --confirm --storage-location "$location" >/dev/null 2>&1 || true
"$vbackup" backup create demo --from-manifests examples/manifests --storage-location "$location"
echo
"$vbackup" backup describe demo --details --storage-location "$location"
echo
echo "Files of the backup (a Velero server syncs this folder from a bucket):"
find demo-backups -type f | sort
echo
echo "Tarball (tar -tzf):"
tar -tzf demo-backups/backups/demo/demo.tar.gz
