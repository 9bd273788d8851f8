// Identifiers the stack hands out: request and invocation ids, trace roots, container ids, item
// ids. Random and unique, not secrets: credentials come from secure_random_hex (stack_config.hpp).
#pragma once

#include <cstddef>
#include <string>

namespace refstack {

std::string random_hex_digits(std::size_t count);  // `count` lower-case hex digits
std::string make_uuid4();                           // UUID4, lower case: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
std::string make_container_id();                    // 32 lower-case hex digits, as containerd ids look

}  // namespace refstack
