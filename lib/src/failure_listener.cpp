// Attaches the failing test case's HTTP exchanges (redacted) and a curl line to every failed
// assertion, so they land wherever the failure is reported: console, JUnit, XML, JSON.
#include <catch2/catch_test_case_info.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>

#include "e2e/scenario.hpp"

namespace e2e {
namespace {

class FailureExchangesListener final : public Catch::EventListenerBase {
public:
    using Catch::EventListenerBase::EventListenerBase;

    void testCaseStarting(const Catch::TestCaseInfo&) override { current_exchanges().clear(); }

    // Listeners see an assertion before the reporters, and Catch2 hands every reporter the same
    // AssertionStats (a non-const temporary in RunContext::assertionEnded, so writing to it through
    // const_cast is defined): the message added here is part of the failure for every reporter.
    // A message emplaced with UNSCOPED_INFO at this point would only reach the *next* assertion.
    void assertionEnded(const Catch::AssertionStats& stats) override {
        if (stats.assertionResult.isOk()) return;
        const std::string text = describe_recorded_exchanges();
        if (text.empty()) return;
        Catch::MessageInfo info("E2E_EXCHANGES"_catch_sr, stats.assertionResult.getSourceInfo(), Catch::ResultWas::Info);
        info.message = text;
        const_cast<Catch::AssertionStats&>(stats).infoMessages.push_back(std::move(info));  // NOLINT: see above
    }
};

}  // namespace
}  // namespace e2e

CATCH_REGISTER_LISTENER(e2e::FailureExchangesListener)
