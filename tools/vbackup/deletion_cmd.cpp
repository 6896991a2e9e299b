// Expiry and deletion on the command line (issue 13; include/vbackup/deletion.hpp):
//  * `vbackup gc [--dry-run] [--process] [-o json|yaml]` (ours: Velero runs its GC controller inside
//    the server, once an hour) runs one GC pass over the Backup CRs of the Velero namespace and, with
//    --process, carries out the DeleteBackupRequests waiting there, as a server would;
//  * `vbackup backup delete --submit [--wait]` does what `velero backup delete` does: it creates a
//    DeleteBackupRequest for a running server instead of deleting the files itself.
#include "commands.hpp"
#include "output.hpp"

#include "vbackup/operation.hpp"
#include "vbackup/deletion.hpp"
#include "vbackup/labels.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <thread>

namespace vbackup::cli {
namespace {


void print_deletion(std::ostream& out, const deletion::DeletionResult& r) {
  const auto& dbr = r.request;
  out << "DeleteBackupRequest " << dbr.metadata.name << " (backup " << dbr.spec.backup_name << "): ";
  if (r.skipped) {
    out << "already " << dbr.status.phase << (r.request_expired ? ", older than 24h: deleted" : ", skipped") << "\n";
  } else if (dbr.status.errors.empty()) {
    const auto& csi = r.csi_snapshots;
    const std::size_t snapshots = csi.temporary_contents.size() + csi.legacy_contents.size();
    out << "Processed: " << r.deleted_objects.size() << " objects, " << r.deleted_restores.size() << " restores"
        << (snapshots ? ", " + std::to_string(snapshots) + " CSI snapshots" : std::string())
        << (r.backup_cr_deleted ? ", the Backup CR" : "") << " deleted\n";
  } else {
    out << "Processed with errors:\n";
    for (const auto& e : dbr.status.errors) out << "  " << e << "\n";
  }
}

int run_gc(const Common& c, bool dry_run, bool process, const std::string& output) {
  if (!output.empty()) check_output(output, false);
  kube::KubeClient client(kube::load_rest_config(c.connect()));
  deletion::GcOptions o;
  o.namespace_ = c.velero_namespace;
  o.dry_run = dry_run;
  auto gc = deletion::gc_once(client, o);
  std::vector<deletion::DeletionResult> processed;
  if (process && !dry_run) {
    deletion::DeletionOptions d;
    processed = deletion::process_delete_backup_requests(client, c.velero_namespace, d);
  }
  int rc = 0;
  for (const auto& i : gc.items) rc |= i.action == "error" ? 1 : 0;
  for (const auto& r : processed) rc |= r.request.status.errors.empty() ? 0 : 1;
  if (!output.empty()) {
    json::object o = gc.to_json();
    if (process) {
      json::array a;
      for (const auto& r : processed) a.push_back(r.to_json());
      o["processed"] = std::move(a);
    }
    print_object(std::cout, o, output);
    return rc;
  }
  if (gc.items.empty()) std::cout << "No backups found\n";
  for (const auto& i : gc.items) {
    std::cout << i.backup << ": " << (dry_run && i.action == "requested deletion" ? "would request deletion" : i.action);
    if (!i.delete_request.empty()) std::cout << " (DeleteBackupRequest " << i.delete_request << ")";
    if (!i.gc_failure.empty()) std::cout << " velero.io/gc-failure=" << i.gc_failure;
    if (i.action == "gc-failure" || i.action == "error") std::cout << ": " << i.message;
    std::cout << "\n";
  }
  for (const auto& r : processed) print_deletion(std::cout, r);
  return rc;
}

// --wait: until every Backup CR submitted is gone, or its request ends Processed with errors.
int wait_for_deletions(kube::KubeClient& client, const std::string& ns,
                       std::vector<std::pair<std::string, std::string>> pending /* backup, request */) {
  const ApiResource& backups = velero_resource(client, "backups", "Backup");
  const ApiResource& dbrs = velero_resource(client, "deletebackuprequests", "DeleteBackupRequest");
  std::cout << "Waiting for the backups to be deleted; you may safely press ctrl-c to stop waiting - "
               "the deletion will continue in the background.\n";
  int rc = 0;
  while (!pending.empty()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& [backup, request] = *it;
      if (!client.try_get(backups, ns, backup)) {
        std::cout << "Backup \"" << backup << "\" deleted.\n";
        it = pending.erase(it);
        continue;
      }
      auto r = client.try_get(dbrs, ns, request);
      if (r) {
        auto dbr = velero::DeleteBackupRequest::from_json(*r, "DeleteBackupRequest " + ns + "/" + request);
        if (dbr.status.phase == velero::delete_backup_request_phase::Processed && !dbr.status.errors.empty()) {
          std::cerr << "Backup \"" << backup << "\" was not deleted (DeleteBackupRequest " << request << "):\n";
          for (const auto& e : dbr.status.errors) std::cerr << "  " << e << "\n";
          rc = 1;
          it = pending.erase(it);
          continue;
        }
      }
      ++it;
    }
  }
  return rc;
}

}  // namespace

int submit_backup_deletion(const Common& c, const std::vector<std::string>& names, bool all,
                           const std::string& selector, bool confirm, bool wait) {
  check_selection("backup", names, all, selector);
  // pkg/cmd/cli/backup/delete.go: confirmation first, then the Backup CRs, then one request each.
  if (!confirmed("backup delete", confirm)) return 0;
  kube::KubeClient client(kube::load_rest_config(c.connect()));
  const ApiResource& backups = velero_resource(client, "backups", "Backup");
  std::vector<std::string> list;
  int rc = 0;
  if (!names.empty()) {
    for (const auto& n : names) {
      try {
        client.get(backups, c.velero_namespace, n);
        list.push_back(n);
      } catch (const kube::KubeError& e) {
        std::cerr << "An error occurred: " << e.status_message() << "\n";
        rc = 1;
      }
    }
  } else {
    ListOptions lo;
    lo.namespace_ = c.velero_namespace;
    lo.label_selector = selector.empty() ? std::string() : labels::Selector::parse(selector).to_string();
    client.list(backups, lo, [&](json::object&& o) { list.emplace_back(json::metadata_string(o, "name")); });
  }
  if (list.empty()) {
    if (rc == 0) std::cout << "No backups found\n";
    return rc;
  }
  std::vector<std::pair<std::string, std::string>> submitted;
  for (const auto& n : list) {
    try {
      auto r = deletion::request_backup_deletion(client, c.velero_namespace, n);
      submitted.emplace_back(n, r.metadata.name);
      std::cout << "Request to delete backup \"" << n << "\" submitted successfully.\n"
                << "The backup will be fully deleted after all associated data (disk snapshots, backup files, "
                   "restores) are removed.\n";
    } catch (const kube::KubeError& e) {
      std::cerr << "An error occurred: " << e.status_message() << "\n";
      rc = 1;
    }
  }
  if (wait && !submitted.empty()) rc |= wait_for_deletions(client, c.velero_namespace, std::move(submitted));
  return rc;
}

void add_deletion_commands(CLI::App& app, const Common& common, int& rc) {
  struct Flags {
    bool dry_run = false, process = false;
    std::string output;
  };
  auto f = std::make_shared<Flags>();
  auto* gc = app.add_subcommand("gc", "Run one garbage-collection pass over the Backups of the Velero namespace "
                                      "(ours; a Velero server runs it hourly): an expired Backup gets a "
                                      "DeleteBackupRequest, or the velero.io/gc-failure label when its location "
                                      "forbids it");
  gc->fallthrough();
  gc->add_flag("--dry-run", f->dry_run, "Say what would be done; change nothing");
  gc->add_flag("--process", f->process, "Also carry out the DeleteBackupRequests waiting in the namespace, as a "
                                        "server would (the files, the restores, the Backup CR)");
  gc->add_option("-o,--output", f->output, "Print the result as json or yaml");
  gc->callback([&common, &rc, f] { rc = run_gc(common, f->dry_run, f->process, f->output); });
}

}  // namespace vbackup::cli
