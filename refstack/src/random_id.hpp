// Identifiers the runtime hands out: invocation request ids and agent container ids (random, not
// secrets).
#pragma once

#include <string>

namespace refstack {

std::string make_invocation_id();  // UUID4, lower case: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
std::string make_container_id();   // 32 lower-case hex digits, as containerd ids look

}  // namespace refstack
