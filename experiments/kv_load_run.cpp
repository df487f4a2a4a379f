#include "experiments/kv_load_run.hpp"

#include <algorithm>

#include "experiments/load_endpoint.hpp"
#include "runtime/net/event_loop.hpp"

namespace eyrie::experiments {

// What one client thread leaves behind.
struct KvLoadRun::Slot {
  KvLoadCounts counts;
  std::unique_ptr<check::kv::KvRecorder> recorder;
  std::size_t read_back_unanswered = 0;
  NodeId id;
  std::string error;
};

KvLoadRun::KvLoadRun(const KvCluster& cluster, const KvWorkload& workload, KvLoadRunOptions options)
    : cluster_(cluster),
      workload_(workload),
      options_(options),
      measure_from_(net::EventLoop::now() + options.warmup),
      measure_until_(measure_from_ + options.measured),
      drained_(static_cast<std::ptrdiff_t>(options.clients)) {
  for (std::size_t i = 0; i < options_.clients; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->id = net::random_external_id();
    if (options_.record_history) {
      slot->recorder = std::make_unique<check::kv::KvRecorder>(std::max<std::size_t>(options_.history_operations_max / options_.clients, 1));
    }
    slots_.push_back(std::move(slot));
  }
  for (std::size_t i = 0; i < options_.clients; ++i) threads_.emplace_back([this, i] { run_client(i); });
}

KvLoadRun::~KvLoadRun() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void KvLoadRun::run_client(std::size_t index) {
  Slot& slot = *slots_[index];
  bool arrived = false;
  try {
    const KvLoadOptions load_options{
        .workload = &workload_,
        .seed = options_.seed * 1'000'003 + index,
        .client = {.window_max = options_.window, .retry_after = options_.retry_after, .timeout = options_.timeout, .sender = {}},
        .stop_at = measure_until_,
        .measure_from = measure_from_,
        .measure_until = measure_until_,
        .recorder = slot.recorder.get(),
    };
    Endpoint<KvLoad> endpoint =
        start_endpoint<KvLoad>(cluster_.config, {.id = slot.id, .log_level = options_.log_level}, [&](Env& env) {
          return std::make_unique<KvLoad>(env, cluster_.ridge, cluster_.ssmr, *cluster_.oracle, load_options);
        });
    KvLoad& load = *endpoint.role;
    // Every command ends by the client's timeout; the margin covers its timer's period.
    const Duration margin = options_.timeout + options_.retry_after + std::chrono::seconds(1);
    endpoint.host->run_until([&] { return load.idle(); }, (measure_until_ - net::EventLoop::now()) + margin);
    arrived = true;
    drained_.arrive_and_wait();
    if (options_.read_back) {
      std::vector<std::string> mine;
      const std::vector<std::string>& keys = workload_.keys();
      for (std::size_t k = index; k < keys.size(); k += options_.clients) mine.push_back(keys[k]);
      load.read_back(mine);
      endpoint.host->run_until([&] { return load.idle(); }, margin);
    }
    slot.counts = load.counts();
    slot.read_back_unanswered = load.read_back_unanswered();
  } catch (const std::exception& e) {
    slot.error = e.what();
    if (!arrived) drained_.arrive_and_drop();
  }
}

KvLoadReport KvLoadRun::wait() {
  for (std::thread& t : threads_) t.join();
  KvLoadReport report;
  report.measured_seconds = std::chrono::duration<double>(options_.measured).count();
  report.read_back_keys = options_.read_back ? workload_.keys().size() : 0;
  for (const auto& slot : slots_) {
    report.counts.merge(slot->counts);
    report.read_back_unanswered += slot->read_back_unanswered;
    report.client_ids.push_back(slot->id);
    if (report.error.empty()) report.error = slot->error;
    if (slot->recorder) {
      const auto& ops = slot->recorder->operations();
      report.history.insert(report.history.end(), ops.begin(), ops.end());
      report.history_overflowed |= slot->recorder->overflowed();
    }
  }
  return report;
}

}  // namespace eyrie::experiments
