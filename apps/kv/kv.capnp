@0xe3a1c58b90d2f467;
# The kv example service's requests and responses (apps/kv, docs/ssmr.md tutorial).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::kv::wire");

struct Entry {
  key @0 :Data;
  value @1 :Data;
}

struct Request {
  union {
    get @0 :Data;                       # key
    put @1 :Entry;
    cas :group {                        # compare-and-set
      key @2 :Data;
      expectPresent @3 :Bool;           # false: succeed only if the key is absent
      expected @4 :Data;
      value @5 :Data;
    }
    transfer :group {                   # move `amount` between two decimal int64 balances
      from @6 :Data;
      to @7 :Data;
      amount @8 :Int64;
    }
    putMany @9 :List(Entry);            # blind multi-key write (full overwrites)
  }
}

struct Response {
  union {
    value :group {                      # get
      present @0 :Bool;
      value @1 :Data;
    }
    ok @2 :Void;                        # put, put_many, cas and transfer that applied
    casMismatch :group {                # cas that did not apply: the current value
      present @3 :Bool;
      value @4 :Data;
    }
    insufficient @5 :Int64;             # transfer that did not apply: the source balance
  }
}
