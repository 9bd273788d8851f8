#include "resources_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace refstack {
namespace {

std::string required_string(const YAML::Node& node, const std::string& key, const std::string& where) {
    const auto value = node[key];
    if (!value || !value.IsScalar() || value.Scalar().empty()) throw ConfigError(fmt::format("{}.{} is missing", where, key));
    return value.Scalar();
}

std::string optional_string(const YAML::Node& node, const std::string& key, std::string fallback) {
    const auto value = node[key];
    return value && value.IsScalar() ? value.Scalar() : fallback;
}

BucketSpec parse_bucket(const YAML::Node& node, const std::string& where) {
    BucketSpec bucket{required_string(node, "BucketName", where), {}};
    const auto rules = node["LifecycleConfiguration"]["Rules"];
    if (!rules) return bucket;
    if (!rules.IsSequence()) throw ConfigError(fmt::format("{}.LifecycleConfiguration.Rules is not a list", where));
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto rule_where = fmt::format("{}.LifecycleConfiguration.Rules[{}]", where, i);
        LifecycleRule rule;
        rule.id = optional_string(rules[i], "Id", "");
        rule.status = optional_string(rules[i], "Status", "Enabled");
        if (rule.status != "Enabled" && rule.status != "Disabled") {
            throw ConfigError(fmt::format("{}.Status must be Enabled or Disabled, not \"{}\"", rule_where, rule.status));
        }
        rule.prefix = optional_string(rules[i], "Prefix", "");
        const auto days = rules[i]["ExpirationInDays"];
        if (!days) throw ConfigError(fmt::format("{}.ExpirationInDays is missing", rule_where));
        try {
            rule.expiration_days = days.as<int>();
        } catch (const YAML::Exception&) {
            throw ConfigError(fmt::format("{}.ExpirationInDays is not an integer", rule_where));
        }
        if (rule.expiration_days <= 0) throw ConfigError(fmt::format("{}.ExpirationInDays must be positive", rule_where));
        bucket.lifecycle_rules.push_back(std::move(rule));
    }
    return bucket;
}

TableSpec parse_table(const YAML::Node& node, const std::string& where) {
    TableSpec table{required_string(node, "TableName", where), {}, optional_string(node, "BillingMode", "PAY_PER_REQUEST")};
    const auto schema = node["KeySchema"];
    if (!schema || !schema.IsSequence() || schema.size() == 0) throw ConfigError(fmt::format("{}.KeySchema is missing", where));
    const auto definitions = node["AttributeDefinitions"];
    for (std::size_t i = 0; i < schema.size(); ++i) {
        const auto key_where = fmt::format("{}.KeySchema[{}]", where, i);
        KeyAttribute key{required_string(schema[i], "AttributeName", key_where), "", required_string(schema[i], "KeyType", key_where)};
        if (key.key_type != "HASH" && key.key_type != "RANGE") {
            throw ConfigError(fmt::format("{}.KeyType must be HASH or RANGE, not \"{}\"", key_where, key.key_type));
        }
        if (definitions && definitions.IsSequence()) {
            for (const auto& definition : definitions) {
                if (optional_string(definition, "AttributeName", "") == key.name) {
                    key.attribute_type = optional_string(definition, "AttributeType", "");
                }
            }
        }
        if (key.attribute_type != "S" && key.attribute_type != "N" && key.attribute_type != "B") {
            throw ConfigError(fmt::format("{}: no AttributeDefinitions entry of type S, N or B for key {}", where, key.name));
        }
        table.key_schema.push_back(std::move(key));
    }
    if (table.key_schema.front().key_type != "HASH") throw ConfigError(fmt::format("{}.KeySchema[0] must be the HASH key", where));
    return table;
}

}  // namespace

ResourcesConfig parse_resources_config(std::string_view yaml, std::string_view source) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: malformed YAML: {}", source, error.mark.line + 1, error.msg));
    }
    ResourcesConfig config;
    const auto resources = root["resources"];
    if (!resources || !resources.IsMap()) throw ConfigError(fmt::format("{}: top-level key resources is missing", source));
    try {
        if (const auto buckets = resources["s3"]) {
            if (!buckets.IsSequence()) throw ConfigError(fmt::format("{}: resources.s3 is not a list", source));
            for (std::size_t i = 0; i < buckets.size(); ++i) {
                config.buckets.push_back(parse_bucket(buckets[i], fmt::format("{}: resources.s3[{}]", source, i)));
            }
        }
        if (const auto tables = resources["dynamodb"]) {
            if (!tables.IsSequence()) throw ConfigError(fmt::format("{}: resources.dynamodb is not a list", source));
            for (std::size_t i = 0; i < tables.size(); ++i) {
                config.tables.push_back(parse_table(tables[i], fmt::format("{}: resources.dynamodb[{}]", source, i)));
            }
        }
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: {}", source, error.mark.line + 1, error.msg));
    }
    return config;
}

ResourcesConfig load_resources_config(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(fmt::format("{}: cannot read the resources config", path.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_resources_config(text.str(), path.string());
}

}  // namespace refstack
