// The restore benchmark's driver of run_restore (issue 11; bench/restore_bench.py runs it): the
// library alone, so that its peak RSS is the restore's and nothing else's. Two modes:
//
//   restore_bench restore --location URL --backup B --kubeconfig FILE [--name R] [--qps Q] [--burst N]
//                         [--parallel N] [--spool DIR]
//     restores backup B into the cluster of FILE (create_restore, Mode::apply, as `vbackup restore
//     create` does) and prints one JSON line: {"seconds", "firstItemSeconds", "items", "created", "failed", "other",
//     "phase", "errors", "warnings", "vmhwmKiB", "vmrssStartKiB"}. qps/burst 0 = the client's
//     defaults (Velero's 100/100). Exit 1 when the restore is not Completed.
//
//   restore_bench export --location URL --backup B --out DIR
//     a dry run with no cluster that writes every object exactly as the restore would send it to the
//     API server, for the baselines (kubectl create -f, bench/create_load): DIR/setup.jsonl (the
//     namespaces the restore creates, then the CRDs: what must exist before the rest) and
//     DIR/items.jsonl, one object a line as "<collection URL path>\t<JSON>", in restore order.
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/location.hpp"
#include "vbackup/restore.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <string>

using namespace vbackup;

namespace {

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

struct Args {
  std::string mode, location, backup, kubeconfig, name = "bench", out, spool;
  double qps = 0;
  int burst = 0, parallel = 8;
};

[[noreturn]] void usage() {
  std::cerr << "usage: restore_bench restore --location URL --backup B --kubeconfig FILE [--name R] [--qps Q] "
               "[--burst N] [--parallel N] [--spool DIR]\n"
               "       restore_bench export --location URL --backup B --out DIR\n";
  std::exit(2);
}

Args parse(int argc, char** argv) {
  if (argc < 2) usage();
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (k == "--location") a.location = v;
    else if (k == "--backup") a.backup = v;
    else if (k == "--kubeconfig") a.kubeconfig = v;
    else if (k == "--name") a.name = v;
    else if (k == "--out") a.out = v;
    else if (k == "--spool") a.spool = v;
    else if (k == "--qps") a.qps = std::strtod(v, nullptr);
    else if (k == "--burst") a.burst = std::atoi(v);
    else if (k == "--parallel") a.parallel = std::atoi(v);
    else usage();
  }
  if (a.location.empty() || a.backup.empty()) usage();
  if (a.mode == "restore" ? a.kubeconfig.empty() : a.mode == "export" ? a.out.empty() : true) usage();
  return a;
}

velero::Restore restore_of(const Args& a) {
  velero::Restore r;
  r.metadata.name = a.name;
  r.spec.backup_name = a.backup;
  return r;
}

int restore(const Args& a) {
  const long rss_start = status_kib("VmRSS:");
  auto location = open_location(a.location);
  ClusterOptions c;
  c.connect.kubeconfig = a.kubeconfig;
  c.qps = a.qps;
  c.burst = a.burst;
  auto cluster = Cluster::open(c);
  RestoreOptions o;
  o.parallel = a.parallel;
  if (!a.spool.empty()) o.spool_dir = a.spool;
  long created = 0, failed = 0, other = 0;
  std::string first_failure;
  const auto t0 = std::chrono::steady_clock::now();
  double first_item = 0;  // what comes before the first item: discovery, the spool of the tarball, prepare
  o.on_plan = [&](const RestorePlanItem& p) {  // called one at a time
    if (!first_item) first_item = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (p.action == "created") {
      ++created;
    } else if (p.action == "failed") {
      if (!failed++) first_failure = p.api_version_kind + " " + p.namespace_ + "/" + p.name + ": " + p.reason;
    } else {
      ++other;
    }
  };
  auto run = create_restore(cluster.get(), location, restore_of(a), o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& st = run.result.restore.status;
  json::object out{{"seconds", seconds},
                   {"firstItemSeconds", first_item},
                   {"items", st.progress ? st.progress->items_restored : 0},
                   {"created", created},
                   {"failed", failed},
                   {"other", other},
                   {"phase", st.phase},
                   {"errors", st.errors},
                   {"warnings", st.warnings},
                   {"vmhwmKiB", status_kib("VmHWM:")},
                   {"vmrssStartKiB", rss_start}};
  if (!first_failure.empty()) out["firstFailure"] = first_failure;
  if (!run.result.outcome.ok()) out["outcome"] = run.result.outcome.message;
  std::printf("%s\n", json::marshal(out, {.sort_keys = false}).c_str());
  return st.phase == "Completed" ? 0 : 1;
}

int export_objects(const Args& a) {
  namespace fs = std::filesystem;
  fs::create_directories(a.out);
  auto location = open_location(a.location);
  std::ofstream setup(fs::path(a.out) / "setup.jsonl"), items(fs::path(a.out) / "items.jsonl");
  std::string crds;  // after the namespaces in setup.jsonl
  RestoreOptions o;
  o.mode = RestoreOptions::Mode::dry_run;
  // Namespaces are not restore items: the restore creates each one bare from the archived Namespace
  // (restore §2.3 step 2). The benchmark's namespaces carry no labels, annotations or spec.
  o.on_plan = [&](const RestorePlanItem& p) {
    if (p.api_version_kind == "v1/Namespace" && p.action == "create") {
      setup << "/api/v1/namespaces\t"
            << json::marshal(json::object{{"apiVersion", "v1"}, {"kind", "Namespace"},
                                          {"metadata", json::object{{"name", p.name}}}})
            << "\n";
    }
  };
  o.on_item = [&](RestoreItem& item) {  // what the restore would create, after every transform
    std::string line = kube::KubeClient::path(item.resource, item.target_namespace) + "\t" + json::marshal(item.object) + "\n";
    if (item.group_resource == "customresourcedefinitions.apiextensions.k8s.io") {
      crds += line;
    } else {
      items << line;
    }
  };
  auto run = create_restore(nullptr, location, restore_of(a), o);
  setup << crds;
  if (!run.result.outcome.ok()) {
    std::cerr << "restore_bench export: " << run.result.outcome.message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    return a.mode == "restore" ? restore(a) : export_objects(a);
  } catch (const Error& e) {
    std::cerr << "restore_bench: " << e.what() << "\n";
    return 1;
  }
}
