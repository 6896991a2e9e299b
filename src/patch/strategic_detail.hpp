// For tests: the strategic merge patch over a type table given as text (smp_types.inc's format), so
// that apimachinery's own test vectors, written against its MergeItem test struct, can run.
#pragma once

#include "vbackup/json.hpp"

#include <string_view>

namespace vbackup::patch::detail {

json::object apply_strategic_merge_patch_with_table(std::string_view table_text, std::string_view root_struct,
                                                    const json::object& original, const json::object& patch);

}  // namespace vbackup::patch::detail
