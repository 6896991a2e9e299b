#include "storage/object_key.hpp"
#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

namespace vbackup::storage {

void check_object_key(const std::string& key, const std::string& what, std::string_view reserved_prefix) {
  auto bad = [&] { return invalid_input(what + ": invalid object key \"" + key + "\""); };
  if (key.empty() || key.front() == '/' || key.back() == '/') throw bad();
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string_view seg(key.data() + start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos ||
        (!reserved_prefix.empty() && seg.starts_with(reserved_prefix))) {
      throw bad();
    }
    start = end + 1;
  }
}

void ObjectStore::put(const std::string& key, std::string_view data) {
  auto w = open_write(key);
  w->write(data);
  w->commit();
}

std::string ObjectStore::get_all(const std::string& key, std::size_t limit) {
  auto in = get(key);
  return read_all(*in, limit, describe() + ": " + key);
}

}  // namespace vbackup::storage
