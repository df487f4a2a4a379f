// ExchangeBook: what a replica received from and sent to other partitions about
// multi-partition commands. Messages that arrive before their command are kept by command;
// once the command finishes they are forgotten and later ones ignored; the inbox bound drops
// the oldest command's entry (counted); what was sent about a command merges into one record
// that answers pulls, for the last outbox_max commands.

#include "partition/exchange_book.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace eyrie::partition {
namespace {

using ::testing::ElementsAre;

CommandKey key(std::uint64_t seq) { return CommandKey{NodeId{50}, seq}; }

ObjectValue value(std::string id, std::string bytes) {
  return ObjectValue{std::move(id), true, Payload::copy_of(std::string_view(bytes))};
}

Exchange signal_from(std::uint32_t partition, CommandKey command) {
  return Exchange{.command = command, .partition = PartitionId{partition}, .signal = true};
}

TEST(ExchangeBook, receive_keepsEarlyMessagesByCommand) {
  ExchangeBook book(16, 16);
  EXPECT_TRUE(book.receive(signal_from(2, key(1))));
  EXPECT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{3}, .values = {value("x", "10")}}));
  EXPECT_TRUE(book.receive(signal_from(2, key(2))));
  EXPECT_EQ(book.inbox_size(), 2u);
  book.check_invariants();

  const ExchangeBook::Received& one = book.received(key(1));
  // A message with values counts as a signal of its partition too.
  EXPECT_THAT(one.signals, ElementsAre(PartitionId{2}, PartitionId{3}));
  ASSERT_EQ(one.values.size(), 1u);
  EXPECT_EQ(one.values.at("x").bytes.as_string_view(), "10");
  EXPECT_TRUE(one.verdicts.empty());
  const ExchangeBook::Received& two = book.received(key(2));
  EXPECT_THAT(two.signals, ElementsAre(PartitionId{2}));
  EXPECT_TRUE(two.values.empty());
}

TEST(ExchangeBook, received_ofAnUnknownCommandIsEmpty) {
  ExchangeBook book(16, 16);
  const ExchangeBook::Received& r = book.received(key(9));
  EXPECT_TRUE(r.signals.empty());
  EXPECT_TRUE(r.values.empty());
  EXPECT_TRUE(r.verdicts.empty());
  EXPECT_EQ(book.inbox_size(), 1u);  // created on demand
}

TEST(ExchangeBook, receive_recordsValuesAndVerdictsPerPartition) {
  ExchangeBook book(16, 16);
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{2}, .values = {value("a", "1"), value("b", "2")}}));
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{2}, .values = {ObjectValue{"c", false, {}}}}));
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{2}, .verdict = Verdict::ok}));
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{3}, .verdict = Verdict::retry,
                                    .missing = {PartitionId{4}}}));
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{5}, .verdict = Verdict::failed,
                                    .error = "bad balance"}));
  // A message without a verdict leaves the recorded one alone.
  ASSERT_TRUE(book.receive(signal_from(2, key(1))));

  const ExchangeBook::Received& r = book.received(key(1));
  EXPECT_THAT(r.signals, ElementsAre(PartitionId{2}, PartitionId{3}, PartitionId{5}));
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_EQ(r.values.at("a").bytes.as_string_view(), "1");
  EXPECT_EQ(r.values.at("b").bytes.as_string_view(), "2");
  EXPECT_FALSE(r.values.at("c").present);
  ASSERT_EQ(r.verdicts.size(), 3u);
  EXPECT_EQ(r.verdicts.at(PartitionId{2}).verdict, Verdict::ok);
  EXPECT_EQ(r.verdicts.at(PartitionId{3}).verdict, Verdict::retry);
  EXPECT_THAT(r.verdicts.at(PartitionId{3}).missing, ElementsAre(PartitionId{4}));
  EXPECT_EQ(r.verdicts.at(PartitionId{5}).verdict, Verdict::failed);
  EXPECT_EQ(r.verdicts.at(PartitionId{5}).error, "bad balance");
}

TEST(ExchangeBook, finished_forgetsTheCommandAndIgnoresLaterMessages) {
  ExchangeBook book(16, 16);
  ASSERT_TRUE(book.receive(Exchange{.command = key(1), .partition = PartitionId{2}, .values = {value("a", "1")}}));
  ASSERT_TRUE(book.receive(signal_from(2, key(2))));
  book.finished(key(1));
  EXPECT_EQ(book.inbox_size(), 1u);
  book.check_invariants();
  // A duplicate or a late answer to a pull: ignored, nothing kept.
  EXPECT_FALSE(book.receive(Exchange{.command = key(1), .partition = PartitionId{2}, .verdict = Verdict::ok}));
  EXPECT_FALSE(book.receive(signal_from(3, key(1))));
  EXPECT_EQ(book.inbox_size(), 1u);
  // Other commands are unaffected.
  EXPECT_TRUE(book.receive(signal_from(3, key(2))));
  EXPECT_THAT(book.received(key(2)).signals, ElementsAre(PartitionId{2}, PartitionId{3}));
  // Finishing twice changes nothing.
  book.finished(key(1));
  book.check_invariants();
  EXPECT_FALSE(book.receive(signal_from(2, key(1))));
}

TEST(ExchangeBook, finished_remembersTheLastInboxMaxCommands) {
  ExchangeBook book(16, 16);
  for (std::uint64_t seq = 1; seq <= 17; ++seq) book.finished(key(seq));
  book.check_invariants();
  // Command 1 left the window of remembered finished commands; 2..17 are still in it.
  EXPECT_TRUE(book.receive(signal_from(2, key(1))));
  EXPECT_FALSE(book.receive(signal_from(2, key(2))));
  EXPECT_FALSE(book.receive(signal_from(2, key(17))));
}

TEST(ExchangeBook, receive_beyondTheInboxBoundDropsTheOldestEntry) {
  ExchangeBook book(16, 16);
  for (std::uint64_t seq = 1; seq <= 16; ++seq) {
    ASSERT_TRUE(book.receive(Exchange{.command = key(seq), .partition = PartitionId{2}, .values = {value("v", std::to_string(seq))}}));
  }
  EXPECT_EQ(book.dropped(), 0u);
  EXPECT_EQ(book.inbox_size(), 16u);
  // More messages about command 3 add nothing new to the inbox.
  ASSERT_TRUE(book.receive(signal_from(3, key(3))));
  EXPECT_EQ(book.inbox_size(), 16u);
  ASSERT_TRUE(book.receive(signal_from(2, key(17))));
  EXPECT_EQ(book.dropped(), 1u);
  EXPECT_EQ(book.inbox_size(), 16u);
  book.check_invariants();
  // Command 1's entry (the oldest) is gone; command 2's is intact.
  EXPECT_EQ(book.received(key(2)).values.at("v").bytes.as_string_view(), "2");
  EXPECT_EQ(book.received(key(17)).signals.size(), 1u);
  EXPECT_TRUE(book.received(key(1)).values.empty());  // recreated empty, dropping command 2's
  EXPECT_EQ(book.dropped(), 2u);
  book.check_invariants();
}

TEST(ExchangeBook, receive_theBoundSkipsEntriesOfFinishedCommands) {
  ExchangeBook book(16, 16);
  for (std::uint64_t seq = 1; seq <= 16; ++seq) ASSERT_TRUE(book.receive(signal_from(2, key(seq))));
  book.finished(key(1));
  book.finished(key(2));
  // Room for two more without dropping anything.
  ASSERT_TRUE(book.receive(signal_from(2, key(17))));
  ASSERT_TRUE(book.receive(signal_from(2, key(18))));
  EXPECT_EQ(book.dropped(), 0u);
  ASSERT_TRUE(book.receive(signal_from(2, key(19))));
  EXPECT_EQ(book.dropped(), 1u);  // command 3, the oldest left
  EXPECT_TRUE(book.received(key(4)).signals.contains(PartitionId{2}));
  book.check_invariants();
}

TEST(ExchangeBook, sent_mergesEveryMessageAboutACommandIntoOneRecord) {
  ExchangeBook book(16, 16);
  EXPECT_EQ(book.sent_for(key(1)), nullptr);
  book.sent(Exchange{.command = key(1), .partition = PartitionId{1}, .signal = true, .values = {value("a", "1")}});
  book.sent(Exchange{.command = key(1), .partition = PartitionId{1}, .values = {value("b", "2")}});
  book.sent(Exchange{.command = key(2), .partition = PartitionId{1}, .signal = true});
  book.sent(Exchange{.command = key(1), .partition = PartitionId{1}, .values = {value("c", "3")}});
  book.sent(Exchange{.command = key(1), .partition = PartitionId{1}, .verdict = Verdict::retry, .missing = {PartitionId{7}}});
  book.check_invariants();

  const Exchange* record = book.sent_for(key(1));
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->command, key(1));
  EXPECT_EQ(record->partition, PartitionId{1});
  EXPECT_TRUE(record->signal);
  ASSERT_EQ(record->values.size(), 3u);
  EXPECT_EQ(record->values[0].id, "a");
  EXPECT_EQ(record->values[1].id, "b");
  EXPECT_EQ(record->values[2].id, "c");
  EXPECT_EQ(record->values[2].bytes.as_string_view(), "3");
  EXPECT_EQ(record->verdict, Verdict::retry);
  EXPECT_THAT(record->missing, ElementsAre(PartitionId{7}));
  // The record is a valid message: a pull is answered with it as is.
  std::string error;
  EXPECT_TRUE(decode_exchange(encode(*record), &error)) << error;

  const Exchange* other = book.sent_for(key(2));
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(other->signal);
  EXPECT_TRUE(other->values.empty());
  EXPECT_EQ(other->verdict, Verdict::none);
}

TEST(ExchangeBook, sent_keepsTheFailedVerdictAndItsError) {
  ExchangeBook book(16, 16);
  book.sent(Exchange{.command = key(1), .partition = PartitionId{2}, .signal = true});
  book.sent(Exchange{.command = key(1), .partition = PartitionId{2}, .verdict = Verdict::failed, .error = "no"});
  const Exchange* record = book.sent_for(key(1));
  ASSERT_NE(record, nullptr);
  EXPECT_TRUE(record->signal);
  EXPECT_EQ(record->verdict, Verdict::failed);
  EXPECT_EQ(record->error, "no");
  EXPECT_TRUE(record->missing.empty());
}

TEST(ExchangeBook, sent_beyondTheOutboxBoundForgetsTheOldestCommand) {
  ExchangeBook book(16, 3);
  for (std::uint64_t seq = 1; seq <= 3; ++seq) book.sent(signal_from(1, key(seq)));
  // Adding to an existing record evicts nothing.
  book.sent(Exchange{.command = key(1), .partition = PartitionId{1}, .verdict = Verdict::ok});
  ASSERT_NE(book.sent_for(key(1)), nullptr);
  EXPECT_EQ(book.sent_for(key(1))->verdict, Verdict::ok);
  book.sent(signal_from(1, key(4)));
  book.check_invariants();
  EXPECT_EQ(book.sent_for(key(1)), nullptr);
  EXPECT_NE(book.sent_for(key(2)), nullptr);
  EXPECT_NE(book.sent_for(key(3)), nullptr);
  EXPECT_NE(book.sent_for(key(4)), nullptr);
  book.sent(signal_from(1, key(5)));
  EXPECT_EQ(book.sent_for(key(2)), nullptr);
  EXPECT_NE(book.sent_for(key(5)), nullptr);
  book.check_invariants();
}

}  // namespace
}  // namespace eyrie::partition
