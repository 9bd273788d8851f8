// The reference stack's configuration: the env file (ESB knob names), generated credentials kept
// in the data folder, resolved ports, and the environment handed to the component processes and
// written to the ready file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "e2e/settings.hpp"

namespace refstack {

// Every listener of the stack; 0 in the env file means "pick a free loopback port".
inline const std::vector<std::string>& port_variables() {
    static const std::vector<std::string> names{"PORT_GATEWAY_HTTPS", "PORT_S3",         "PORT_DATABASE", "PORT_VICTORIALOGS",
                                                "PORT_AGENT_METRICS", "PORT_AGENT_API", "PORT_CONTROL"};
    return names;
}

struct StackConfig {
    std::filesystem::path env_file;
    std::filesystem::path data_dir;
    // Every resolved variable: knobs with defaults, credentials, ports, derived URLs, config paths.
    std::map<std::string, std::string> values;

    const std::string& get(const std::string& name) const;
    std::uint16_t port(const std::string& name) const;
    e2e::Settings settings() const;
};

// Reads the env file (defaults < env file), resolves relative config paths against the env file's
// folder, loads or generates credentials (persisted in data_dir/credentials.env so tokens and keys
// survive a restart of the stack), picks free ports for 0 and derives the URLs.
// Throws e2e::DotenvError / e2e::SettingsError / std::runtime_error naming the culprit.
StackConfig load_stack_config(const std::filesystem::path& env_file, const std::filesystem::path& data_dir);

// The variables the suite and the driver read (the ready file): endpoints, credentials, mode,
// timing knobs, control URL and token.
std::map<std::string, std::string> ready_variables(const StackConfig& config);

// A fresh secret: `bytes` bytes from OpenSSL's CSPRNG (RAND_bytes) as lower-case hex. For credentials;
// ids use random_id.hpp.
std::string secure_random_hex(std::size_t bytes);

// Binds 127.0.0.1:0, reads the port the kernel chose and closes the socket.
std::uint16_t pick_free_port();

}  // namespace refstack
