// Self-signed TLS certificates made at run time with OpenSSL, for loopback test servers and the
// reference-stack gateway: nothing secret is checked in and nothing expires in the repository.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace e2e {

struct SelfSignedCert {
    std::string cert_pem;  // X.509 v3, EC P-256, SubjectAltName = the given names and addresses
    std::string key_pem;   // PKCS#8, unencrypted
};

// Throws std::invalid_argument for an unparsable IP address or when no name is given, and
// std::runtime_error (with OpenSSL's reason) when OpenSSL fails.
SelfSignedCert make_self_signed_cert(std::vector<std::string> dns_names = {"localhost"},
                                     std::vector<std::string> ip_addresses = {"127.0.0.1"},
                                     std::chrono::hours validity = std::chrono::hours(24 * 30));

// Writes both PEM files; the key file is readable by its owner only. Throws std::runtime_error
// naming the path that could not be written.
void write_pem_files(const SelfSignedCert& cert, const std::filesystem::path& cert_file,
                     const std::filesystem::path& key_file);

}  // namespace e2e
