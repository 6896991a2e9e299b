// `vbackup backup-location check` reports what interrupted work left in the location (leftovers.hpp)
// and, with --prune, removes what is older than the grace period.
#pragma once

#include "vbackup/layout.hpp"

#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace vbackup::cli {

struct LeftoverFlags {
  bool prune = false;
  std::string grace = "1h";
};

// --prune and --grace on `check`.
void add_leftover_flags(CLI::App& check, LeftoverFlags& flags);

// Prints the leftovers on `out` (nothing when there are none) and, with --prune, removes the old
// ones and says what it removed and kept. False when a removal failed (the messages say which).
bool report_leftovers(std::ostream& out, storage::BackupStore& store, const LeftoverFlags& flags);

}  // namespace vbackup::cli
