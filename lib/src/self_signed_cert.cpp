// Self-signed certificate generation with OpenSSL 3 (no Boost here).
#include "e2e/self_signed_cert.hpp"

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace e2e {
namespace {

template <auto Free>
struct OpenSslDeleter {
    template <class T>
    void operator()(T* p) const noexcept { Free(p); }
};
template <class T, auto Free>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<Free>>;

using KeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using CertPtr = OpenSslPtr<X509, X509_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using NamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using NamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using StringPtr = OpenSslPtr<ASN1_STRING, ASN1_STRING_free>;
using ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;

// Drains OpenSSL's error queue into the exception so the reason is not lost.
[[noreturn]] void throw_openssl(std::string_view what) {
    std::string reasons;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        reasons += reasons.empty() ? "" : "; ";
        reasons += buffer;
    }
    throw std::runtime_error(fmt::format("self-signed certificate: {} failed: {}", what,
                                         reasons.empty() ? "no OpenSSL error reported" : reasons));
}

void check(int ok, std::string_view what) {
    if (ok != 1) throw_openssl(what);
}

NamesPtr subject_alt_names(const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses) {
    NamesPtr names(GENERAL_NAMES_new());
    if (!names) throw_openssl("GENERAL_NAMES_new");
    for (const auto& dns : dns_names) {
        StringPtr ia5(ASN1_IA5STRING_new());
        if (!ia5 || ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) != 1) throw_openssl("DNS name");
        NamePtr name(GENERAL_NAME_new());
        if (!name) throw_openssl("GENERAL_NAME_new");
        GENERAL_NAME_set0_value(name.get(), GEN_DNS, ia5.release());
        if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) throw_openssl("SubjectAltName push");
        name.release();
    }
    for (const auto& ip : ip_addresses) {
        StringPtr octets(a2i_IPADDRESS(ip.c_str()));
        if (!octets) {
            ERR_clear_error();
            throw std::invalid_argument(fmt::format("self-signed certificate: '{}' is not an IP address", ip));
        }
        NamePtr name(GENERAL_NAME_new());
        if (!name) throw_openssl("GENERAL_NAME_new");
        GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
        if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) throw_openssl("SubjectAltName push");
        name.release();
    }
    return names;
}

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension) throw_openssl(fmt::format("extension {}", OBJ_nid2sn(nid)));
    check(X509_add_ext(cert, extension.get(), -1), "X509_add_ext");
}

std::string drain(BIO* bio) {
    std::string text(BIO_ctrl_pending(bio), '\0');
    if (!text.empty() && BIO_read(bio, text.data(), static_cast<int>(text.size())) != static_cast<int>(text.size())) {
        throw_openssl("BIO_read");
    }
    return text;
}

}  // namespace

SelfSignedCert make_self_signed_cert(std::vector<std::string> dns_names, std::vector<std::string> ip_addresses,
                                     std::chrono::hours validity) {
    if (dns_names.empty() && ip_addresses.empty()) {
        throw std::invalid_argument("self-signed certificate: at least one DNS name or IP address is required");
    }
    KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) throw_openssl("EC P-256 key generation");

    CertPtr cert(X509_new());
    if (!cert) throw_openssl("X509_new");
    check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

    BignumPtr serial(BN_new());
    if (!serial) throw_openssl("BN_new");
    check(BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "serial number");
    if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) throw_openssl("serial number");

    // An hour of slack before now tolerates clock skew between containers.
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600)) throw_openssl("notBefore");
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(validity).count();
    if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(seconds))) throw_openssl("notAfter");
    check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey");

    const std::string& common_name = dns_names.empty() ? ip_addresses.front() : dns_names.front();
    X509_NAME* subject = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("esb-e2e"),
                                     -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0),
          "subject CN");
    check(X509_set_issuer_name(cert.get(), subject), "X509_set_issuer_name");

    NamesPtr alt_names = subject_alt_names(dns_names, ip_addresses);
    check(X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, alt_names.get(), 0, X509V3_ADD_DEFAULT),
          "SubjectAltName");
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw_openssl("X509_sign");

    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio) throw_openssl("BIO_new");
    check(PEM_write_bio_X509(cert_bio.get(), cert.get()), "PEM_write_bio_X509");
    check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    return SelfSignedCert{drain(cert_bio.get()), drain(key_bio.get())};
}

void write_pem_files(const SelfSignedCert& cert, const std::filesystem::path& cert_file,
                     const std::filesystem::path& key_file) {
    auto write = [](const std::filesystem::path& path, const std::string& text, bool owner_only) {
        {
            std::ofstream create(path, std::ios::binary | std::ios::trunc);
            if (!create) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
        }
        // Restrict before the key lands in the file, not after.
        if (owner_only) {
            std::error_code error;
            std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                         std::filesystem::perm_options::replace, error);
            if (error) throw std::runtime_error(fmt::format("cannot restrict {}: {}", path.string(), error.message()));
        }
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
    };
    write(cert_file, cert.cert_pem, false);
    write(key_file, cert.key_pem, true);
}

}  // namespace e2e
