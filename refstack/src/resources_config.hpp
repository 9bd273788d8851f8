// The refstack's view of ESB's generated `resources.yml` (buckets with lifecycle rules, DynamoDB
// tables with key schemas); the S3 and DynamoDB services create what it lists.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace refstack {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LifecycleRule {
    std::string id;  // optional in ESB's config
    std::string status = "Enabled";
    std::string prefix;
    int expiration_days = 0;
};

struct BucketSpec {
    std::string name;
    std::vector<LifecycleRule> lifecycle_rules;
};

struct KeyAttribute {
    std::string name;
    std::string attribute_type;  // S, N or B
    std::string key_type;        // HASH or RANGE
};

struct TableSpec {
    std::string name;
    std::vector<KeyAttribute> key_schema;
    std::string billing_mode = "PAY_PER_REQUEST";
};

struct ResourcesConfig {
    std::vector<BucketSpec> buckets;
    std::vector<TableSpec> tables;
};

// Errors name the source and the offending entry (`resources.s3[0].BucketName is missing`).
ResourcesConfig parse_resources_config(std::string_view yaml, std::string_view source = "<resources>");
ResourcesConfig load_resources_config(const std::filesystem::path& path);

}  // namespace refstack
