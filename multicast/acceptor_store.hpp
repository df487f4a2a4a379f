#pragma once
// AcceptorStore: the durable part of an acceptor (its promise, votes and decided markers) as
// keys of the node's Storage. Writes take effect at once; the acceptor decides when to sync
// (runtime/storage.hpp). Keys carry the ensemble id, so acceptors of several ensembles share a
// node's storage, and instances as fixed-width hex, so a prefix scan returns them in order.
//
//   ridge/acc/<ensemble>/promised          round, 8 bytes little-endian
//   ridge/acc/<ensemble>/trimmed           instance below which everything was dropped
//   ridge/acc/<ensemble>/vote/<instance>   Cap'n Proto Vote (round, value)
//   ridge/acc/<ensemble>/dec/<instance>    round of the decided vote (no sync needed: a lost
//                                          marker only makes the acceptor less helpful to Fetch)

#include <map>
#include <string>

#include "multicast/types.hpp"
#include "runtime/storage.hpp"

namespace eyrie::multicast {

struct StoredVote {
  Round round;
  Batch value;
  bool decided = false;
};

struct StoredAcceptorState {
  Round promised;
  Instance trimmed_below;
  std::map<Instance, StoredVote> votes;
};

class AcceptorStore {
 public:
  AcceptorStore(Storage& storage, EnsembleId ensemble);

  // Throws std::runtime_error on a record that does not decode: the node must not start with
  // a promise or vote it cannot read.
  StoredAcceptorState load() const;

  void save_promise(Round round);
  void save_vote(Instance instance, Round round, const Batch& value);
  void save_decided(Instance instance, Round round);
  void save_trimmed(Instance below);
  void erase_instance(Instance instance);

 private:
  std::string vote_key(Instance instance) const;
  std::string decided_key(Instance instance) const;

  Storage& storage_;
  std::string prefix_;
};

}  // namespace eyrie::multicast
