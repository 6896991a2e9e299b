// A target cluster held in memory for the restore actions' unit tests (restore::TargetLookup):
// get by group-resource, namespace and name; list() evaluates the label selector and records each call.
#pragma once

#include "restore/actions/restore_item_action.hpp"
#include "vbackup/json.hpp"
#include "vbackup/labels.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace vbackup::testing {

class FakeTarget final : public restore::TargetLookup {
 public:
  void add(std::string gr, std::string ns, json::object o) {
    std::string name(json::metadata_string(o, "name"));
    objects_[{std::move(gr), std::move(ns), std::move(name)}] = std::move(o);
  }
  std::optional<json::object> get(std::string_view gr, std::string_view ns, std::string_view name) override {
    auto it = objects_.find({std::string(gr), std::string(ns), std::string(name)});
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<json::object> list(std::string_view gr, std::string_view ns, std::string_view selector) override {
    lists.emplace_back(std::string(gr) + " " + std::string(ns) + " " + std::string(selector));
    auto sel = labels::Selector::parse(selector);
    std::vector<json::object> out;
    for (const auto& [key, o] : objects_) {
      if (std::get<0>(key) == gr && std::get<1>(key) == ns && sel.matches(json::metadata_map(o, "labels"))) out.push_back(o);
    }
    return out;
  }
  std::vector<std::string> lists;  // "<gr> <ns> <selector>" of each list() call

 private:
  std::map<std::tuple<std::string, std::string, std::string>, json::object> objects_;
};

}  // namespace vbackup::testing
