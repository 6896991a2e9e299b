// vbackup backup ls|cat|diff: looking into stored backups without restoring them (inspect.hpp).
#include "commands.hpp"

namespace vbackup::cli {

void add_inspect_commands(CLI::App&, const Common&, int&) {}

}  // namespace vbackup::cli
