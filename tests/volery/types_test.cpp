// Volery's vocabulary (apps/volery/types.hpp): ZooKeeper's names for codes and events, the
// create-mode predicates, the open ACL, which operations are reads, and the human text of each.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/volery/types.hpp"

namespace eyrie::volery {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(VoleryTypes, toStringOfCode_isZooKeepersName) {
  EXPECT_STREQ(to_string(Code::ok), "OK");
  EXPECT_STREQ(to_string(Code::system_error), "SystemError");
  EXPECT_STREQ(to_string(Code::runtime_inconsistency), "RuntimeInconsistency");
  EXPECT_STREQ(to_string(Code::marshalling_error), "MarshallingError");
  EXPECT_STREQ(to_string(Code::unimplemented), "Unimplemented");
  EXPECT_STREQ(to_string(Code::bad_arguments), "BadArguments");
  EXPECT_STREQ(to_string(Code::no_node), "NoNode");
  EXPECT_STREQ(to_string(Code::no_auth), "NoAuth");
  EXPECT_STREQ(to_string(Code::bad_version), "BadVersion");
  EXPECT_STREQ(to_string(Code::no_children_for_ephemerals), "NoChildrenForEphemerals");
  EXPECT_STREQ(to_string(Code::node_exists), "NodeExists");
  EXPECT_STREQ(to_string(Code::not_empty), "NotEmpty");
  EXPECT_STREQ(to_string(Code::session_expired), "SessionExpired");
  EXPECT_STREQ(to_string(Code::invalid_acl), "InvalidACL");
  EXPECT_STREQ(to_string(Code::auth_failed), "AuthFailed");
  EXPECT_STREQ(to_string(static_cast<Code>(-999)), "UnknownCode");
}

TEST(VoleryTypes, codeValues_areZooKeepers) {
  EXPECT_EQ(static_cast<int>(Code::no_node), -101);
  EXPECT_EQ(static_cast<int>(Code::node_exists), -110);
  EXPECT_EQ(static_cast<int>(Code::invalid_acl), -114);
}

TEST(VoleryTypes, toStringOfEventType_isZooKeepersName) {
  EXPECT_STREQ(to_string(EventType::node_created), "NodeCreated");
  EXPECT_STREQ(to_string(EventType::node_deleted), "NodeDeleted");
  EXPECT_STREQ(to_string(EventType::node_data_changed), "NodeDataChanged");
  EXPECT_STREQ(to_string(EventType::node_children_changed), "NodeChildrenChanged");
  EXPECT_STREQ(to_string(static_cast<EventType>(0)), "UnknownEventType");
}

TEST(VoleryTypes, createModePredicates) {
  EXPECT_FALSE(is_ephemeral(CreateMode::persistent));
  EXPECT_TRUE(is_ephemeral(CreateMode::ephemeral));
  EXPECT_FALSE(is_ephemeral(CreateMode::persistent_sequential));
  EXPECT_TRUE(is_ephemeral(CreateMode::ephemeral_sequential));
  EXPECT_FALSE(is_ephemeral(CreateMode::container));
  EXPECT_FALSE(is_sequential(CreateMode::persistent));
  EXPECT_FALSE(is_sequential(CreateMode::ephemeral));
  EXPECT_TRUE(is_sequential(CreateMode::persistent_sequential));
  EXPECT_TRUE(is_sequential(CreateMode::ephemeral_sequential));
  EXPECT_FALSE(is_sequential(CreateMode::container));
  EXPECT_STREQ(to_string(CreateMode::container), "container");
}

TEST(VoleryTypes, openAcl_isWorldAnyoneWithEveryPermission) {
  EXPECT_THAT(open_acl(), ElementsAre(Acl{31, Id{"world", "anyone"}}));
}

TEST(VoleryTypes, isRead_forReadsCheckAndSyncOnly) {
  EXPECT_TRUE(is_read(GetData{"/a", true}));
  EXPECT_TRUE(is_read(Exists{"/a", false}));
  EXPECT_TRUE(is_read(GetChildren{"/a", false}));
  EXPECT_TRUE(is_read(GetAcl{"/a"}));
  EXPECT_TRUE(is_read(Check{"/a", 3}));
  EXPECT_TRUE(is_read(Sync{"/"}));
  EXPECT_FALSE(is_read(Create{"/a", "", open_acl(), CreateMode::persistent}));
  EXPECT_FALSE(is_read(Delete{"/a", kAnyVersion}));
  EXPECT_FALSE(is_read(SetData{"/a", "x", kAnyVersion}));
  EXPECT_FALSE(is_read(SetAcl{"/a", open_acl(), 0}));
  EXPECT_FALSE(is_read(CreateSession{30000, "pw"}));
  EXPECT_FALSE(is_read(Tick{{1, 2}}));
  EXPECT_FALSE(is_read(CloseSession{}));
  EXPECT_FALSE(is_read(Reattach{"pw"}));
}

TEST(VoleryTypes, isRead_ofAMultiOnlyWhenEveryOperationIsACheck) {
  EXPECT_TRUE(is_read(Multi{}));
  EXPECT_TRUE(is_read(Multi{{Check{"/a", 1}, Check{"/b", 2}}}));
  EXPECT_FALSE(is_read(Multi{{Check{"/a", 1}, Delete{"/b", 2}}}));
  EXPECT_FALSE(is_read(Multi{{SetData{"/a", "", 1}}}));
}

TEST(VoleryTypes, describe_namesTheOperationAndItsArguments) {
  EXPECT_EQ(describe(Create{"/a/b", "abc", open_acl(), CreateMode::ephemeral_sequential}),
            "create(/a/b, 3 bytes, ephemeral_sequential)");
  EXPECT_EQ(describe(Delete{"/a", kAnyVersion}), "delete(/a, any version)");
  EXPECT_EQ(describe(Delete{"/a", 4}), "delete(/a, version 4)");
  EXPECT_EQ(describe(SetData{"/a", "", 0}), "setData(/a, 0 bytes, version 0)");
  EXPECT_EQ(describe(Check{"/c", 2}), "check(/c, version 2)");
  EXPECT_EQ(describe(GetData{"/a", true}), "getData(/a, watch)");
  EXPECT_EQ(describe(GetData{"/a", false}), "getData(/a)");
  EXPECT_EQ(describe(Exists{"/e", true}), "exists(/e, watch)");
  EXPECT_EQ(describe(GetChildren{"/", false}), "getChildren(/)");
  EXPECT_EQ(describe(GetAcl{"/a"}), "getACL(/a)");
  EXPECT_EQ(describe(SetAcl{"/a", open_acl(), 1}), "setACL(/a, 1 entries, version 1)");
  EXPECT_EQ(describe(Sync{"/"}), "sync(/)");
  EXPECT_EQ(describe(Tick{{1, 2, 3}}), "tick(renew 3 sessions)");
  EXPECT_EQ(describe(CloseSession{}), "closeSession");
  EXPECT_EQ(describe(Reattach{"secret"}), "reattach");
}

TEST(VoleryTypes, describe_ofAMultiShowsItsFirstOperations) {
  EXPECT_EQ(describe(Multi{}), "multi(0 ops)");
  EXPECT_EQ(describe(Multi{{Check{"/a", 1}, Delete{"/b", kAnyVersion}}}),
            "multi(2 ops: check(/a, version 1), delete(/b, any version))");
  Multi big;
  for (int i = 0; i < 10; ++i) big.ops.push_back(Check{"/n" + std::to_string(i), i});
  const std::string text = describe(big);
  EXPECT_THAT(text, HasSubstr("multi(10 ops: check(/n0, version 0)"));
  EXPECT_THAT(text, HasSubstr("check(/n3, version 3), ...)"));
  EXPECT_THAT(text, Not(HasSubstr("/n4")));
}

TEST(VoleryTypes, describe_neverShowsAPassword) {
  EXPECT_EQ(describe(CreateSession{30000, "hunter2"}), "createSession(timeout 30000 ms)");
  EXPECT_THAT(describe(Reattach{"hunter2"}), Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace eyrie::volery
