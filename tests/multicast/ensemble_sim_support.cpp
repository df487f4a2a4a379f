#include "tests/multicast/ensemble_sim_support.hpp"

#include <algorithm>

#include "multicast/wire.hpp"
#include "runtime/capnp_codec.hpp"

namespace eyrie::multicast::testing {

void TestSender::multicast(std::string_view body) {
  MulticastMessage m;
  m.id = MessageId{env_.self(), next_seq_++};
  m.destinations = {kGroup};
  m.timestamp = env_.wall_clock();
  m.payload = Payload::copy_of(body);
  m.sender_acked_below = outstanding_.empty() ? m.id.seq : outstanding_.begin()->first;
  journal_.sent.insert(m.id);
  outstanding_.emplace(m.id.seq, m);
  env_.send(candidates_[target_], kPropose, encode(Propose{kEnsemble, {m}}));
}

void TestSender::send_outstanding() {
  if (outstanding_.empty()) return;
  Propose propose{kEnsemble, {}};
  for (const auto& [seq, m] : outstanding_) propose.messages.push_back(m);
  env_.send(candidates_[target_], kPropose, encode(propose));
}

void TestSender::on_retry() {
  env_.after(retry_, [this] { on_retry(); });
  // Silence from the chosen candidate: try the next one.
  if (!outstanding_.empty() && !acked_since_retry_) target_ = (target_ + 1) % candidates_.size();
  acked_since_retry_ = false;
  send_outstanding();
}

void TestSender::on_message(const Message& message) {
  if (message.type == kProposeAck) {
    read_capnp<wire::ProposeAck>(message.payload, [&](wire::ProposeAck::Reader ack) {
      for (auto id : ack.getIds()) {
        const MessageId mid = read_id(id);
        ASSERT_TRUE(journal_.sent.contains(mid)) << "acknowledged a message never sent";
        journal_.acked.insert(mid);
        outstanding_.erase(mid.seq);
        acked_since_retry_ = true;
      }
    }, nullptr);
  } else if (message.type == kNotLeader) {
    ++journal_.not_leader_replies;
    read_capnp<wire::NotLeader>(message.payload, [&](wire::NotLeader::Reader r) {
      const auto it = std::find(candidates_.begin(), candidates_.end(), NodeId{r.getLeader()});
      target_ = it != candidates_.end() ? static_cast<std::size_t>(it - candidates_.begin())
                                        : (target_ + 1) % candidates_.size();
    }, nullptr);
    send_outstanding();
  }
}

Cluster::Cluster(sim::SimOptions options, Topology t, RidgeConfig cfg)
    : topology(std::move(t)), config(std::move(cfg)), sim(options) {
  for (NodeId node : ensemble_nodes()) {
    sim.add_node({.id = node, .make_roles = [this](Env& env) {
                    std::vector<std::unique_ptr<Role>> roles;
                    roles.push_back(std::make_unique<EnsembleTestRole>(env, config, journal));
                    return roles;
                  }});
  }
  sim.add_node({.id = kSender, .make_roles = [this](Env& env) {
                  std::vector<std::unique_ptr<Role>> roles;
                  roles.push_back(std::make_unique<TestSender>(env, topology.candidates, journal, config.sender_retry));
                  return roles;
                }});
}

std::vector<NodeId> Cluster::ensemble_nodes() const {
  std::set<NodeId> nodes(topology.candidates.begin(), topology.candidates.end());
  nodes.insert(topology.acceptors.begin(), topology.acceptors.end());
  nodes.insert(topology.learners.begin(), topology.learners.end());
  return {nodes.begin(), nodes.end()};
}

void Cluster::boot_all() {
  for (NodeId node : ensemble_nodes()) sim.boot(node);
  sim.boot(kSender);
}

EnsembleHost& Cluster::host(NodeId node) {
  return dynamic_cast<EnsembleTestRole&>(*sim.node(node).roles().front()).host();
}

TestSender& Cluster::sender() { return dynamic_cast<TestSender&>(*sim.node(kSender).roles().front()); }

void Cluster::multicast_at(Time when, std::string body) {
  sim.at(when, "multicast " + body, [this, body] { sender().multicast(body); });
}

std::map<MessageId, int> check_learners_agree(const EnsembleJournal& journal) {
  const std::vector<Emitted>* longest = nullptr;
  for (const auto& [node, seq] : journal.emitted) {
    for (std::size_t i = 0; i < seq.size(); ++i) {
      EXPECT_EQ(seq[i].instance, Instance{i}) << "learner " << node.value << " skipped or reordered an instance";
    }
    if (!longest || seq.size() > longest->size()) longest = &seq;
  }
  std::map<MessageId, int> decided;
  if (!longest) return decided;
  for (const auto& [node, seq] : journal.emitted) {
    for (std::size_t i = 0; i < seq.size(); ++i) {
      EXPECT_EQ(seq[i].digest, (*longest)[i].digest) << "learners disagree at instance " << i << " (node " << node.value << ")";
    }
  }
  for (const Emitted& e : *longest) {
    for (const MessageId& id : e.ids) ++decided[id];
  }
  return decided;
}

}  // namespace eyrie::multicast::testing
