// The E2E functions (contract section 2), one handler each; registry.cpp maps them to their names.
// Every handler has the FunctionHandler signature: raw payload in, raw result payload out.
#pragma once

#include <string>
#include <string_view>

#include "function_runtime.hpp"

namespace refstack::functions {

std::string echo_python(std::string_view payload, FunctionContext& context);          // lambda-echo (2.3)
std::string echo_java(std::string_view payload, FunctionContext& context);            // lambda-echo-java (2.4)
std::string connectivity_python(std::string_view payload, FunctionContext& context);  // lambda-connectivity (2.5)
std::string connectivity_java(std::string_view payload, FunctionContext& context);    // lambda-connectivity-java (2.6)
std::string dynamo(std::string_view payload, FunctionContext& context);               // lambda-dynamo (2.7)
std::string s3(std::string_view payload, FunctionContext& context);                   // lambda-s3 (2.8)
std::string integration(std::string_view payload, FunctionContext& context);          // lambda-integration (2.9)
std::string chaos(std::string_view payload, FunctionContext& context);                // lambda-chaos (2.10)
std::string scaling(std::string_view payload, FunctionContext& context);              // lambda-scaling (2.11)
std::string image(std::string_view payload, FunctionContext& context);                // lambda-image (2.12)
std::string scheduled(std::string_view payload, FunctionContext& context);            // lambda-scheduled (2.13)

}  // namespace refstack::functions
