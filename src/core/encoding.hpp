// Go's text encodings that Velero's and Kubernetes' formats rely on: strconv.Quote (messages,
// logrus values) and encoding/base64 StdEncoding ([]byte fields, kubeconfig *-data, !!binary).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vbackup {

// strconv.Quote: "…" with \a \b \f \n \r \t \v \\ \" escapes, other control bytes and invalid UTF-8
// as \xNN, C1 controls as \u00NN; printable UTF-8 kept as is.
std::string go_quote(std::string_view text);

// base64.StdEncoding: padded alphabet A–Z a–z 0–9 + /.
std::string base64_encode(std::string_view bytes);
// StdEncoding.Decode: CR and LF are ignored, as Go ignores them; nullopt for anything else that is
// not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vbackup
