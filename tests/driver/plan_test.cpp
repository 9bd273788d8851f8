#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <set>

#include "e2e/driver/plan.hpp"

using namespace e2e::driver;

namespace {

Matrix two_environments() {
    Matrix m;
    m.file = "/m/test_matrix.yaml";
    m.binaries = {"e2e-python", "e2e-java", "e2e-platform"};
    m.suites["smoke"] = Suite{"smoke", "", {{"*", "[smoke]"}}, {}};
    m.suites["runtime"] = Suite{"runtime", "", {{"e2e-python", "[runtime]"}, {"e2e-java", "[runtime]"}}, {}};
    Environment a;
    a.name = "e2e-docker";
    a.suites = {"smoke", "runtime"};
    Environment b;
    b.name = "e2e-containerd";
    b.mode = "containerd";
    b.suites = {"smoke"};
    m.environments = {a, b};
    return m;
}

std::vector<std::string> fake_cases(const Job& job) {
    std::vector<std::string> out;
    const int n = job.binary == "e2e-platform" ? 3 : 7;
    for (int i = 0; i < n; ++i) out.push_back(job.binary + " case " + std::to_string(i));
    return out;
}

}  // namespace

TEST_CASE("one job per environment and binary with the suites joined", "[driver][plan]") {
    PlanOptions o;
    o.bin_dir = "/bin-dir";
    const auto jobs = plan_jobs(two_environments(), o);
    REQUIRE(jobs.size() == 6);
    CHECK(jobs[0].id == "e2e-docker.e2e-python");
    CHECK(jobs[0].filter == "[smoke],[runtime]");
    CHECK(jobs[2].filter == "[smoke]");  // platform has no runtime target
    CHECK(jobs[0].binary_path == "/bin-dir/e2e-python");
    CHECK(jobs[3].mode == "containerd");
    CHECK(jobs[0].lane == "e2e-docker");
}

TEST_CASE("profile suite and test target narrow the plan", "[driver][plan]") {
    PlanOptions o;
    o.profiles = {"e2e-containerd"};
    CHECK(plan_jobs(two_environments(), o).size() == 3);
    o.profiles = {};
    o.suite = "runtime";
    const auto runtime = plan_jobs(two_environments(), o);
    REQUIRE(runtime.size() == 2);
    CHECK(runtime[0].filter == "[runtime]");
    o.suite = {};
    o.test_target = "connectivity*";
    CHECK(plan_jobs(two_environments(), o)[2].filter == "connectivity*");
    o.profiles = {"e2e-firecracker"};
    CHECK_THROWS_WITH(plan_jobs(two_environments(), o),
                      Catch::Matchers::ContainsSubstring("Environment 'e2e-firecracker' not found in matrix") &&
                          Catch::Matchers::ContainsSubstring("e2e-docker, e2e-containerd"));
}

TEST_CASE("split makes Catch2 shards of each job", "[driver][plan]") {
    PlanOptions o;
    o.split = 3;
    o.serial_per_environment = false;
    const auto jobs = plan_jobs(two_environments(), o);
    REQUIRE(jobs.size() == 18);
    CHECK(jobs[1].id == "e2e-docker.e2e-python.s1");
    CHECK(jobs[1].catch_shard_count == 3);
    CHECK(jobs[1].catch_shard_index == 1);
    CHECK(jobs[0].lane != jobs[1].lane);
}

TEST_CASE("shard K/N is validated", "[driver][plan]") {
    CHECK(parse_shard("2/3").index == 2);
    CHECK(parse_shard("2/3").label() == "2/3");
    for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "1/3x", ""}) CHECK_THROWS_AS(parse_shard(bad), ConfigError);
}

TEST_CASE("shards across machines cover every case once", "[driver][plan]") {
    const auto jobs = plan_jobs(two_environments(), PlanOptions{});
    std::multiset<std::string> all;
    for (const auto& j : jobs)
        for (const auto& c : fake_cases(j)) all.insert(j.environment + "/" + c);
    for (int n : {1, 2, 3, 5, 50}) {
        std::multiset<std::string> seen;
        for (int k = 1; k <= n; ++k) {
            const auto shard = apply_shard(jobs, Shard{k, n}, fake_cases);
            // Deterministic: the same input gives the same shard.
            const auto again = apply_shard(jobs, Shard{k, n}, fake_cases);
            REQUIRE(shard.size() == again.size());
            for (std::size_t i = 0; i < shard.size(); ++i) CHECK(shard[i].names == again[i].names);
            for (const auto& j : shard) {
                CHECK(j.shard == std::to_string(k) + "/" + std::to_string(n));
                for (const auto& c : j.names) seen.insert(j.environment + "/" + c);
            }
        }
        CAPTURE(n);
        CHECK(seen == all);  // union = all, and a multiset equal to a set of unique names = disjoint
    }
}
