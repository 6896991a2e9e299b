// libvbackup's C++ API for embedders, in one include. The headers below are the public boundary:
// they may change between minor versions before 1.0 (the C ABI, vbackup.h, is the stable one); the
// headers of src/ are internal and not installed.
#pragma once

#include "vbackup/archive.hpp"      // the Velero tarball: writer, streaming reader, entry paths
#include "vbackup/backup.hpp"       // run_backup / create_backup, BackupOptions, item actions
#include "vbackup/cluster.hpp"      // the cluster ports (source, target) and Cluster::open
#include "vbackup/deletion.hpp"     // expiry and deletion: GC, DeleteBackupRequests (issue 13)
#include "vbackup/discovery.hpp"    // API resources and Velero's name resolution
#include "vbackup/error.hpp"        // vbackup::Error and its codes
#include "vbackup/inspect.hpp"      // a backup's items, one item, two backups compared
#include "vbackup/json.hpp"         // Go-exact JSON
#include "vbackup/kube.hpp"         // the Kubernetes client and kubeconfig loading
#include "vbackup/labels.hpp"       // label selectors
#include "vbackup/layout.hpp"       // Velero's bucket layout (BackupStore)
#include "vbackup/leftovers.hpp"    // what interrupted work left in a location: find and prune
#include "vbackup/location.hpp"     // opening a location: URL or BackupStorageLocation
#include "vbackup/operation.hpp"    // callbacks, outcomes, the Velero CR recorder
#include "vbackup/persistence.hpp"  // stored backups and restores: get, list, describe, logs, download, delete
#include "vbackup/restore.hpp"      // run_restore / create_restore, dry run, diff, RestoreOptions
#include "vbackup/requests.hpp"     // DownloadRequest (signed URLs) and ServerStatusRequest controllers
#include "vbackup/storage.hpp"      // object stores
#include "vbackup/velero.hpp"       // velero.io/v1 types
#include "vbackup/version.hpp"
#include "vbackup/schedule.hpp"     // schedules: cron expressions, the schedule controller
#include "vbackup/install.hpp"      // vbackup install: Velero's CRDs and the server's resources, applied
#include "vbackup/sync.hpp"         // sync (bucket → Backup CRs), BSL validation, default location, credentials
#include "vbackup/server.hpp"       // vbackup server: informers, leader election, metrics, controllers, run_server
