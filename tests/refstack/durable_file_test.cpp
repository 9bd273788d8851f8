#include "durable_file.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <filesystem>
#include <set>
#include <thread>
#include <vector>

namespace {
std::filesystem::path fresh_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("e2e-durable-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir;
}
}  // namespace

TEST_CASE("durable writes create parent folders and read back the same bytes", "[refstack][durable]") {
    const auto dir = fresh_dir("roundtrip");
    const std::string bytes("binary\0data\xff\n", 13);
    refstack::write_file_durably(dir / "a" / "b" / "object", bytes);
    CHECK(refstack::read_whole_file(dir / "a" / "b" / "object") == bytes);
    CHECK_FALSE(refstack::read_whole_file(dir / "missing").has_value());
    std::filesystem::remove_all(dir);
}

TEST_CASE("durable writes leave no temporary files behind", "[refstack][durable]") {
    const auto dir = fresh_dir("tempfiles");
    for (int i = 0; i < 5; ++i) refstack::write_file_durably(dir / "value", "v" + std::to_string(i));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
    CHECK(files == 1);
    CHECK(refstack::read_whole_file(dir / "value") == "v4");
    std::filesystem::remove_all(dir);
}

TEST_CASE("concurrent durable writers to one path leave exactly one whole value", "[refstack][durable]") {
    const auto dir = fresh_dir("concurrent");
    std::vector<std::string> payloads;
    for (char c = 'a'; c < 'a' + 8; ++c) payloads.emplace_back(256 * 1024, c);
    std::vector<std::thread> writers;
    for (const auto& payload : payloads) {
        writers.emplace_back([&dir, &payload] {
            for (int i = 0; i < 10; ++i) refstack::write_file_durably(dir / "shared", payload);
        });
    }
    for (auto& writer : writers) writer.join();
    const auto stored = refstack::read_whole_file(dir / "shared");
    REQUIRE(stored.has_value());
    CHECK(std::set<std::string>(payloads.begin(), payloads.end()).contains(*stored));
    std::filesystem::remove_all(dir);
}

TEST_CASE("durable removal tolerates a missing file", "[refstack][durable]") {
    const auto dir = fresh_dir("remove");
    refstack::write_file_durably(dir / "gone", "x");
    refstack::remove_file_durably(dir / "gone");
    CHECK_FALSE(std::filesystem::exists(dir / "gone"));
    CHECK_NOTHROW(refstack::remove_file_durably(dir / "gone"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a durable write into an unwritable place names the path", "[refstack][durable]") {
    CHECK_THROWS_WITH(refstack::write_file_durably("/proc/e2e-not-writable/x", "data"),
                      Catch::Matchers::ContainsSubstring("/proc/e2e-not-writable"));
}
