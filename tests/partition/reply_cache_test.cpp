// ReplyCache: exactly-once with pipelined clients. A command that ran gets its stored reply
// back, a command below the client's acknowledgement needs nothing, anything else is fresh;
// acknowledgements trim the stored replies, and both bounds (replies per client, clients)
// forget in the documented order. Retry answers are never stored (the replica does not call
// store for them), so such a command is fresh when it comes again.

#include "partition/reply_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eyrie::partition {
namespace {

Command command(std::uint64_t client, std::uint64_t seq, std::uint64_t acked_below = 0) {
  return Command{.client_id = client, .seq = seq, .acked_below = acked_below, .reply_to = NodeId{client + 1000}};
}

Reply reply(const Command& c, std::string body) {
  return Reply{.client_id = c.client_id, .seq = c.seq, .status = ReplyStatus::ok,
               .body = Payload::copy_of(std::string_view(body)), .partition = PartitionId{1}};
}

// Admits and stores, as the replica does for a command that ran to a result.
void ran(ReplyCache& cache, const Command& c, std::uint64_t position, std::string body) {
  ASSERT_EQ(cache.admit(c, position).seen, ReplyCache::Seen::fresh) << "seq " << c.seq;
  cache.store(c, reply(c, std::move(body)));
  cache.check_invariants();
}

TEST(ReplyCache, admit_aNewCommandIsFresh) {
  ReplyCache cache(8, 8);
  const ReplyCache::Lookup l = cache.admit(command(1, 1), 1);
  EXPECT_EQ(l.seen, ReplyCache::Seen::fresh);
  EXPECT_EQ(l.reply, nullptr);
  EXPECT_EQ(cache.clients(), 1u);
}

TEST(ReplyCache, admit_aCommandThatRanGetsItsStoredReply) {
  ReplyCache cache(8, 8);
  ran(cache, command(1, 1), 1, "first");
  ran(cache, command(1, 2), 2, "second");
  const ReplyCache::Lookup l = cache.admit(command(1, 1), 3);
  ASSERT_EQ(l.seen, ReplyCache::Seen::answered);
  ASSERT_NE(l.reply, nullptr);
  EXPECT_EQ(l.reply->seq, 1u);
  EXPECT_EQ(l.reply->body.as_string_view(), "first");
  const ReplyCache::Lookup l2 = cache.admit(command(1, 2, 1), 4);
  ASSERT_EQ(l2.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(l2.reply->body.as_string_view(), "second");
}

TEST(ReplyCache, admit_theSameSeqOfAnotherClientIsFresh) {
  ReplyCache cache(8, 8);
  ran(cache, command(1, 1), 1, "one");
  EXPECT_EQ(cache.admit(command(2, 1), 2).seen, ReplyCache::Seen::fresh);
  EXPECT_EQ(cache.clients(), 2u);
}

TEST(ReplyCache, admit_belowAckedBelowIsAcknowledged) {
  ReplyCache cache(8, 8);
  ran(cache, command(1, 1), 1, "one");
  ran(cache, command(1, 2), 2, "two");
  ran(cache, command(1, 3, 3), 3, "three");  // the client holds the replies of 1 and 2
  const ReplyCache::Lookup l = cache.admit(command(1, 1), 4);
  EXPECT_EQ(l.seen, ReplyCache::Seen::acknowledged);
  EXPECT_EQ(l.reply, nullptr);
  EXPECT_EQ(cache.admit(command(1, 2), 5).seen, ReplyCache::Seen::acknowledged);
  // The acknowledgement is the highest seen: a later command carrying an older one does not
  // bring the forgotten replies back.
  EXPECT_EQ(cache.admit(command(1, 4, 1), 6).seen, ReplyCache::Seen::fresh);
  EXPECT_EQ(cache.admit(command(1, 2, 1), 7).seen, ReplyCache::Seen::acknowledged);
  // Seq 3 is at the acknowledgement, so still answered.
  const ReplyCache::Lookup three = cache.admit(command(1, 3), 8);
  ASSERT_EQ(three.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(three.reply->body.as_string_view(), "three");
}

TEST(ReplyCache, admit_ackedBelowTrimsTheStoredReplies) {
  // Ten commands, each acknowledging every earlier one: the earlier ones are acknowledged (not
  // fresh: they must not run again), the latest is answered.
  ReplyCache cache(8, 3);
  for (std::uint64_t seq = 1; seq <= 10; ++seq) ran(cache, command(1, seq, seq), seq, "r" + std::to_string(seq));
  EXPECT_EQ(cache.admit(command(1, 9), 11).seen, ReplyCache::Seen::acknowledged);
  const ReplyCache::Lookup ten = cache.admit(command(1, 10), 12);
  ASSERT_EQ(ten.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(ten.reply->body.as_string_view(), "r10");
}

TEST(ReplyCache, store_perClientBoundDropsTheLowestSeqs) {
  ReplyCache cache(8, 2);
  ran(cache, command(1, 1), 1, "one");
  ran(cache, command(1, 2), 2, "two");
  ran(cache, command(1, 3), 3, "three");
  cache.check_invariants();
  // Seq 1 was forgotten: a retransmission of it would run again (documented limit).
  EXPECT_EQ(cache.admit(command(1, 1), 4).seen, ReplyCache::Seen::fresh);
  const ReplyCache::Lookup two = cache.admit(command(1, 2), 5);
  ASSERT_EQ(two.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(two.reply->body.as_string_view(), "two");
  EXPECT_EQ(cache.admit(command(1, 3), 6).seen, ReplyCache::Seen::answered);
}

TEST(ReplyCache, admit_clientsBoundEvictsTheLeastRecentlyActiveClient) {
  ReplyCache cache(2, 8);
  ran(cache, command(1, 1), 1, "c1");
  ran(cache, command(2, 1), 2, "c2");
  // Client 1 is active again: client 2 is now the idlest.
  EXPECT_EQ(cache.admit(command(1, 1), 3).seen, ReplyCache::Seen::answered);
  ran(cache, command(3, 1), 4, "c3");
  EXPECT_EQ(cache.clients(), 2u);
  cache.check_invariants();
  // Client 1 kept its reply, client 3 has its own.
  const ReplyCache::Lookup one = cache.admit(command(1, 1), 5);
  ASSERT_EQ(one.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(one.reply->body.as_string_view(), "c1");
  const ReplyCache::Lookup three = cache.admit(command(3, 1), 6);
  ASSERT_EQ(three.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(three.reply->body.as_string_view(), "c3");
  // Client 2 was forgotten: its command is fresh again (and evicts client 1, idlest now).
  EXPECT_EQ(cache.admit(command(2, 1), 7).seen, ReplyCache::Seen::fresh);
  EXPECT_EQ(cache.clients(), 2u);
  EXPECT_EQ(cache.admit(command(3, 1), 8).seen, ReplyCache::Seen::answered);
}

TEST(ReplyCache, store_forAClientForgottenMeanwhileIsDropped) {
  ReplyCache cache(1, 8);
  const Command first = command(1, 1);
  ASSERT_EQ(cache.admit(first, 1).seen, ReplyCache::Seen::fresh);
  ASSERT_EQ(cache.admit(command(2, 1), 2).seen, ReplyCache::Seen::fresh);  // evicts client 1
  cache.store(first, reply(first, "late"));
  EXPECT_EQ(cache.clients(), 1u);
  cache.check_invariants();
  EXPECT_EQ(cache.admit(command(2, 1), 3).seen, ReplyCache::Seen::fresh);  // client 2 stored nothing
}

TEST(ReplyCache, store_belowTheAcknowledgementIsDropped) {
  ReplyCache cache(8, 8);
  const Command old = command(1, 2);
  ASSERT_EQ(cache.admit(old, 1).seen, ReplyCache::Seen::fresh);
  ASSERT_EQ(cache.admit(command(1, 5, 4), 2).seen, ReplyCache::Seen::fresh);
  cache.store(old, reply(old, "stale"));
  cache.check_invariants();
  EXPECT_EQ(cache.admit(old, 3).seen, ReplyCache::Seen::acknowledged);
}

TEST(ReplyCache, aRetryAnswerIsNotStoredSoTheRetriedCommandIsFresh) {
  ReplyCache cache(8, 8);
  const Command c = command(1, 1);
  ASSERT_EQ(cache.admit(c, 1).seen, ReplyCache::Seen::fresh);
  // The replica answered retry: no store. The client re-multicasts the same (client, seq).
  EXPECT_EQ(cache.admit(c, 2).seen, ReplyCache::Seen::fresh);
  cache.store(c, reply(c, "ran"));
  const ReplyCache::Lookup l = cache.admit(c, 3);
  ASSERT_EQ(l.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(l.reply->body.as_string_view(), "ran");
}

TEST(ReplyCache, store_keepsAFailedReplyWithItsStatus) {
  ReplyCache cache(8, 8);
  const Command c = command(4, 1);
  ASSERT_EQ(cache.admit(c, 1).seen, ReplyCache::Seen::fresh);
  Reply failed = reply(c, "not a number");
  failed.status = ReplyStatus::failed;
  cache.store(c, failed);
  const ReplyCache::Lookup l = cache.admit(c, 2);
  ASSERT_EQ(l.seen, ReplyCache::Seen::answered);
  EXPECT_EQ(l.reply->status, ReplyStatus::failed);
  EXPECT_EQ(l.reply->body.as_string_view(), "not a number");
}

}  // namespace
}  // namespace eyrie::partition
