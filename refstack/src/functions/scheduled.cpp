// lambda-scheduled (contract 2.13): run by the gateway scheduler with {"scheduled": true}; records
// the run in e2e-test-table as item "scheduled-run", which STD-025 reads back through lambda-dynamo.
#include <chrono>

#include "e2e/dynamodb.hpp"
#include "faults.hpp"
#include "functions/common.hpp"
#include "functions/handlers.hpp"

namespace refstack::functions {

using e2e::AttributeValue;
using e2e::Json;

std::string scheduled(std::string_view payload, FunctionContext& context) {
    // Fault: the run is recorded, but with an empty event instead of the scheduler's.
    const Json event = context.faults().on("scheduled.event_not_recorded") ? Json::object() : parse_event(payload);
    // boto3's resource layer: a dict becomes M, True becomes BOOL (from_plain_json maps the same way).
    require_ok(context.dynamodb().put_item(
        "e2e-test-table", {{"id", AttributeValue::string("scheduled-run")},
                           {"last_run", AttributeValue::string(python_utc_iso_micros(std::chrono::system_clock::now()))},
                           {"event", AttributeValue::from_plain_json(event)}}));
    return Json::object({{"statusCode", 200}, {"body", R"({"message": "Successfully updated schedule record"})"}}).dump();
}

}  // namespace refstack::functions
