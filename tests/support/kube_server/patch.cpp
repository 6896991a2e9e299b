#include "kube_server/patch.hpp"

#include <algorithm>
#include <optional>
#include <vector>

namespace vbackup::kubetest {

// ---- RFC 7386 ----

json::value merge_patch(json::value target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object{};
  json::object& t = target.get_object();
  for (const auto& [key, value] : patch.get_object()) {
    if (value.is_null()) {
      t.erase(key);
    } else if (auto it = t.find(key); it != t.end()) {
      it->value() = merge_patch(std::move(it->value()), value);
    } else {
      t[key] = merge_patch(json::value(nullptr), value);
    }
  }
  return target;
}

// ---- RFC 6902 ----

namespace {

std::vector<std::string> split_pointer(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer.front() != '/') throw PatchError("json patch: path \"" + std::string(pointer) + "\" must start with '/'");
  pointer.remove_prefix(1);
  while (true) {
    auto slash = pointer.find('/');
    std::string token(pointer.substr(0, slash));
    std::string decoded;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        decoded.push_back(token[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        decoded.push_back(token[i]);
      }
    }
    out.push_back(std::move(decoded));
    if (slash == std::string_view::npos) break;
    pointer.remove_prefix(slash + 1);
  }
  return out;
}

std::optional<std::size_t> array_index(const std::string& token, std::size_t size, bool allow_end) {
  if (token == "-") return allow_end ? std::optional<std::size_t>(size) : std::nullopt;
  if (token.empty() || token.size() > 9 || !std::all_of(token.begin(), token.end(), ::isdigit)) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t i = std::stoul(token);
  if (i > size || (i == size && !allow_end)) return std::nullopt;
  return i;
}

// The container addressed by all tokens but the last.
json::value& parent_of(json::value& doc, const std::vector<std::string>& tokens, const std::string& path) {
  json::value* at = &doc;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (at->is_object()) {
      auto it = at->get_object().find(tokens[i]);
      if (it == at->get_object().end()) throw PatchError("json patch: path \"" + path + "\": doc is missing path");
      at = &it->value();
    } else if (at->is_array()) {
      auto idx = array_index(tokens[i], at->get_array().size(), false);
      if (!idx) throw PatchError("json patch: path \"" + path + "\": invalid array index \"" + tokens[i] + "\"");
      at = &at->get_array()[*idx];
    } else {
      throw PatchError("json patch: path \"" + path + "\": doc is missing path");
    }
  }
  return *at;
}

json::value get_at(json::value& doc, const std::string& path) {
  auto tokens = split_pointer(path);
  if (tokens.empty()) return doc;
  json::value& parent = parent_of(doc, tokens, path);
  if (parent.is_object()) {
    auto it = parent.get_object().find(tokens.back());
    if (it == parent.get_object().end()) throw PatchError("json patch: path \"" + path + "\": doc is missing path");
    return it->value();
  }
  if (parent.is_array()) {
    auto idx = array_index(tokens.back(), parent.get_array().size(), false);
    if (!idx) throw PatchError("json patch: path \"" + path + "\": invalid array index");
    return parent.get_array()[*idx];
  }
  throw PatchError("json patch: path \"" + path + "\": doc is missing path");
}

json::value remove_at(json::value& doc, const std::string& path) {
  auto tokens = split_pointer(path);
  if (tokens.empty()) throw PatchError("json patch: cannot remove the whole document");
  json::value& parent = parent_of(doc, tokens, path);
  if (parent.is_object()) {
    auto it = parent.get_object().find(tokens.back());
    if (it == parent.get_object().end())
      throw PatchError("json patch remove operation does not apply: doc is missing path: \"" + path + "\"");
    json::value out = it->value();
    parent.get_object().erase(it);
    return out;
  }
  if (parent.is_array()) {
    auto idx = array_index(tokens.back(), parent.get_array().size(), false);
    if (!idx) throw PatchError("json patch remove operation does not apply: doc is missing path: \"" + path + "\"");
    json::value out = parent.get_array()[*idx];
    parent.get_array().erase(parent.get_array().begin() + static_cast<std::ptrdiff_t>(*idx));
    return out;
  }
  throw PatchError("json patch remove operation does not apply: doc is missing path: \"" + path + "\"");
}

void add_at(json::value& doc, const std::string& path, json::value value, bool replace) {
  auto tokens = split_pointer(path);
  if (tokens.empty()) {
    doc = std::move(value);
    return;
  }
  json::value& parent = parent_of(doc, tokens, path);
  const char* op = replace ? "replace" : "add";
  if (parent.is_object()) {
    auto& o = parent.get_object();
    if (replace && !o.contains(tokens.back()))
      throw PatchError(std::string("json patch ") + op + " operation does not apply: doc is missing key: " + path);
    o[tokens.back()] = std::move(value);
  } else if (parent.is_array()) {
    auto& a = parent.get_array();
    auto idx = array_index(tokens.back(), a.size(), !replace);
    if (!idx) throw PatchError(std::string("json patch ") + op + " operation does not apply: invalid index: " + path);
    if (replace) a[*idx] = std::move(value);
    else a.insert(a.begin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
  } else {
    throw PatchError(std::string("json patch ") + op + " operation does not apply: doc is missing path: " + path);
  }
}

std::string op_string(const json::object& op, std::string_view key, std::size_t index, bool required = true) {
  auto it = op.find(key);
  if (it == op.end() || !it->value().is_string()) {
    if (!required) return {};
    throw PatchError("json patch: operation " + std::to_string(index) + ": missing string field \"" + std::string(key) + "\"");
  }
  return std::string(it->value().get_string());
}

}  // namespace

json::value json_patch(json::value target, const json::value& operations) {
  if (!operations.is_array()) throw PatchError("json patch: expected an array of operations");
  std::size_t index = 0;
  for (const json::value& v : operations.get_array()) {
    if (!v.is_object()) throw PatchError("json patch: operation " + std::to_string(index) + " is not an object");
    const json::object& op = v.get_object();
    const std::string name = op_string(op, "op", index), path = op_string(op, "path", index);
    auto value = [&]() -> json::value {
      auto it = op.find("value");
      if (it == op.end()) throw PatchError("json patch: operation " + std::to_string(index) + " (" + name + "): missing value");
      return it->value();
    };
    if (name == "add") {
      add_at(target, path, value(), false);
    } else if (name == "remove") {
      remove_at(target, path);
    } else if (name == "replace") {
      add_at(target, path, value(), true);
    } else if (name == "move") {
      const std::string from = op_string(op, "from", index);
      json::value moved = remove_at(target, from);
      add_at(target, path, std::move(moved), false);
    } else if (name == "copy") {
      const std::string from = op_string(op, "from", index);
      add_at(target, path, get_at(target, from), false);
    } else if (name == "test") {
      if (get_at(target, path) != value()) throw PatchError("json patch: test operation failed: " + path);
    } else {
      throw PatchError("json patch: unexpected operation \"" + name + "\"");
    }
    ++index;
  }
  return target;
}

// ---- strategic merge patch ----

namespace {

using Path = std::vector<std::string>;

struct Strategy {
  bool merge = false;
  std::string key;  // "" with merge = a list of primitives merged as a set
};

bool in(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// patchStrategy/patchMergeKey tags of k8s.io/api (core/v1 types.go and metav1.ObjectMeta) for the
// lists kubectl apply touches; every other list is atomic (replaced).
Strategy strategy_for(std::string_view kind, const Path& path) {
  if (path.empty()) return {};
  const std::string& field = path.back();
  const std::string parent = path.size() >= 2 ? path[path.size() - 2] : std::string();
  if (parent == "metadata" && path.size() == 2) {
    if (field == "finalizers") return {true, ""};
    if (field == "ownerReferences") return {true, "uid"};
    return {};
  }
  if (in(field, {"containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets",
                 "resourceClaims", "schedulingGates"}))
    return {true, "name"};
  if (in(parent, {"containers", "initContainers", "ephemeralContainers"})) {
    if (field == "ports") return {true, "containerPort"};
    if (field == "env") return {true, "name"};
    if (field == "volumeMounts") return {true, "mountPath"};
    if (field == "volumeDevices") return {true, "devicePath"};
  }
  if (field == "hostAliases") return {true, "ip"};
  if (field == "topologySpreadConstraints") return {true, "topologyKey"};
  if (kind == "Service" && path == Path{"spec", "ports"}) return {true, "port"};
  if (kind == "ServiceAccount" && path == Path{"secrets"}) return {true, "name"};
  if (parent == "status" && (field == "conditions" || (kind == "Node" && field == "addresses"))) return {true, "type"};
  return {};
}

bool is_directive(std::string_view key) { return !key.empty() && key.front() == '$'; }

// A patch value as plain content: directives dropped (a new element needs none of them).
json::value clean(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, x] : v.get_object())
      if (!is_directive(k)) out[k] = clean(x);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const json::value& x : v.get_array()) {
      if (x.is_object() && x.get_object().contains("$patch")) continue;
      out.push_back(clean(x));
    }
    return out;
  }
  return v;
}

std::string patch_directive(const json::value& v) {
  if (!v.is_object()) return {};
  auto it = v.get_object().find("$patch");
  if (it == v.get_object().end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

json::value merge_map(json::value original, const json::object& patch, std::string_view kind, const Path& path);

const json::value& key_of(const json::value& element, const std::string& key, const Path& path) {
  static const json::value null;
  if (!element.is_object()) throw PatchError("strategic merge patch: " + path.back() + ": expected a list of objects");
  auto it = element.get_object().find(key);
  if (it == element.get_object().end()) {
    if (patch_directive(element) == "replace") return null;
    throw PatchError("map: " + json::marshal(element) + " does not contain declared merge key: " + key);
  }
  return it->value();
}

json::array merge_list(json::array original, const json::array& patch, const Strategy& s, std::string_view kind,
                       const Path& path) {
  for (const json::value& p : patch)
    if (patch_directive(p) == "replace") return clean(json::value(patch)).get_array();
  if (s.key.empty()) {  // a set of primitives
    for (const json::value& p : patch)
      if (std::find(original.begin(), original.end(), p) == original.end()) original.push_back(p);
    return original;
  }
  for (const json::value& p : patch) {
    const json::value& k = key_of(p, s.key, path);
    auto match = std::find_if(original.begin(), original.end(), [&](const json::value& o) {
      return o.is_object() && o.get_object().contains(s.key) && o.get_object().at(s.key) == k;
    });
    const std::string directive = patch_directive(p);
    if (directive == "delete") {
      if (match != original.end()) original.erase(match);
    } else if (match != original.end()) {
      *match = merge_map(std::move(*match), p.get_object(), kind, path);
    } else {
      original.push_back(clean(p));
    }
  }
  return original;
}

// $setElementOrder/<list>: the listed elements in that order, then any others in their order.
json::array reorder(json::array list, const json::array& order, const Strategy& s) {
  json::array out;
  std::vector<bool> used(list.size(), false);
  for (const json::value& want : order) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (used[i]) continue;
      bool same = s.key.empty() ? list[i] == want
                                : (want.is_object() && list[i].is_object() && want.get_object().contains(s.key) &&
                                   list[i].get_object().contains(s.key) &&
                                   want.get_object().at(s.key) == list[i].get_object().at(s.key));
      if (same) {
        out.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < list.size(); ++i)
    if (!used[i]) out.push_back(list[i]);
  return out;
}

json::value merge_map(json::value original, const json::object& patch, std::string_view kind, const Path& path) {
  const std::string directive = patch_directive(json::value(patch));
  if (directive == "replace") return clean(json::value(patch));
  if (!original.is_object()) original = json::object{};
  json::object& o = original.get_object();
  for (const auto& [key, value] : patch) {
    if (key.starts_with("$deleteFromPrimitiveList/")) {
      std::string list(key.substr(std::string_view("$deleteFromPrimitiveList/").size()));
      auto it = o.find(list);
      if (it == o.end() || !it->value().is_array() || !value.is_array()) continue;
      auto& a = it->value().get_array();
      for (const json::value& gone : value.get_array()) a.erase(std::remove(a.begin(), a.end(), gone), a.end());
    }
  }
  for (const auto& [key, value] : patch) {
    if (is_directive(key)) continue;
    Path child = path;
    child.emplace_back(key);
    auto it = o.find(key);
    if (value.is_null()) {
      o.erase(key);
    } else if (value.is_object()) {
      if (patch_directive(value) == "delete") {
        o.erase(key);
      } else {
        json::value base = it != o.end() ? it->value() : json::value(json::object{});
        o[key] = merge_map(std::move(base), value.get_object(), kind, child);
      }
    } else if (value.is_array()) {
      Strategy s = strategy_for(kind, child);
      if (s.merge && it != o.end() && it->value().is_array()) {
        o[key] = merge_list(it->value().get_array(), value.get_array(), s, kind, child);
      } else if (s.merge) {
        o[key] = merge_list(json::array{}, value.get_array(), s, kind, child);
      } else {
        o[key] = clean(value);
      }
    } else {
      o[key] = value;
    }
  }
  for (const auto& [key, value] : patch) {
    if (!key.starts_with("$setElementOrder/") || !value.is_array()) continue;
    std::string list(key.substr(std::string_view("$setElementOrder/").size()));
    auto it = o.find(list);
    if (it == o.end() || !it->value().is_array()) continue;
    Path child = path;
    child.push_back(list);
    it->value() = reorder(it->value().get_array(), value.get_array(), strategy_for(kind, child));
  }
  if (auto it = patch.find("$retainKeys"); it != patch.end() && it->value().is_array()) {
    const json::array& keep = it->value().get_array();
    std::vector<std::string> drop;
    for (const auto& [k, v] : o)
      if (std::find(keep.begin(), keep.end(), json::value(json::string(k))) == keep.end()) drop.emplace_back(k);
    for (const auto& k : drop) o.erase(k);
  }
  return original;
}

}  // namespace

json::value strategic_merge_patch(json::value target, const json::value& patch, std::string_view kind) {
  if (!patch.is_object()) throw PatchError("strategic merge patch: expected a JSON object");
  return merge_map(std::move(target), patch.get_object(), kind, {});
}

}  // namespace vbackup::kubetest
