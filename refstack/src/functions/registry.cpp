// builtin_functions(): every E2E function by the name functions.yml gives it.
#include "function_runtime.hpp"
#include "functions/handlers.hpp"

namespace refstack {

const std::map<std::string, FunctionHandler, std::less<>>& builtin_functions() {
    static const std::map<std::string, FunctionHandler, std::less<>> registry = {
        {"lambda-echo", functions::echo_python},
        {"lambda-echo-java", functions::echo_java},
        {"lambda-connectivity", functions::connectivity_python},
        {"lambda-connectivity-java", functions::connectivity_java},
        {"lambda-dynamo", functions::dynamo},
        {"lambda-s3", functions::s3},
        {"lambda-integration", functions::integration},
        {"lambda-chaos", functions::chaos},
        {"lambda-scaling", functions::scaling},
        {"lambda-image", functions::image},
        {"lambda-scheduled", functions::scheduled},
    };
    return registry;
}

}  // namespace refstack
