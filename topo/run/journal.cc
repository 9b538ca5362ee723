#include "topo/run/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlink/error.h"
#include "topo/entry/safe_fs.h"
#include "topo/model/hash.h"

namespace topo {

using nlohmann::json;

namespace {

// The lab of a journal whose header cannot be read: the journal is /run/topo/<lab>/state/journal.
std::string damaged(const std::string& path, std::string lab, size_t line_no) {
  if (lab.empty()) lab = std::filesystem::path(path).parent_path().parent_path().filename();
  return fmt::format(
      "journal {} is damaged at line {}: `topo down --force {}` removes what it still names", path,
      line_no, lab);
}

}  // namespace

JournalWriter JournalWriter::create(const std::string& path, const JournalHeader& h) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) nl::throw_errno("", path, "create journal", errno);
  JournalWriter w(path, std::move(fd));
  json rec = {
      {"t", "lab"},          {"lab", h.lab}, {"prefix", h.prefix},   {"file", h.file},
      {"hash", h.file_hash}, {"pid", h.pid}, {"started", h.started}, {"version", kJournalVersion}};
  w.write_lines(rec.dump() + "\n");
  return w;
}

void JournalWriter::write_lines(const std::string& lines) const {
  // One write per batch: O_APPEND keeps it whole; a kill can only tear the last line.
  size_t done = 0;
  while (done < lines.size()) {
    ssize_t n = ::write(fd_.get(), lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) nl::throw_errno("", path_, "append to journal", errno);
    done += static_cast<size_t>(n);
  }
}

void JournalWriter::netns(const std::vector<JournalNetns>& batch) {
  std::string lines;
  for (const JournalNetns& n : batch)
    lines +=
        json{{"t", "netns"}, {"netns", n.netns}, {"node", n.node}, {"kind", n.kind}}.dump() + "\n";
  write_lines(lines);
}

namespace {

std::string netns_id_line(const std::string& netns, const nl::NetnsId& id) {
  return json{{"t", "netns-id"},
              {"netns", netns},
              {"cookie", id.cookie},
              {"dev", id.dev},
              {"ino", id.inode}}
             .dump() +
         "\n";
}

// Version 1 recorded the inode alone ("id"); version 2 the cookie, device and inode.
nl::NetnsId netns_id_of(const json& rec) {
  if (!rec.contains("ino")) return {0, 0, rec.value("id", uint64_t{0})};
  return {rec.value("cookie", uint64_t{0}), rec.value("dev", uint64_t{0}),
          rec.value("ino", uint64_t{0})};
}

}  // namespace

void JournalWriter::netns_id(const std::string& netns, const nl::NetnsId& id) const {
  write_lines(netns_id_line(netns, id));
}

void JournalWriter::veths(const std::vector<JournalVeth>& batch,
                          const std::vector<JournalHostLink>& host) {
  std::string lines;
  for (const JournalHostLink& h : host)
    lines += json{{"t", "host-link"}, {"iface", h.iface}, {"mac", h.mac}}.dump() + "\n";
  for (const JournalVeth& v : batch)
    lines += json{{"t", "veth"}, {"a", v.a}, {"b", v.b}}.dump() + "\n";
  write_lines(lines);
}

void JournalWriter::etc_links(const std::vector<std::string>& netns, bool dir_exists) {
  std::string lines;
  if (!dir_exists) lines += json{{"t", "etc-dir"}}.dump() + "\n";
  for (const std::string& n : netns) lines += json{{"t", "etc-link"}, {"netns", n}}.dump() + "\n";
  write_lines(lines);
}

void JournalWriter::daemon(const JournalDaemon& d) {
  write_lines(json{{"t", "daemon"}, {"node", d.node}, {"name", d.name}, {"pid", d.pid}}.dump() +
              "\n");
}

void JournalWriter::impairment(const std::string& end, const std::string& text) {
  write_lines(json{{"t", "impair"}, {"end", end}, {"text", text}}.dump() + "\n");
}

void JournalWriter::link_state(const std::string& end, bool up) {
  write_lines(json{{"t", "link-state"}, {"end", end}, {"up", up}}.dump() + "\n");
}

void JournalWriter::netns_gone(const std::string& netns) {
  write_lines(json{{"t", "netns-gone"}, {"netns", netns}}.dump() + "\n");
}

void JournalWriter::veth_gone(const std::string& a, const std::string& b) {
  write_lines(json{{"t", "veth-gone"}, {"a", a}, {"b", b}}.dump() + "\n");
}

void JournalWriter::host_link_gone(const std::string& iface) {
  write_lines(json{{"t", "host-link-gone"}, {"iface", iface}}.dump() + "\n");
}

void JournalWriter::etc_link_gone(const std::string& netns) {
  write_lines(json{{"t", "etc-link-gone"}, {"netns", netns}}.dump() + "\n");
}

void JournalWriter::daemon_gone(const std::string& node, const std::string& name) {
  write_lines(json{{"t", "daemon-gone"}, {"node", node}, {"name", name}}.dump() + "\n");
}

void JournalWriter::rewrite(const std::string& path, const JournalState& s) {
  std::string next = path + ".next";
  ::unlink(next.c_str());
  {
    JournalWriter w = create(next, s.header);
    w.netns(s.netns);
    std::string ids;
    for (const JournalNetns& n : s.netns)
      if (n.id.known()) ids += netns_id_line(n.netns, n.id);
    if (!ids.empty()) w.write_lines(ids);
    w.veths(s.veths, s.host_links);
    if (s.etc_dir_made || !s.etc_links.empty()) w.etc_links(s.etc_links, !s.etc_dir_made);
    for (const JournalDaemon& d : s.daemons) w.daemon(d);
    for (const auto& [end, text] : s.impairments)
      if (!text.empty()) w.impairment(end, text);
    for (const auto& [end, up] : s.link_states) w.link_state(end, up);
    if (s.complete) w.complete(s.nodes, s.links);
    if (fsync(w.fd_.get()) != 0) nl::throw_errno("", next, "write journal", errno);
  }
  if (::rename(next.c_str(), path.c_str()) != 0)
    nl::throw_errno("", path, "replace journal", errno);
}

JournalWriter JournalWriter::append_to(const std::string& path) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) nl::throw_errno("", path, "open journal", errno);
  return JournalWriter(path, std::move(fd));
}

void JournalWriter::complete(size_t nodes, size_t links) {
  write_lines(json{{"t", "complete"}, {"nodes", nodes}, {"links", links}}.dump() + "\n");
}

std::optional<JournalState> read_journal(const std::string& path,
                                         std::vector<size_t>* damaged_lines) {
  std::optional<std::string> text = read_file(path);
  if (!text) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error(
        fmt::format("cannot read journal {}: {}", path, nl::errno_text(errno)));
  }
  std::istringstream in(*text);
  JournalState s;
  std::unordered_map<std::string, size_t> netns_index;
  bool header = false;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    line_no++;
    json rec = json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A kill inside the last write leaves a torn line; nothing after it can exist.
    if (rec.is_discarded() || !rec.is_object() || !rec.contains("t")) {
      if (in.peek() == EOF) break;
      if (!damaged_lines) throw std::runtime_error(damaged(path, s.header.lab, line_no));
      damaged_lines->push_back(line_no);
      continue;
    }
    const std::string t = rec.value("t", "");
    if (t == "lab") {
      if (int version = rec.value("version", 1); version > kJournalVersion)
        throw std::runtime_error(fmt::format(
            "journal {} was written by a newer topo (journal version {}; this one reads up to {})",
            path, version, kJournalVersion));
      s.header = {rec.value("lab", ""),         rec.value("prefix", ""),
                  rec.value("file", ""),        rec.value("hash", ""),
                  rec.value("pid", int64_t{0}), rec.value("started", int64_t{0})};
      header = true;
    } else if (t == "netns") {
      // Made again (a changed lab, or one whose namespace was lost): the newest record counts.
      JournalNetns n{rec.value("netns", ""), rec.value("node", ""), {}, rec.value("kind", "")};
      auto it = netns_index.find(n.netns);
      if (it != netns_index.end()) {
        s.netns[it->second] = n;
      } else {
        netns_index[n.netns] = s.netns.size();
        s.netns.push_back(n);
      }
    } else if (t == "netns-gone") {
      auto it = netns_index.find(rec.value("netns", ""));
      if (it != netns_index.end()) {
        s.netns.erase(s.netns.begin() + static_cast<long>(it->second));
        netns_index.clear();
        for (size_t i = 0; i < s.netns.size(); i++) netns_index[s.netns[i].netns] = i;
      }
    } else if (t == "veth-gone") {
      std::erase_if(s.veths, [&](const JournalVeth& v) {
        return v.a == rec.value("a", "") && v.b == rec.value("b", "");
      });
    } else if (t == "host-link-gone") {
      std::erase_if(s.host_links,
                    [&](const JournalHostLink& h) { return h.iface == rec.value("iface", ""); });
    } else if (t == "etc-link-gone") {
      std::erase(s.etc_links, rec.value("netns", ""));
    } else if (t == "daemon-gone") {
      std::erase_if(s.daemons, [&](const JournalDaemon& d) {
        return d.node == rec.value("node", "") && d.name == rec.value("name", "");
      });
    } else if (t == "netns-id") {
      auto it = netns_index.find(rec.value("netns", ""));
      if (it != netns_index.end()) s.netns[it->second].id = netns_id_of(rec);
    } else if (t == "veth") {
      JournalVeth v{rec.value("a", ""), rec.value("b", "")};
      std::erase_if(s.veths, [&](const JournalVeth& o) { return o.a == v.a && o.b == v.b; });
      s.veths.push_back(v);
    } else if (t == "host-link") {
      JournalHostLink h{rec.value("iface", ""), rec.value("mac", "")};
      std::erase_if(s.host_links, [&](const JournalHostLink& o) { return o.iface == h.iface; });
      s.host_links.push_back(h);
    } else if (t == "etc-dir") {
      s.etc_dir_made = true;
    } else if (t == "etc-link") {
      std::string netns = rec.value("netns", "");
      if (std::find(s.etc_links.begin(), s.etc_links.end(), netns) == s.etc_links.end())
        s.etc_links.push_back(netns);
    } else if (t == "daemon") {
      JournalDaemon d{rec.value("node", ""), rec.value("name", ""), rec.value("pid", int64_t{0})};
      // Restarted: the newest pid counts.
      std::erase_if(s.daemons,
                    [&](const JournalDaemon& o) { return o.node == d.node && o.name == d.name; });
      s.daemons.push_back(d);
    } else if (t == "impair") {
      s.impairments[rec.value("end", "")] = rec.value("text", "");
    } else if (t == "link-state") {
      s.link_states[rec.value("end", "")] = rec.value("up", true);
    } else if (t == "complete") {
      s.complete = true;
      s.nodes = rec.value("nodes", size_t{0});
      s.links = rec.value("links", size_t{0});
    }
  }
  if (!header) {
    // Killed before the header reached the file: nothing was created yet.
    if (line_no == 0 || (s.netns.empty() && s.host_links.empty())) return JournalState{};
    if (damaged_lines) return s;  // what it names is removed all the same
    throw std::runtime_error(damaged(path, s.header.lab, 1));
  }
  return s;
}

}  // namespace topo
