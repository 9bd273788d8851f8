// Fake test binaries for the driver tests: bash scripts that answer like a Catch2 v3 binary
// (`--list-tests --reporter xml`, `--reporter xml::out=FILE`, `--input-file NAMES`) and print
// Catch2-style XML, then pass, fail, crash, hang or misbehave as each test asks.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace e2e::test {

// A fresh folder under the temp dir, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "esb-e2e-driver-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_text(const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::trunc | std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;  // not istreambuf_iterator: GCC 12 -O3 warns falsely on it
    if (in) text << in.rdbuf();
    return text.str();
}

// `cases` is a bash array body ("\"a passes\" \"b fails\""); `body` uses the helpers
// pass NAME [SECONDS], fail NAME MESSAGE, skip NAME, begin NAME (a test left in flight), finish.
inline std::filesystem::path write_fake_binary(const std::filesystem::path& file, const std::string& cases, const std::string& body) {
    const std::string script = R"FAKE(#!/bin/bash
OUT=/dev/stdout; NAMES=""; LIST=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reporter) shift; case "$1" in xml::out=*) OUT="${1#xml::out=}";; esac;;
    --input-file) shift; NAMES="$1";;
    --list-tests) LIST=1;;
  esac
  shift
done
CASES=()FAKE" + cases + R"FAKE()
selected() { [ -z "$NAMES" ] && return 0; grep -qxF "$1" "$NAMES"; }
if [ $LIST = 1 ]; then
  echo '<?xml version="1.0" encoding="UTF-8"?>'; echo '<MatchingTests>'
  for c in "${CASES[@]}"; do echo "  <TestCase><Name>$c</Name><Tags>[smoke]</Tags></TestCase>"; done
  echo '</MatchingTests>'; exit 0
fi
report() { echo "$@" >> "$OUT"; }
start_report() {
  : > "$OUT"
  report '<?xml version="1.0" encoding="UTF-8"?>'
  report '<Catch2TestRun name="fake" rng-seed="4242" xml-format-version="3" catch2-version="3.7.1">'
}
pass() { selected "$1" || return 0
  report "  <TestCase name=\"$1\" tags=\"[smoke]\" filename=\"/src/fake.cpp\" line=\"10\">"
  report "    <OverallResult success=\"true\" skips=\"0\" durationInSeconds=\"${2:-0.01}\"/>"
  report "  </TestCase>"; }
fail() { selected "$1" || return 0
  report "  <TestCase name=\"$1\" tags=\"[smoke]\" filename=\"/src/fake.cpp\" line=\"20\">"
  report "    <Section name=\"the answer\" filename=\"/src/fake.cpp\" line=\"21\">"
  report "      <Expression success=\"false\" type=\"CHECK\" filename=\"/src/fake.cpp\" line=\"22\">"
  report "        <Original>res.status() == 200</Original>"
  report "        <Expanded>$2</Expanded>"
  report "      </Expression>"
  report "    </Section>"
  report "    <OverallResult success=\"false\" skips=\"0\" durationInSeconds=\"0.02\"/>"
  report "  </TestCase>"; }
skip() { selected "$1" || return 0
  report "  <TestCase name=\"$1\" tags=\"[smoke]\" filename=\"/src/fake.cpp\" line=\"30\">"
  report "    <Skip filename=\"/src/fake.cpp\" line=\"31\">no java runtime here</Skip>"
  report "    <OverallResult success=\"true\" skips=\"1\" durationInSeconds=\"0\"/>"
  report "  </TestCase>"; }
begin() { report "  <TestCase name=\"$1\" tags=\"[smoke]\" filename=\"/src/fake.cpp\" line=\"40\">"; }
finish() { report '  <OverallResults successes="1" failures="0" expectedFailures="0" skips="0"/>'; report '</Catch2TestRun>'; }
HERE="$(cd "$(dirname "$0")" && pwd)"
)FAKE" + body + "\n";
    write_text(file, script);
    ::chmod(file.c_str(), 0755);
    return file;
}

}  // namespace e2e::test
