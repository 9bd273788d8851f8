// The refstack's DynamoDB: the JSON 1.0 protocol (POST /, X-Amz-Target: DynamoDB_20120810.<Op>)
// for the tables of resources.yml, SigV4-verified, one durable file per item. Implements PutItem,
// GetItem, UpdateItem (SET/REMOVE), DeleteItem, DescribeTable, Scan and ListTables; see
// docs/refstack-dynamodb.md for what is left out and how errors look.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "e2e/sigv4.hpp"
#include "http_server.hpp"
#include "resources_config.hpp"

namespace refstack {

class FaultSwitches;

struct DynamoDbServiceConfig {
    std::filesystem::path data_dir;                     // items live in data_dir/<table>/<sha256 of key>.item.json
    std::vector<e2e::sigv4::Credentials> credentials;   // accepted key pairs (session tokens are not checked)
    std::vector<TableSpec> tables;                      // from resources.yml; no CreateTable
    std::string region;                                 // when set, the signature's scope must name it
    std::function<std::chrono::system_clock::time_point()> clock;  // signature clock-skew check; default: system clock
    const FaultSwitches* faults = nullptr;  // dynamodb.put_not_stored, dynamodb.update_ignored; not owned
};

// Thread-safe: handle() may run on many server threads at once. Writes to one table are
// serialised by that table's mutex and are on disk (fsync + rename) before the answer is built.
class DynamoDbService {
public:
    // Creates the table directories and loads every stored item. Throws std::invalid_argument for
    // a bad table spec and std::runtime_error naming the file for unreadable stored data.
    explicit DynamoDbService(DynamoDbServiceConfig config);
    ~DynamoDbService();
    DynamoDbService(const DynamoDbService&) = delete;
    DynamoDbService& operator=(const DynamoDbService&) = delete;

    // Every answer carries x-amzn-RequestId and x-amz-crc32; errors are DynamoDB-style JSON
    // ({"__type": "...#ValidationException", "message": "..."}), HTTP 400 (500 when storage fails).
    Response handle(const Request& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace refstack
