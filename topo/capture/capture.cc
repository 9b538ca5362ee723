#include "topo/capture/capture.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "netlink/netns.h"

namespace topo::capture {

namespace {

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using Pcap = std::unique_ptr<pcap_t, PcapClose>;

// Compiles `filter` for handle `p` into a program it keeps; FilterError otherwise.
void set_filter(pcap_t* p, const std::string& filter, bool install) {
  bpf_program program;
  if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    throw FilterError(fmt::format("filter `{}`: {}", filter, pcap_geterr(p)));
  int rc = install ? pcap_setfilter(p, &program) : 0;
  pcap_freecode(&program);
  if (rc != 0) throw FilterError(fmt::format("filter `{}`: {}", filter, pcap_geterr(p)));
}

std::string where(const CaptureEnd& e) {
  return fmt::format("capture on {} (interface {} in {})", e.name, e.iface,
                     e.netns.empty() ? "the root namespace" : "netns " + e.netns);
}

// pcap_activate's status as text, with the handle's own message when it has one.
std::string status_text(pcap_t* p, int status) {
  std::string message = pcap_geterr(p);
  std::string text = pcap_statustostr(status);
  return message.empty() ? text : text + ": " + message;
}

// Opens the handle of one end. Called on a thread of its own: it enters the end's namespace for
// the time it takes to activate the handle (its packet socket is bound to the interface there,
// and stays bound after the thread leaves).
Pcap open_handle(const CaptureEnd& e, const CaptureOptions& o) {
  std::optional<nl::NetnsGuard> inside;
  if (e.netns_fd.valid()) inside.emplace(e.netns_fd.get(), e.netns);
  char error[PCAP_ERRBUF_SIZE] = "";
  Pcap p(pcap_create(e.iface.c_str(), error));
  if (!p) throw std::runtime_error(fmt::format("{}: {}", where(e), error));
  pcap_set_snaplen(p.get(), o.snaplen);
  // Each packet as it comes (no batching into blocks, which would delay it past the window).
  pcap_set_immediate_mode(p.get(), 1);
  pcap_set_tstamp_precision(p.get(), PCAP_TSTAMP_PRECISION_NANO);
  pcap_set_buffer_size(p.get(), o.buffer_bytes);
  int status = pcap_activate(p.get());
  // A packet socket cannot be bound to an interface that is down (ENETDOWN): the end stays in
  // the output, with no packets, rather than failing the whole capture.
  if (status == PCAP_ERROR_IFACE_NOT_UP) return nullptr;
  if (status < 0)
    throw std::runtime_error(fmt::format("{}: {}", where(e), status_text(p.get(), status)));
  if (pcap_setdirection(p.get(), PCAP_D_INOUT) != 0)
    throw std::runtime_error(fmt::format("{}: direction: {}", where(e), pcap_geterr(p.get())));
  if (!o.filter.empty()) set_filter(p.get(), o.filter, true);
  if (pcap_setnonblock(p.get(), 1, error) != 0)
    throw std::runtime_error(fmt::format("{}: non-blocking: {}", where(e), error));
  return p;
}

// Every end's handle, opened on one thread of its own (never the main thread: only it switches
// namespaces). Any failure: none is kept.
std::vector<Pcap> open_handles(const std::vector<CaptureEnd>& ends, const CaptureOptions& o) {
  std::vector<Pcap> handles;
  std::exception_ptr error;
  std::thread opener([&] {
    try {
      for (const CaptureEnd& e : ends) handles.push_back(open_handle(e, o));
    } catch (...) {
      error = std::current_exception();
    }
  });
  opener.join();
  if (error) std::rethrow_exception(error);
  return handles;
}

// SIGINT and SIGTERM, for the time of a capture, write to a pipe the reading loop polls.
std::atomic<int> g_wake_fd{-1};
std::atomic<bool> g_signalled{false};

void on_signal(int) {
  g_signalled = true;
  int fd = g_wake_fd.load();
  if (fd >= 0) {
    char c = 's';
    [[maybe_unused]] ssize_t n = write(fd, &c, 1);
  }
}

class StopSignals {
 public:
  StopSignals() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
      throw std::runtime_error(fmt::format("pipe: {}", strerror(errno)));
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    g_signalled = false;
    g_wake_fd = write_.get();
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    // A write blocked on a slow reader goes on (no EINTR): the handler's wake-up is what counts.
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    // A reader that goes away (`| head`) is a write error (EPIPE), not the end of topo.
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    g_wake_fd = -1;
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int fd() const { return read_.get(); }
  void wake() const {
    char c = 'w';
    [[maybe_unused]] ssize_t n = write(write_.get(), &c, 1);
  }
  bool signalled() const { return g_signalled; }

 private:
  nl::Fd read_, write_;
  struct sigaction old_int_ = {}, old_term_ = {}, old_pipe_ = {};
};

// What the packet callback needs: where packets go, and whose they are.
struct Reading {
  PacketQueue* queue;
  uint32_t end;
  EndStats* stats;
};

void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  Reading& r = *reinterpret_cast<Reading*>(user);
  Packet p;
  p.end = r.end;
  // With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds.
  p.timestamp_ns = static_cast<uint64_t>(header->ts.tv_sec) * 1000000000u +
                   static_cast<uint64_t>(header->ts.tv_usec);
  p.length = header->len;
  p.data.assign(bytes, bytes + header->caplen);
  r.stats->captured++;
  if (!r.queue->push(p)) r.stats->topo_dropped++;
}

// The writing thread: packets out of the queue, oldest first, into the sink, until the queue
// is closed and empty; tells the reading loop (`stop`) when `count` is reached or the sink's
// output is closed.
struct Writer {
  PacketQueue& queue;
  Sink& sink;
  uint64_t count;
  std::vector<uint64_t> written;
  std::atomic<bool>& stop;
  const StopSignals& wake;
  std::string stopped_by;  // read after join
  std::exception_ptr error;

  void run() {
    uint64_t total = 0;
    bool open = true;
    while (!queue.finished()) {
      std::optional<Packet> p = queue.pop(10'000'000);
      if ((p && !open) || (count && total >= count)) continue;
      try {
        if (!p) {
          if (open) sink.idle();
          continue;
        }
        sink.packet(*p);
      } catch (const OutputClosed&) {
        open = false;
        halt("output closed");
        continue;
      } catch (...) {
        open = false;
        error = std::current_exception();
        halt("error");
        continue;
      }
      written[p->end]++;
      if (count && ++total == count) halt("count");
    }
  }
  void halt(const char* why) {
    if (stopped_by.empty()) stopped_by = why;
    stop = true;
    wake.wake();
  }
};

// Reads every handle as its socket has packets, until a signal, the writer or `deadline` says
// to stop.
std::string read_until_stopped(std::vector<Pcap>& handles, std::vector<Reading>& readings,
                               const StopSignals& signals, const std::atomic<bool>& stop,
                               std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::vector<pollfd> fds;
  for (Pcap& p : handles) fds.push_back({p ? pcap_get_selectable_fd(p.get()) : -1, POLLIN, 0});
  fds.push_back({signals.fd(), POLLIN, 0});
  while (true) {
    int timeout = 100;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline -
                                                               std::chrono::steady_clock::now());
      if (left.count() <= 0) return "duration";
      timeout = static_cast<int>(std::min<int64_t>(timeout, left.count()));
    }
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR)
      throw std::runtime_error(fmt::format("poll: {}", strerror(errno)));
    if (signals.signalled()) return "signal";
    if (stop) return "";  // the writer's reason
    for (size_t i = 0; i + 1 < fds.size(); i++) {
      if (!fds[i].revents) continue;
      // Non-blocking: what the ring holds now, in batches so that no end starves the others.
      int n =
          pcap_dispatch(handles[i].get(), 256, on_packet, reinterpret_cast<u_char*>(&readings[i]));
      if (n < 0) {  // the interface went away (its node was removed): that end is done
        readings[i].stats->problem = pcap_geterr(handles[i].get());
        fds[i].fd = -1;
      }
    }
    char drain[64];
    while (read(signals.fd(), drain, sizeof(drain)) > 0) {
    }
  }
}

}  // namespace

void check_filter(const std::string& filter, int snaplen) {
  Pcap dead(pcap_open_dead(DLT_EN10MB, snaplen));
  if (!dead) throw std::runtime_error("pcap_open_dead failed");
  set_filter(dead.get(), filter, false);
}

CaptureResult capture(std::vector<CaptureEnd>& ends, const CaptureOptions& options, Sink& sink) {
  std::vector<Pcap> handles = open_handles(ends, options);
  // Nothing of the namespaces is needed any more: each handle's socket holds its own.
  for (CaptureEnd& e : ends) e.netns_fd.reset();

  std::vector<InterfaceInfo> infos;
  CaptureResult result;
  result.ends.resize(ends.size());
  for (size_t i = 0; i < ends.size(); i++) {
    pcap_t* p = handles[i].get();
    infos.push_back({ends[i].name, ends[i].description, options.filter,
                     static_cast<uint16_t>(p ? pcap_datalink(p) : DLT_EN10MB),
                     static_cast<uint32_t>(p ? pcap_snapshot(p) : options.snaplen)});
    if (!p) result.ends[i].problem = "the interface is down: not captured";
  }
  std::vector<Reading> readings;
  PacketQueue queue(options.queue_bytes, options.window_ns);
  for (size_t i = 0; i < ends.size(); i++)
    readings.push_back({&queue, static_cast<uint32_t>(i), &result.ends[i]});

  StopSignals signals;
  sink.start(infos);
  result.start_ns = realtime_ns();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (options.duration) deadline = std::chrono::steady_clock::now() + *options.duration;
  std::atomic<bool> stop{false};
  Writer writer{queue,   sink, options.count, std::vector<uint64_t>(ends.size()), stop,
                signals, "",   nullptr};
  std::thread writing([&] { writer.run(); });
  std::string stopped_by;
  std::exception_ptr error;
  try {
    stopped_by = read_until_stopped(handles, readings, signals, stop, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  queue.close();
  writing.join();
  result.end_ns = realtime_ns();
  if (error) std::rethrow_exception(error);
  if (writer.error) std::rethrow_exception(writer.error);
  result.stopped_by = stopped_by.empty() ? writer.stopped_by : stopped_by;
  for (size_t i = 0; i < ends.size(); i++) {
    pcap_stat s;
    if (handles[i] && pcap_stats(handles[i].get(), &s) == 0)
      result.ends[i].kernel_dropped = s.ps_drop;
    result.ends[i].written = writer.written[i];
  }
  result.late = queue.late();
  if (result.stopped_by != "output closed")
    sink.finish(result.ends, result.start_ns, result.end_ns);
  return result;
}

}  // namespace topo::capture
