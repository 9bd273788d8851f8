// Base64 (RFC 4648 section 4) and base64url (section 5) for the gateway: API Gateway bodies,
// X-Amz-Client-Context and JWT segments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace refstack {

enum class Base64Alphabet { standard, url };

// Standard output is padded with '='; url output is unpadded (the JWT form).
std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::standard);

// Strict: only the alphabet's characters, '=' padding optional but only at the end and only to a
// multiple of four, unused trailing bits zero. nullopt for anything else (whitespace included).
std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::standard);

}  // namespace refstack
