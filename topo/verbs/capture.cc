// `topo capture`: libpcap on link ends of a running lab, into one pcapng stream (or a line per
// packet on the terminal).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "netlink/netns.h"
#include "netlink/query.h"
#include "topo/capture/capture.h"
#include "topo/capture/sinks.h"
#include "topo/entry/privileges.h"
#include "topo/model/version.h"
#include "topo/run/journal.h"
#include "topo/run/state.h"
#include "topo/verbs/capture_ends.h"
#include "topo/verbs/lab.h"

namespace topo {

namespace {

constexpr int kOk = 0, kInvalid = 2;

// The running lab's journal, read without its lock (as `topo test` and `topo status` read it): a
// capture is most wanted while another topo works on the lab (`topo run`, a long `up`), and
// must not keep `down` or `up` waiting either. The journal is appended to in whole records.
// Throws when the lab is not running.
JournalState running_lab(const std::string& lab) {
  std::optional<JournalState> s = read_journal(LabPaths::of(kRunDir, lab).journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", lab));
  return *s;
}

// Each end with its namespace open: a node's is checked to be the one the lab made; a host:
// end's interface must still be the lab's (its MAC).
std::vector<capture::CaptureEnd> capture_ends(const JournalState& s, const std::vector<End>& ends) {
  std::map<std::string, const JournalNetns*> netns_of;
  for (const JournalNetns& n : s.netns) netns_of[n.node] = &n;
  std::map<std::string, nl::Netns> opened;
  std::optional<std::vector<nl::LinkState>> root_links;
  std::vector<capture::CaptureEnd> out;
  for (const End& e : ends) {
    capture::CaptureEnd c;
    c.name = e.text();
    c.iface = e.iface;
    if (e.on_host()) {
      if (!root_links) {
        nl::Netns root = nl::Netns::current("");
        root_links = nl::list_links(root);
      }
      std::string mac;
      for (const JournalHostLink& h : s.host_links)
        if (h.iface == e.iface) mac = h.mac;
      bool ours = false;
      for (const nl::LinkState& l : *root_links) ours = ours || (l.name == e.iface && l.mac == mac);
      if (!ours)
        throw std::runtime_error(
            fmt::format("interface {} of the root namespace is gone, or is "
                        "not lab {}'s any more (its MAC is not {})",
                        e.iface, s.header.lab, mac));
      c.description = fmt::format("lab {}: {} in the root namespace", s.header.lab, e.iface);
    } else {
      auto n = netns_of.find(e.node);
      if (n == netns_of.end())
        throw std::runtime_error(
            fmt::format("lab {} has no namespace for node {}", s.header.lab, e.node));
      c.netns = n->second->netns;
      auto it = opened.find(c.netns);
      if (it == opened.end()) {
        it = opened.emplace(c.netns, nl::Netns::open(c.netns)).first;
        if (!n->second->id.matches(it->second.id()))
          throw std::runtime_error(
              fmt::format("netns {} is not the one lab {} created", c.netns, s.header.lab));
      }
      c.netns_fd = it->second.descriptor();
      c.description = fmt::format("lab {}: {} in netns {}", s.header.lab, e.iface, c.netns);
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The output, opened when the capture starts (after every handle is open): nothing is created
// when an end cannot be captured.
class FileSink : public capture::Sink {
 public:
  FileSink(std::string path, bool force, std::string lab)
      : path_(std::move(path)), force_(force), lab_(std::move(lab)) {}
  ~FileSink() override {
    if (file_ && file_ != stdout) std::fclose(file_);
  }
  void start(const std::vector<capture::InterfaceInfo>& ends) override {
    bool to_stdout = path_ == "-";
    if (to_stdout) {
      file_ = stdout;
    } else {
      // "x": never replaces a file that appeared since it was checked, unless --force.
      file_ = std::fopen(path_.c_str(), force_ ? "we" : "wxe");
      if (!file_) throw std::runtime_error(fmt::format("{}: {}", path_, strerror(errno)));
    }
    pcapng_.emplace(file_, to_stdout, "topo " + version_text(), "topo capture of lab " + lab_);
    pcapng_->start(ends);
  }
  void packet(const capture::Packet& p) override { pcapng_->packet(p); }
  void idle() override { pcapng_->idle(); }
  void finish(const std::vector<capture::EndStats>& stats, uint64_t start_ns,
              uint64_t end_ns) override {
    pcapng_->finish(stats, start_ns, end_ns);
    if (file_ != stdout) {
      int rc = std::fclose(file_);
      file_ = nullptr;
      if (rc != 0) throw std::runtime_error(fmt::format("{}: {}", path_, strerror(errno)));
    }
  }

 private:
  std::string path_;
  bool force_;
  std::string lab_;
  std::FILE* file_ = nullptr;
  std::optional<capture::PcapngSink> pcapng_;
};

void report(const std::string& lab, const std::vector<capture::CaptureEnd>& ends,
            const capture::CaptureResult& r) {
  uint64_t written = 0, kernel = 0, topo = 0;
  size_t width = 0;
  for (size_t i = 0; i < ends.size(); i++) {
    written += r.ends[i].written;
    kernel += r.ends[i].kernel_dropped;
    topo += r.ends[i].topo_dropped;
    width = std::max(width, ends[i].name.size());
  }
  double seconds = static_cast<double>(r.end_ns - r.start_ns) / 1e9;
  spdlog::info("capture of lab {}: {} packet{} in {:.1f} s ({})", lab, written,
               written == 1 ? "" : "s", seconds, r.stopped_by);
  for (size_t i = 0; i < ends.size(); i++) {
    const capture::EndStats& e = r.ends[i];
    spdlog::info("  {:<{}}  captured {}, dropped by the kernel {}, by topo {}", ends[i].name, width,
                 e.captured, e.kernel_dropped, e.topo_dropped);
  }
  for (size_t i = 0; i < ends.size(); i++)
    if (!r.ends[i].problem.empty()) spdlog::warn("{}: {}", ends[i].name, r.ends[i].problem);
  if (kernel + topo)
    spdlog::warn(
        "{} packets dropped: {} by the kernel (its buffer was full), {} by topo (the "
        "output fell behind)",
        kernel + topo, kernel, topo);
  if (r.late)
    spdlog::warn(
        "{} packets were read more than the reorder window late: they are out of "
        "timestamp order in the output",
        r.late);
}

}  // namespace

int cmd_capture(const CaptureRequest& request) {
  std::optional<std::string> lab = lab_name_of(request.lab);
  if (!lab) return kInvalid;
  if (!request.filter.empty()) try {
      capture::check_filter(request.filter, request.snaplen);
    } catch (const capture::FilterError& e) {
      throw InvalidInput(e.what());
    }
  struct stat st;
  if (!request.write.empty() && request.write != "-" && !request.force &&
      lstat(request.write.c_str(), &st) == 0)
    throw InvalidInput(fmt::format("{} exists: --force replaces it", request.write));
  require_privileges("capture");
  JournalState s = running_lab(*lab);
  std::vector<capture::CaptureEnd> ends = capture_ends(s, select_ends(*lab, s.veths, request.ends));

  capture::CaptureOptions options;
  options.filter = request.filter;
  options.snaplen = request.snaplen;
  options.count = request.count;
  if (request.duration_us) options.duration = std::chrono::milliseconds(request.duration_us / 1000);
  std::optional<FileSink> file;
  std::optional<capture::TextSink> text;
  capture::Sink* sink;
  if (request.write.empty())
    sink = &text.emplace(stdout);
  else
    sink = &file.emplace(request.write, request.force, *lab);
  spdlog::debug("capturing on {} end{} of lab {}", ends.size(), ends.size() == 1 ? "" : "s", *lab);
  capture::CaptureResult result;
  try {
    result = capture::capture(ends, options, *sink);
  } catch (const capture::FilterError& e) {
    throw InvalidInput(e.what());
  }
  report(*lab, ends, result);
  return kOk;
}

}  // namespace topo
