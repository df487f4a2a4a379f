@0xd2e1b4c3a5f60718;
# The runtime's own messages (message_types::kRuntime): the stats request and its response,
# used by `eyrie cluster status` through StatsProbe (runtime/net/stats_roles.hpp).

struct StatsRequest {
  seq @0 :UInt64;          # chosen by the prober, echoed in the response
}

struct StatsResponse {
  seq @0 :UInt64;          # the request's
  node @1 :UInt64;         # the answering node's id
  uptimeNs @2 :Int64;      # time since the node's runtime started
  metricsJson @3 :Text;    # Metrics::to_json() of the answering node
}
