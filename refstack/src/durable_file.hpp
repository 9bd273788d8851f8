// Crash-safe file writes for the refstack's data directory: a write is fsync-ed and renamed into
// place before the service answers, so an answered write survives a restart or a crash and a
// reader never sees a half-written file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace refstack {

// Writes to a unique temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs
// the directory. Concurrent writers to one path leave exactly one of their contents, whole.
// Throws std::runtime_error naming the path on failure.
void write_file_durably(const std::filesystem::path& path, std::string_view bytes);

// Removes `path` (no error when absent) and fsyncs the directory.
void remove_file_durably(const std::filesystem::path& path);

// The whole file, or nullopt when it does not exist.
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace refstack
