#include "s3_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "durable_file.hpp"
#include "e2e/sigv4.hpp"

namespace refstack {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

constexpr std::string_view kObjectMagic = "esb-s3-object 1";
constexpr std::string_view kBucketMagic = "esb-s3-bucket 1";
constexpr std::string_view kObjectSuffix = ".object";

// A header field value: percent-encoded so it holds no space or line break.
std::string encode_field(std::string_view value) { return e2e::sigv4::uri_encode(value, true); }
std::string decode_field(std::string_view value) { return e2e::sigv4::uri_decode(value); }

std::int64_t to_millis(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

Clock::time_point from_millis(std::int64_t millis) {
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(millis)));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    while (true) {
        const auto at = text.find(separator);
        out.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return out;
        text.remove_prefix(at + 1);
    }
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
    Integer value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// The directory entry of a new file or directory survives a crash only once its parent is synced.
void fsync_directory(const fs::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot open directory {}: {}", directory.string(), std::strerror(errno)));
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw std::runtime_error(fmt::format("cannot fsync directory {}: {}", directory.string(), std::strerror(errno)));
}

std::string object_header(const S3ObjectInfo& info) {
    std::string out = fmt::format("{}\nkey {}\netag {}\ncontent-type {}\nsize {}\nlast-modified-ms {}\n", kObjectMagic,
                                  encode_field(info.key), encode_field(info.etag), encode_field(info.content_type),
                                  info.size, to_millis(info.last_modified));
    for (const auto& [name, value] : info.metadata) out += fmt::format("meta {} {}\n", encode_field(name), encode_field(value));
    out += '\n';
    return out;
}

[[noreturn]] void corrupt(const fs::path& path, std::string_view why) {
    throw std::runtime_error(fmt::format("S3 store: {} is corrupt: {}", path.string(), why));
}

// The header lines (without the blank line that ends them).
S3ObjectInfo parse_object_header(std::string_view header, const fs::path& path) {
    const auto lines = split(header, '\n');
    if (lines.empty() || lines.front() != kObjectMagic) corrupt(path, fmt::format("first line is not '{}'", kObjectMagic));
    S3ObjectInfo info;
    bool has_key = false, has_etag = false, has_size = false, has_time = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto fields = split(lines[i], ' ');
        const std::string_view name = fields.front();
        auto field = [&](std::size_t index) {
            if (fields.size() <= index) corrupt(path, fmt::format("line {} ('{}') has too few fields", i + 1, name));
            return fields[index];
        };
        if (name == "key") {
            info.key = decode_field(field(1));
            has_key = true;
        } else if (name == "etag") {
            info.etag = decode_field(field(1));
            has_etag = true;
        } else if (name == "content-type") {
            info.content_type = decode_field(field(1));
        } else if (name == "size") {
            const auto size = parse_integer<std::uint64_t>(field(1));
            if (!size) corrupt(path, fmt::format("size '{}' is not a number", field(1)));
            info.size = *size;
            has_size = true;
        } else if (name == "last-modified-ms") {
            const auto millis = parse_integer<std::int64_t>(field(1));
            if (!millis) corrupt(path, fmt::format("last-modified-ms '{}' is not a number", field(1)));
            info.last_modified = from_millis(*millis);
            has_time = true;
        } else if (name == "meta") {
            info.metadata.emplace_back(decode_field(field(1)), decode_field(field(2)));
        } else {
            corrupt(path, fmt::format("unknown header line '{}'", name));
        }
    }
    if (!has_key || !has_etag || !has_size || !has_time) corrupt(path, "a key, etag, size or last-modified-ms line is missing");
    return info;
}

S3StoredObject parse_object_file(std::string_view file, const fs::path& path) {
    const auto end = file.find("\n\n");
    if (end == std::string_view::npos) corrupt(path, "no blank line ends the header");
    S3StoredObject out;
    out.info = parse_object_header(file.substr(0, end), path);
    out.bytes = std::string(file.substr(end + 2));
    if (out.bytes.size() != out.info.size)
        corrupt(path, fmt::format("holds {} bytes, its header says {}", out.bytes.size(), out.info.size));
    return out;
}

// Reads the header only (objects may be large); checks the file's length against it.
S3ObjectInfo read_object_header(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("S3 store: cannot open {}", path.string()));
    std::string header, line;
    std::size_t header_bytes = 0;
    bool ended = false;
    while (std::getline(in, line)) {
        header_bytes += line.size() + 1;
        if (line.empty()) {
            ended = true;
            break;
        }
        if (!header.empty()) header += '\n';
        header += line;
    }
    if (!ended) corrupt(path, "no blank line ends the header");
    S3ObjectInfo info = parse_object_header(header, path);
    const auto file_size = fs::file_size(path);
    if (file_size != header_bytes + info.size)
        corrupt(path, fmt::format("holds {} bytes after its header, the header says {}", file_size - header_bytes, info.size));
    return info;
}

std::string bucket_file(const S3BucketInfo& info) {
    std::string out = fmt::format("{}\nname {}\ncreated-ms {}\n", kBucketMagic, info.name, to_millis(info.created));
    for (const auto& rule : info.lifecycle_rules)
        out += fmt::format("lifecycle-rule {} {} {} {}\n", encode_field(rule.id), encode_field(rule.status),
                           encode_field(rule.prefix), rule.expiration_days);
    return out;
}

S3BucketInfo parse_bucket_file(std::string_view text, const fs::path& path) {
    auto lines = split(text, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.empty() || lines.front() != kBucketMagic) corrupt(path, fmt::format("first line is not '{}'", kBucketMagic));
    S3BucketInfo info;
    bool has_time = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto fields = split(lines[i], ' ');
        if (fields.front() == "name" && fields.size() == 2) {
            info.name = std::string(fields[1]);
        } else if (fields.front() == "created-ms" && fields.size() == 2) {
            const auto millis = parse_integer<std::int64_t>(fields[1]);
            if (!millis) corrupt(path, fmt::format("created-ms '{}' is not a number", fields[1]));
            info.created = from_millis(*millis);
            has_time = true;
        } else if (fields.front() == "lifecycle-rule" && fields.size() == 5) {
            const auto days = parse_integer<int>(fields[4]);
            if (!days) corrupt(path, fmt::format("lifecycle-rule days '{}' is not a number", fields[4]));
            info.lifecycle_rules.push_back({decode_field(fields[1]), decode_field(fields[2]), decode_field(fields[3]), *days});
        } else {
            corrupt(path, fmt::format("line {} '{}' is not understood", i + 1, lines[i]));
        }
    }
    if (!has_time || !is_valid_bucket_name(info.name)) corrupt(path, "the name or created-ms line is missing or invalid");
    return info;
}

bool is_temporary_file(const std::string& name) { return name.starts_with('.') && name.find(".tmp-") != std::string::npos; }

}  // namespace

bool is_valid_bucket_name(std::string_view name) {
    if (name.size() < 3 || name.size() > 63) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front()) || !alnum(name.back())) return false;
    if (!std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '.' || c == '-'; })) return false;
    if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
        name.find("-.") != std::string_view::npos)
        return false;
    const auto parts = split(name, '.');
    const bool ip_like = parts.size() == 4 && std::all_of(parts.begin(), parts.end(), [](std::string_view part) {
                             return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
                         });
    return !ip_like;
}

std::string s3_etag_of(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr) != 1)
        throw std::runtime_error("S3 store: OpenSSL EVP_Digest(MD5) failed");
    return '"' + e2e::sigv4::hex(std::string_view(reinterpret_cast<const char*>(digest), size)) + '"';
}

S3ObjectStore::S3ObjectStore(fs::path data_dir) : data_dir_(std::move(data_dir)) { load(); }

fs::path S3ObjectStore::bucket_dir(std::string_view bucket) const {
    // Callers check the name first; this guards the file system against a missed check.
    if (!is_valid_bucket_name(bucket)) throw std::invalid_argument(fmt::format("S3 store: invalid bucket name '{}'", bucket));
    return data_dir_ / "buckets" / std::string(bucket);
}

fs::path S3ObjectStore::object_path(std::string_view bucket, std::string_view key) const {
    return bucket_dir(bucket) / "objects" / (e2e::sigv4::sha256_hex(key) + std::string(kObjectSuffix));
}

std::mutex& S3ObjectStore::key_lock(std::string_view bucket, std::string_view key) {
    const std::size_t hash = std::hash<std::string_view>{}(bucket) * 31u + std::hash<std::string_view>{}(key);
    return key_locks_[hash % key_locks_.size()];
}

void S3ObjectStore::load() {
    const fs::path root = data_dir_ / "buckets";
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) throw std::runtime_error(fmt::format("S3 store: cannot create {}: {}", root.string(), ec.message()));
    for (const auto& entry : fs::directory_iterator(root)) {
        if (!entry.is_directory()) continue;
        const fs::path meta_path = entry.path() / "bucket.meta";
        const auto meta = read_whole_file(meta_path);
        if (!meta) continue;  // creation never completed: bucket.meta is written last
        Bucket bucket;
        bucket.info = parse_bucket_file(*meta, meta_path);
        if (bucket.info.name != entry.path().filename().string())
            corrupt(meta_path, fmt::format("names bucket '{}' but lives in directory '{}'", bucket.info.name,
                                           entry.path().filename().string()));
        const fs::path objects = entry.path() / "objects";
        if (fs::is_directory(objects)) {
            for (const auto& file : fs::directory_iterator(objects)) {
                const std::string name = file.path().filename().string();
                if (is_temporary_file(name)) {
                    fs::remove(file.path(), ec);  // left by a crash mid-write; never visible as an object
                    continue;
                }
                if (!file.is_regular_file() || !name.ends_with(kObjectSuffix)) continue;
                S3ObjectInfo info = read_object_header(file.path());
                if (e2e::sigv4::sha256_hex(info.key) + std::string(kObjectSuffix) != name)
                    corrupt(file.path(), "its key does not hash to its file name");
                bucket.objects.emplace(info.key, std::move(info));
            }
        }
        buckets_.emplace(bucket.info.name, std::move(bucket));
    }
}

bool S3ObjectStore::create_bucket(const std::string& name, Clock::time_point created,
                                  std::vector<LifecycleRule> lifecycle_rules) {
    const fs::path dir = bucket_dir(name);
    std::unique_lock lock(index_mutex_);
    if (buckets_.contains(name)) return false;
    std::error_code ec;
    fs::create_directories(dir / "objects", ec);
    if (ec) throw std::runtime_error(fmt::format("S3 store: cannot create {}: {}", (dir / "objects").string(), ec.message()));
    fsync_directory(dir);
    fsync_directory(dir.parent_path());
    fsync_directory(data_dir_);
    Bucket bucket;
    bucket.info = {name, std::chrono::time_point_cast<std::chrono::milliseconds>(created), std::move(lifecycle_rules)};
    write_file_durably(dir / "bucket.meta", bucket_file(bucket.info));  // last: marks the bucket complete
    buckets_.emplace(name, std::move(bucket));
    return true;
}

std::optional<S3BucketInfo> S3ObjectStore::bucket(std::string_view name) const {
    std::shared_lock lock(index_mutex_);
    const auto found = buckets_.find(name);
    if (found == buckets_.end()) return std::nullopt;
    return found->second.info;
}

std::vector<S3BucketInfo> S3ObjectStore::buckets() const {
    std::shared_lock lock(index_mutex_);
    std::vector<S3BucketInfo> out;
    for (const auto& [name, bucket] : buckets_) out.push_back(bucket.info);
    return out;
}

S3ObjectInfo S3ObjectStore::put_object(const std::string& bucket, const std::string& key, std::string_view bytes,
                                       std::string content_type, S3UserMetadata metadata, Clock::time_point now) {
    {
        std::shared_lock lock(index_mutex_);
        if (!buckets_.contains(bucket)) throw std::out_of_range(fmt::format("S3 store: no bucket '{}'", bucket));
    }
    S3ObjectInfo info;
    info.key = key;
    info.etag = s3_etag_of(bytes);
    info.content_type = std::move(content_type);
    info.size = bytes.size();
    info.last_modified = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
    info.metadata = std::move(metadata);
    std::string file = object_header(info);
    file.append(bytes);

    std::lock_guard key_guard(key_lock(bucket, key));  // the index must end with the file's version
    write_file_durably(object_path(bucket, key), file);
    std::unique_lock lock(index_mutex_);
    buckets_.find(bucket)->second.objects.insert_or_assign(key, info);
    return info;
}

std::optional<S3StoredObject> S3ObjectStore::get_object(const std::string& bucket, const std::string& key) const {
    const fs::path path = object_path(bucket, key);
    const auto file = read_whole_file(path);  // a rename replaces the file whole: no torn reads
    if (!file) return std::nullopt;
    S3StoredObject object = parse_object_file(*file, path);
    if (object.info.key != key) return std::nullopt;
    return object;
}

bool S3ObjectStore::delete_object(const std::string& bucket, const std::string& key) {
    const fs::path path = object_path(bucket, key);
    std::lock_guard key_guard(key_lock(bucket, key));
    const bool existed = fs::exists(path);
    remove_file_durably(path);
    std::unique_lock lock(index_mutex_);
    const auto found = buckets_.find(bucket);
    if (found != buckets_.end()) found->second.objects.erase(key);
    return existed;
}

std::vector<S3ObjectInfo> S3ObjectStore::list_objects(const std::string& bucket, std::string_view prefix) const {
    std::shared_lock lock(index_mutex_);
    std::vector<S3ObjectInfo> out;
    const auto found = buckets_.find(bucket);
    if (found == buckets_.end()) return out;
    const auto& objects = found->second.objects;
    for (auto it = objects.lower_bound(std::string(prefix)); it != objects.end() && it->first.starts_with(prefix); ++it)
        out.push_back(it->second);
    return out;
}

}  // namespace refstack
