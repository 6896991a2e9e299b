// Named locations (issue 12, "Velero's habits"): `--storage-location NAME` as velero takes a
// BackupStorageLocation by name. The names live in a locations file of BackupStorageLocation
// objects (one default at most, velero CLI's rules: pkg/cmd/cli/backuplocation create.go, set.go),
// then among the cluster's BSL CRs (a callback here: the CLI lists them).
#include "test_helpers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/location.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

using namespace vbackup;
using namespace vbackup::testing;

namespace {

velero::BackupStorageLocation bsl(const std::string& name, const std::string& bucket, bool is_default = false) {
  velero::BackupStorageLocation l;
  l.metadata.name = name;
  l.spec.provider = "file";
  l.spec.object_storage = velero::ObjectStorageLocation{};
  l.spec.object_storage->bucket = bucket;
  l.spec.default_ = is_default;
  return l;
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace

TEST_CASE("locations file: where it is ($VBACKUP_CONFIG, $XDG_CONFIG_HOME, ~/.config)") {
  EnvVar env("VBACKUP_CONFIG", "/etc/x/locations.yaml");
  CHECK(default_locations_file() == "/etc/x/locations.yaml");
  env.set("VBACKUP_CONFIG", nullptr);
  env.set("XDG_CONFIG_HOME", "/home/u/.cfg");
  CHECK(default_locations_file() == "/home/u/.cfg/vbackup/locations.yaml");
  env.set("XDG_CONFIG_HOME", nullptr);
  env.set("HOME", "/home/u");
  CHECK(default_locations_file() == "/home/u/.config/vbackup/locations.yaml");
}

TEST_CASE("locations file: a missing file is empty; add, save and load round-trip, private to the user") {
  TempDir dir("loc");
  auto path = dir.path / "cfg" / "locations.yaml";
  auto f = LocationsFile::load(path);
  CHECK(f.locations().empty());
  CHECK(f.default_location() == nullptr);
  auto a = bsl("primary", "/srv/a", true);
  a.metadata.labels["env"] = "prod";
  a.spec.config["x"] = "y";
  f.add(a);
  f.add(bsl("secondary", "/srv/b"));
  f.save();  // creates the folder
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // a location may name a credentials file
  auto g = LocationsFile::load(path);
  REQUIRE(g.locations().size() == 2);
  CHECK(g.locations()[0].metadata.name == "primary");  // file order kept
  CHECK(g.find("primary")->metadata.labels.at("env") == "prod");
  CHECK(g.find("primary")->spec.config.at("x") == "y");
  CHECK(g.default_location()->metadata.name == "primary");
  CHECK(g.find("secondary")->spec.object_storage->bucket == "/srv/b");
  CHECK(g.find("nope") == nullptr);
}

TEST_CASE("locations file: velero's rules: one default, names as Kubernetes takes them, no duplicates") {
  TempDir dir("loc");
  auto f = LocationsFile::load(dir.path / "l.yaml");
  f.add(bsl("a", "/a", true));
  ErrorCode code{};
  // create.go: "there is already exist default backup storage location, please unset it first …"
  std::string msg = error_of([&] { f.add(bsl("b", "/b", true)); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("there is already exist default backup storage location (\"a\"), please unset it first or do not set "
                 "--default flag") == 0);
  msg = error_of([&] { f.add(bsl("a", "/other")); }, &code);
  CHECK(code == ErrorCode::already_exists);
  CHECK(msg.find("backup storage location \"a\" already exists in ") == 0);
  for (const char* bad : {"", "Upper", "-x", "x-", "a_b", "a/b"}) {
    msg = error_of([&] { f.add(bsl(bad, "/x")); }, &code);
    CHECK(code == ErrorCode::invalid);
    CHECK(msg.find("a Kubernetes object name") != std::string::npos);
  }
  f.add(bsl("b.example-1", "/b"));
  // set.go: another default must be unset first.
  msg = error_of([&] { f.set_default("b.example-1", true); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("there are already exist default backup storage locations (\"a\"), please unset them first") == 0);
  CHECK_FALSE(f.set_default("a", true));  // already
  CHECK(f.set_default("a", false));
  CHECK(f.set_default("b.example-1", true));
  CHECK(f.default_location()->metadata.name == "b.example-1");
  msg = error_of([&] { f.set_default("zz", true); }, &code);
  CHECK(code == ErrorCode::not_found);
  auto changed = bsl("a", "/a2");
  f.update(changed);
  CHECK(f.locations()[0].spec.object_storage->bucket == "/a2");  // in place
  CHECK(f.remove("a"));
  CHECK_FALSE(f.remove("a"));
  CHECK(f.locations().size() == 1);
}

TEST_CASE("locations file: what is not a list of named BackupStorageLocations is refused, naming the file") {
  TempDir dir("loc");
  auto p = dir.path / "l.yaml";
  ErrorCode code{};
  write(p, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  CHECK(error_of([&] { LocationsFile::load(p); }, &code).find(p.string()) != std::string::npos);
  CHECK(code == ErrorCode::invalid);
  write(p, "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nspec: {provider: file, objectStorage: {bucket: /a}}\n");
  CHECK(error_of([&] { LocationsFile::load(p); }).find("a location needs metadata.name") != std::string::npos);
  std::string two = "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: a}\n"
                    "spec: {provider: file, default: true, objectStorage: {bucket: /a}}\n";
  write(p, two + "---\n" + two);
  CHECK(error_of([&] { LocationsFile::load(p); }).find("location \"a\" is defined twice") != std::string::npos);
  std::string b = "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: b}\n"
                  "spec: {provider: aws, default: true, objectStorage: {bucket: bk}, config: {region: eu-west-1}}\n";
  write(p, two + "---\n" + b);
  CHECK(error_of([&] { LocationsFile::load(p); }).find("both \"a\" and \"b\" are marked spec.default: true") !=
        std::string::npos);
}

TEST_CASE("--storage-location NAME: the file first, then the cluster's BackupStorageLocations; \"\" is the default") {
  TempDir dir("loc");
  auto path = dir.path / "locations.yaml";
  auto f = LocationsFile::load(path);
  f.add(bsl("local", (dir.path / "bucket").string(), true));
  auto s3 = bsl("shared", "ignored");
  f.add(s3);
  f.save();
  int asked = 0;
  LocationOptions o;
  o.locations_file = path;
  o.cluster_locations = [&] {
    ++asked;
    velero::BackupStorageLocation cr;
    cr.metadata.name = "remote";
    cr.spec.provider = "aws";
    cr.spec.object_storage = velero::ObjectStorageLocation{};
    cr.spec.object_storage->bucket = "velero-bucket";
    cr.spec.object_storage->prefix = "cluster-a";
    cr.spec.config["region"] = "eu-west-1";
    auto shadowed = bsl("shared", "/from-the-cluster");
    return std::vector<velero::BackupStorageLocation>{cr, shadowed};
  };
  auto l = load_location("local", o);
  CHECK(l.name == "local");  // recorded as the Backup's spec.storageLocation
  CHECK(l.provider == "file");
  CHECK(l.bucket == (dir.path / "bucket").string());
  CHECK(load_location("", o).name == "local");  // the default
  CHECK(load_location("shared", o).bucket == "ignored");  // the file wins
  CHECK(asked == 0);  // the cluster is asked only for a name the file lacks
  auto r = load_location("remote", o);
  CHECK(asked == 1);
  CHECK(r.name == "remote");
  CHECK(r.provider == "aws");
  CHECK(r.bucket == "velero-bucket");
  CHECK(r.prefix == "cluster-a");
  CHECK(r.config.at("region") == "eu-west-1");
  ErrorCode code{};
  std::string msg = error_of([&] { load_location("nowhere", o); }, &code);
  CHECK(code == ErrorCode::not_found);
  CHECK(msg.find("storage location \"nowhere\": no location of that name in " + path.string() +
                 " nor among the cluster's BackupStorageLocations") == 0);
  // URLs, files and text still mean what they meant.
  CHECK(load_location("file://" + dir.path.string() + "/b2", o).bucket == dir.path.string() + "/b2");
  CHECK(asked == 2);
}

TEST_CASE("--storage-location left out: the default of the file, else of the cluster, else a message saying how") {
  TempDir dir("loc");
  LocationOptions o;
  o.locations_file = dir.path / "none.yaml";
  ErrorCode code{};
  std::string msg = error_of([&] { load_location("", o); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(msg.find("no storage location: pass --storage-location") == 0);
  CHECK(msg.find("vbackup backup-location create NAME … --default") != std::string::npos);
  o.cluster_locations = [] {
    auto d = bsl("cluster-default", "/cd", true);
    return std::vector<velero::BackupStorageLocation>{bsl("other", "/o"), d};
  };
  CHECK(load_location("", o).name == "cluster-default");
}

TEST_CASE("open_location(NAME): through $VBACKUP_CONFIG, as the C API and Python open it") {
  TempDir dir("loc");
  EnvVar env("VBACKUP_CONFIG", (dir.path / "locations.yaml").string());
  auto f = LocationsFile::load();
  CHECK(f.path() == dir.path / "locations.yaml");
  f.add(bsl("mine", (dir.path / "bucket").string(), true));
  f.save();
  auto opened = open_location("mine");
  CHECK(opened.location.name == "mine");
  CHECK(opened.backups->list_backups().empty());
  CHECK(open_location("").location.name == "mine");
  ErrorCode code{};
  error_of([] { open_location("other"); }, &code);
  CHECK(code == ErrorCode::not_found);
}
