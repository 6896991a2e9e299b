// Kubernetes quantities ("1.5Gi", "500m", "2e3") as resource.ParseQuantity reads them.
#pragma once

#include <string_view>

namespace vbackup {

// The value of a quantity, exact enough to order two of them. Error(invalid) with apimachinery's
// message, prefixed by `what` ("couldn't parse CPU request \"x\": ", "PVC request: ").
long double parse_quantity(std::string_view text, std::string_view what);

}  // namespace vbackup
