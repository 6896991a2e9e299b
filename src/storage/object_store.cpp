#include "vbackup/error.hpp"
#include "vbackup/storage.hpp"

namespace vbackup::storage {

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
