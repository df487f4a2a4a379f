// The cluster file: valid files load; each kind of mistake is reported with the file, the key
// and what was expected, and nothing is half-loaded.

#include "runtime/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace eyrie {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr std::string_view kValid = R"(
[cluster]
name = "test"
data_dir = "state"
log_level = "debug"

[transport]
send_hwm_frames = 500
heartbeat_interval_ms = 200

[[nodes]]
id = 2
host = "127.0.0.1"
port = 7002
roles = ["echo"]

[[nodes]]
id = 1
host = "127.0.0.1"
port = 7001
roles = ["echo"]

[echo]
interval_ms = 25
)";

ClusterConfig parse(std::string_view text) { return ClusterConfig::parse(text, "c.toml", "/etc/eyrie"); }

// The message of the ConfigError that parsing `text` raises (fails the test if none).
std::string error_of(std::string_view text) {
  try {
    (void)parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << text;
  return "";
}

std::string with_node(std::string_view node_body, std::string_view extra = "") {
  return std::string(extra) + "\n[[nodes]]\n" + std::string(node_body) + "\n";
}

TEST(ClusterConfig, parse_loadsAllRuntimeSections) {
  const ClusterConfig c = parse(kValid);
  EXPECT_EQ(c.name, "test");
  EXPECT_EQ(c.data_dir, std::filesystem::path("/etc/eyrie/state"));
  EXPECT_EQ(c.log_level, LogLevel::debug);
  EXPECT_EQ(c.transport.send_hwm_frames, 500);
  EXPECT_EQ(c.transport.heartbeat_interval, std::chrono::milliseconds(200));
  EXPECT_EQ(c.transport.receive_hwm_frames, TransportConfig{}.receive_hwm_frames);
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[0].id, NodeId{1});  // sorted by id
  EXPECT_EQ(c.nodes[1].endpoint(), "tcp://127.0.0.1:7002");
  EXPECT_EQ(c.find(NodeId{2})->port, 7002);
  EXPECT_EQ(c.find(NodeId{3}), nullptr);
  EXPECT_EQ(c.node_dir(NodeId{2}), std::filesystem::path("/etc/eyrie/state/node-2"));
}

TEST(ClusterConfig, section_givesModulesTheirKeysAndCatchesTypos) {
  const ClusterConfig c = parse(kValid);
  const ConfigSection echo = c.section("echo");
  EXPECT_TRUE(echo.present());
  EXPECT_EQ(echo.milliseconds("interval_ms", {}, std::chrono::milliseconds(1), std::chrono::seconds(1)),
            std::chrono::milliseconds(25));
  EXPECT_NO_THROW(echo.reject_unknown_keys());
  const ConfigSection fresh = c.section("echo");
  EXPECT_THAT([&] { fresh.reject_unknown_keys(); },
              ::testing::ThrowsMessage<ConfigError>(AllOf(HasSubstr("c.toml:"), HasSubstr("[echo] interval_ms"),
                                                          HasSubstr("unknown key"))));
  const ConfigSection absent = c.section("ridge");
  EXPECT_FALSE(absent.present());
  EXPECT_EQ(absent.integer("batch", 7, 0, 10), 7);
}

TEST(ClusterConfig, reject_unknown_sections_namesTheSectionAndTheKnownOnes) {
  const ClusterConfig c = parse(std::string(kValid) + "\n[ehco]\nx = 1\n");
  const std::array<std::string_view, 1> modules{"echo"};
  EXPECT_THAT([&] { c.reject_unknown_sections(modules); },
              ::testing::ThrowsMessage<ConfigError>(AllOf(HasSubstr("ehco"), HasSubstr("unknown section"),
                                                          HasSubstr("echo"), HasSubstr("transport"))));
}

TEST(ClusterConfig, syntaxError_namesFileAndLine) {
  const std::string e = error_of("[cluster]\nname = \"unterminated\n");
  EXPECT_THAT(e, AllOf(HasSubstr("c.toml:2:"), HasSubstr("not valid TOML"), HasSubstr("line 2")));
}

TEST(ClusterConfig, wrongType_saysWhatWasExpectedAndWhatWasFound) {
  const std::string e = error_of(with_node("id = 1\nhost = \"h\"\nport = 1", "[transport]\nsend_hwm_frames = \"lots\""));
  EXPECT_THAT(e, AllOf(HasSubstr("c.toml:2"), HasSubstr("[transport] send_hwm_frames"),
                       HasSubstr("expected an integer in 1..10000000"), HasSubstr("got string \"lots\"")));
}

TEST(ClusterConfig, outOfRange_isRejected) {
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 70000")),
              AllOf(HasSubstr("[nodes[0]] port"), HasSubstr("expected an integer in 1..65535"), HasSubstr("70000")));
  EXPECT_THAT(error_of(with_node("id = 0\nhost = \"h\"\nport = 1")),
              AllOf(HasSubstr("[nodes[0]] id"), HasSubstr("1..65535")));
}

TEST(ClusterConfig, missingRequiredKeys_areNamed) {
  EXPECT_THAT(error_of(with_node("host = \"h\"\nport = 1")), AllOf(HasSubstr("[nodes[0]] id"), HasSubstr("missing")));
  EXPECT_THAT(error_of(with_node("id = 1\nport = 1")), AllOf(HasSubstr("host"), HasSubstr("missing")));
  EXPECT_THAT(error_of("[cluster]\nname = \"x\"\n"), AllOf(HasSubstr("nodes"), HasSubstr("at least one [[nodes]]")));
}

TEST(ClusterConfig, duplicateIdsAndAddresses_areRejected) {
  const std::string two_ones = with_node("id = 1\nhost = \"h\"\nport = 1") + with_node("id = 1\nhost = \"h\"\nport = 2");
  EXPECT_THAT(error_of(two_ones), AllOf(HasSubstr("[nodes[1]] id"), HasSubstr("used twice")));
  const std::string same_port = with_node("id = 1\nhost = \"h\"\nport = 1") + with_node("id = 2\nhost = \"h\"\nport = 1");
  EXPECT_THAT(error_of(same_port), AllOf(HasSubstr("[nodes[1]] port"), HasSubstr("node 1's")));
}

TEST(ClusterConfig, unknownKeys_andBadChoices_areRejected) {
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 1\nrole = [\"echo\"]")),
              AllOf(HasSubstr("[nodes[0]] role"), HasSubstr("unknown key"), HasSubstr("roles")));
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 1", "[cluster]\nlog_level = \"loud\"")),
              AllOf(HasSubstr("[cluster] log_level"), HasSubstr("\"trace\""), HasSubstr("got \"loud\"")));
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 1\nroles = \"echo\"")),
              AllOf(HasSubstr("roles"), HasSubstr("expected an array of strings")));
}

TEST(ClusterConfig, crossFieldConstraints_areChecked) {
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 1",
                                 "[transport]\nheartbeat_interval_ms = 500\nheartbeat_timeout_ms = 100")),
              HasSubstr("heartbeat_timeout_ms: expected more than heartbeat_interval_ms"));
  EXPECT_THAT(error_of(with_node("id = 1\nhost = \"h\"\nport = 1",
                                 "[transport]\nframe_bytes_max = 8192\npack_bytes_max = 65536")),
              HasSubstr("pack_bytes_max: expected at most frame_bytes_max"));
}

TEST(ClusterConfig, nodesNotAnArrayOfTables_isRejected) {
  EXPECT_THAT(error_of("nodes = 3\n"), AllOf(HasSubstr("nodes"), HasSubstr("expected an array of tables")));
}

TEST(ClusterConfig, load_reportsMissingFile) {
  EXPECT_THAT([] { (void)ClusterConfig::load("/nonexistent/eyrie.toml"); },
              ::testing::ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("/nonexistent/eyrie.toml"), HasSubstr("cannot open"))));
}

TEST(ClusterConfig, load_resolvesDataDirAgainstTheFilesFolder) {
  const auto dir = std::filesystem::temp_directory_path() / ("eyrie-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "c.toml") << kValid;
  const ClusterConfig c = ClusterConfig::load(dir / "c.toml");
  EXPECT_EQ(c.data_dir, (dir / "state").lexically_normal());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace eyrie
