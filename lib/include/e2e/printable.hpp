// Input quoted in an error message: one line, bounded, whatever the bytes were.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace e2e {

// The first `max` bytes of `text` with control bytes and DEL as `\xNN`, then `…(N more bytes)`
// when it was cut.
std::string printable_excerpt(std::string_view text, std::size_t max);

}  // namespace e2e
