#include "e2e/driver/matrix.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace e2e::driver {
namespace {

std::string where(const std::filesystem::path& file, const YAML::Node& node) {
    const auto mark = node.Mark();
    if (mark.line < 0) return file.string();
    return fmt::format("{}:{}", file.string(), mark.line + 1);
}

[[noreturn]] void fail(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    throw ConfigError(fmt::format("{}: {}", where(file, node), what));
}

std::string scalar(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) fail(file, node, what + " must be a string");
    return node.as<std::string>();
}

std::vector<std::string> string_list(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    std::vector<std::string> out;
    if (!node || node.IsNull()) return out;
    if (node.IsScalar()) return {node.as<std::string>()};
    if (!node.IsSequence()) fail(file, node, what + " must be a list of strings");
    for (const auto& item : node) out.push_back(scalar(file, item, what + " entry"));
    return out;
}

// A mapping key as a string: YAML allows lists and mappings as keys (`? [a, b]`), the matrix does not.
std::string key_of(const std::filesystem::path& file, const YAML::Node& key, const std::string& owner) {
    if (!key.IsScalar()) fail(file, key, fmt::format("keys of {} must be plain strings", owner));
    return key.as<std::string>();
}

void check_keys(const std::filesystem::path& file, const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& owner) {
    for (const auto& kv : map) {
        const auto key = key_of(file, kv.first, owner);
        if (!allowed.contains(key)) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            fail(file, kv.first, fmt::format("unknown key '{}' in {} (allowed: {})", key, owner, list));
        }
    }
}

Suite parse_suite(const std::filesystem::path& file, const std::string& name, const YAML::Node& node) {
    Suite suite;
    suite.name = name;
    if (!node.IsMap()) fail(file, node, fmt::format("suite '{}' must be a mapping", name));
    check_keys(file, node, {"description", "targets", "exclude"}, fmt::format("suite '{}'", name));
    if (node["description"]) suite.description = scalar(file, node["description"], "description");
    const auto targets = node["targets"];
    if (!targets) fail(file, node, fmt::format("suite '{}' has no targets", name));
    if (targets.IsScalar()) {
        suite.targets["*"] = targets.as<std::string>();
    } else if (targets.IsMap()) {
        for (const auto& kv : targets)
            suite.targets[key_of(file, kv.first, fmt::format("the targets of suite '{}'", name))] = scalar(file, kv.second, "target");
    } else if (targets.IsSequence()) {
        // ESB lists several targets; as tag expressions they are alternatives (Catch2 ',').
        suite.targets["*"] = combine_filters(string_list(file, targets, "targets"));
    } else {
        fail(file, targets, fmt::format("targets of suite '{}' must be a tag expression or a binary -> tag map", name));
    }
    if (node["exclude"]) suite.exclude = string_list(file, node["exclude"], "exclude");
    for (const auto& e : suite.exclude)
        if (e.find(',') != std::string::npos)
            fail(file, node["exclude"], fmt::format("exclude entry '{}' of suite '{}' must be one term (no ',')", e, name));
    return suite;
}

Environment parse_environment(const Matrix& matrix, const YAML::Node& node) {
    const auto& file = matrix.file;
    if (!node.IsMap()) fail(file, node, "a matrix entry must be a mapping with 'env' and 'suites'");
    Environment env;
    env.line = node.Mark().line + 1;
    if (!node["env"]) fail(file, node, "matrix entry has no 'env' name");
    env.name = scalar(file, node["env"], "env");
    if (env.name.empty()) fail(file, node["env"], "env name is blank");
    for (char c : env.name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            fail(file, node["env"], fmt::format("env name '{}' may only use letters, digits, '-', '_' and '.'", env.name));
    check_keys(file, node, {"env", "description", "suites", "mode", "stack", "env_file", "binaries", "lifecycle"},
               fmt::format("environment '{}'", env.name));
    env.suites = string_list(file, node["suites"], "suites");
    for (const auto& s : env.suites) {
        if (!matrix.suites.contains(s)) {
            // Point at the offending list item when we can.
            const auto message = fmt::format("Suite '{}' not defined in suites (environment '{}')", s, env.name);
            const YAML::Node list = node["suites"];
            if (list.IsSequence())
                for (const auto& item : list)
                    if (item.IsScalar() && item.as<std::string>() == s) fail(file, item, message);
            fail(file, list, message);
        }
    }
    if (node["mode"]) {
        env.mode = scalar(file, node["mode"], "mode");
        if (env.mode != "docker" && env.mode != "containerd")
            fail(file, node["mode"], fmt::format("mode '{}' of environment '{}' must be docker or containerd", env.mode, env.name));
    }
    if (node["stack"]) {
        const auto kind = scalar(file, node["stack"], "stack");
        if (kind == "reference") env.stack = StackKind::reference;
        else if (kind == "external") env.stack = StackKind::external;
        else if (kind == "compose") env.stack = StackKind::compose;
        else fail(file, node["stack"], fmt::format("stack '{}' of environment '{}' must be reference, external or compose", kind, env.name));
    }
    const auto base = file.parent_path();
    if (node["env_file"]) {
        env.env_file = scalar(file, node["env_file"], "env_file");
    } else {
        env.env_file = std::filesystem::path(env.name) / (env.stack == StackKind::reference ? "refstack.env" : ".env");
    }
    if (env.env_file.is_relative()) env.env_file = (base / env.env_file).lexically_normal();
    if (node["binaries"]) env.binaries = string_list(file, node["binaries"], "binaries");
    if (node["lifecycle"]) {
        const auto lc = node["lifecycle"];
        if (!lc.IsMap()) fail(file, lc, "lifecycle must be a mapping of reset/compose/deploy/cleanup command lists");
        check_keys(file, lc, {"reset", "compose", "deploy", "cleanup"}, fmt::format("lifecycle of environment '{}'", env.name));
        env.lifecycle.reset = string_list(file, lc["reset"], "reset");
        env.lifecycle.compose = string_list(file, lc["compose"], "compose");
        env.lifecycle.deploy = string_list(file, lc["deploy"], "deploy");
        env.lifecycle.cleanup = string_list(file, lc["cleanup"], "cleanup");
        if (env.stack != StackKind::compose) fail(file, lc, fmt::format("lifecycle is only for stack: compose (environment '{}')", env.name));
    }
    // Last, so that everything else in the entry is checked even where the env file is absent. The
    // non-throwing form: a name too long for the file system is a missing file, not a crash.
    std::error_code error;
    if (!std::filesystem::is_regular_file(env.env_file, error))
        fail(file, node["env_file"] ? node["env_file"] : node,
             fmt::format("env file of environment '{}' not found: {}{}", env.name, env.env_file.string(),
                         error ? " (" + error.message() + ")" : ""));
    return env;
}

}  // namespace

std::string to_string(StackKind kind) {
    switch (kind) {
        case StackKind::reference: return "reference";
        case StackKind::external: return "external";
        case StackKind::compose: return "compose";
    }
    return "?";
}

const Environment* Matrix::find(const std::string& env) const {
    for (const auto& e : environments)
        if (e.name == env) return &e;
    return nullptr;
}

std::vector<std::string> Matrix::environment_names() const {
    std::vector<std::string> out;
    for (const auto& e : environments) out.push_back(e.name);
    return out;
}

Matrix parse_matrix(const std::string& text, const std::filesystem::path& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(fmt::format("{}:{}: bad YAML: {}", file.string(), e.mark.line + 1, e.msg));
    }
    Matrix matrix;
    matrix.file = file;
    if (!root.IsMap()) throw ConfigError(fmt::format("{}: the matrix must be a mapping with 'suites' and 'matrix'", file.string()));
    check_keys(file, root, {"suites", "matrix", "binaries"}, "the matrix file");
    if (root["binaries"]) matrix.binaries = string_list(file, root["binaries"], "binaries");
    const auto suites = root["suites"];
    if (!suites || !suites.IsMap()) fail(file, suites ? suites : root, "'suites' must be a mapping of suite name -> {description, targets, exclude}");
    for (const auto& kv : suites) {
        const auto name = key_of(file, kv.first, "'suites'");
        matrix.suites[name] = parse_suite(file, name, kv.second);
    }
    const auto entries = root["matrix"];
    if (!entries || !entries.IsSequence()) fail(file, entries ? entries : root, "'matrix' must be a list of environments");
    for (const auto& node : entries) {
        auto env = parse_environment(matrix, node);
        if (const auto* previous = matrix.find(env.name))
            fail(file, node["env"], fmt::format("duplicate environment '{}' (first defined at line {})", env.name, previous->line));
        matrix.environments.push_back(std::move(env));
    }
    return matrix;
}

Matrix load_matrix(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw ConfigError(fmt::format("Matrix file not found: {}", file.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_matrix(buffer.str(), file);
}

std::string suite_filter(const Suite& suite, const std::string& binary) {
    auto it = suite.targets.find(binary);
    if (it == suite.targets.end()) it = suite.targets.find("*");
    if (it == suite.targets.end() || it->second.empty()) return {};
    // Catch2 has no parentheses: the exclusions are appended to every alternative.
    std::string out;
    std::stringstream alternatives(it->second);
    std::string alt;
    while (std::getline(alternatives, alt, ',')) {
        if (!out.empty()) out += ',';
        out += alt;
        for (const auto& e : suite.exclude) out += (e.starts_with("~") ? e : "~" + e);
    }
    return out;
}

std::string combine_filters(const std::vector<std::string>& filters) {
    std::string out;
    for (const auto& f : filters) {
        if (f.empty()) continue;
        if (!out.empty()) out += ',';
        out += f;
    }
    return out;
}

}  // namespace e2e::driver
