#include "topo/language/node_files.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "topo/language/loader.h"

namespace topo {

namespace fs = std::filesystem;

namespace {

// What all files read from disk may add up to, for one lab: it is kept in the journal.
constexpr uintmax_t kDiskBytes = 16 << 20;

// Paths no mount may cover: the node would lose what it runs on, or topo what it keeps.
constexpr const char* kForbiddenTargets[] = {"/proc", "/sys", "/dev", "/run/netns", "/run/topo"};

bool is_under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         (dir == "/" || path[dir.size()] == '/'));
}

// "" when `path` is an absolute path written plainly: no empty, `.` or `..` component, no
// trailing slash.
std::string absolute_path_problem(const std::string& path) {
  if (path.empty() || path[0] != '/') return fmt::format("`{}` is not an absolute path", path);
  if (path.size() > 1 && path.back() == '/')
    return fmt::format("write `{}` without the trailing `/`", path);
  std::istringstream parts(path.substr(1));
  for (std::string part; std::getline(parts, part, '/');)
    if (part.empty() || part == "." || part == "..")
      return fmt::format("`{}` has an empty, `.` or `..` component: write it plainly", path);
  return "";
}

std::string owner_problem(const std::string& owner) {
  std::string user = owner.substr(0, owner.find(':'));
  std::string group = owner.find(':') == std::string::npos ? "" : owner.substr(owner.find(':') + 1);
  if (user.empty() || !getpwnam(user.c_str()))
    return fmt::format(
        "there is no user `{}` on this machine (is the package that makes it "
        "installed?)",
        user);
  if (owner.find(':') != std::string::npos && (group.empty() || !getgrnam(group.c_str())))
    return fmt::format("there is no group `{}` on this machine", group);
  return "";
}

// A path `from:` or a relative `bind:` names, below the lab's directory. nullopt, with `error`
// set, when it does not exist or leads out of that directory.
std::optional<fs::path> lab_path(const Topology& t, const std::string& written,
                                 std::string& error) {
  if (!written.empty() && written[0] == '/') {
    error = fmt::format("`{}`: a file's `from` is relative to the lab file's directory ({})",
                        written, t.dir);
    return std::nullopt;
  }
  std::error_code ec;
  fs::path dir = fs::canonical(t.dir, ec);
  fs::path path = fs::canonical(fs::path(t.dir) / written, ec);
  if (ec) {
    error = fmt::format("`{}` does not exist in {}", written, t.dir);
    return std::nullopt;
  }
  if (!is_under(path.string(), dir.string())) {
    error = fmt::format(
        "`{}` leads out of the lab file's directory ({}): a lab reads only "
        "what is in its folder",
        written, dir.string());
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool executable(const fs::path& path) {
  std::error_code ec;
  return (fs::status(path, ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
}

std::map<std::string, std::string> template_values(const Topology& t, const Node& n) {
  std::map<std::string, std::string> values = {
      {"node", n.name}, {"lab", t.name}, {"netns", t.netns_of(n.name)}};
  for (const nl::IpPrefix& a : n.loopback) {
    std::string key = a.is_v6() ? "loopback6" : "loopback";
    if (!values.count(key)) values[key] = a.address_text();
  }
  for (const Setting& e : n.env) values["env." + e.key] = e.value;
  return values;
}

class Completer {
 public:
  Completer(Topology& t, Diagnostics& d, Disk disk) : t_(t), d_(d), disk_(disk) {}

  void run() {
    for (Node& n : t_.nodes) {
      std::map<std::string, std::string> values = template_values(t_, n);
      std::vector<NodeFile> files;
      for (NodeFile& f : n.files) complete(n, values, f, files);
      n.files = std::move(files);
    }
  }

 private:
  Topology& t_;
  Diagnostics& d_;
  Disk disk_;
  uintmax_t read_bytes_ = 0;

  std::optional<std::string> expand(const std::string& text,
                                    const std::map<std::string, std::string>& values,
                                    const NodeFile& f, const char* what) {
    std::string error;
    std::optional<std::string> out = expand_template(text, values, error);
    if (!out) d_.error(f.pos, fmt::format("{} of file `{}`: {}", what, f.name, error));
    return out;
  }

  void complete(const Node& n, const std::map<std::string, std::string>& values, NodeFile& f,
                std::vector<NodeFile>& out) {
    if (f.from.empty()) {
      if (!f.text && disk_ == Disk::read && looks_like_a_path(f.content)) {
        d_.error(f.pos, fmt::format("the content of file `{}` is `{}`, which names a file: write "
                                    "{{from: {}}} to copy that file, or {{text: ...}} (or end "
                                    "the text with a newline) to write these words",
                                    f.name, f.content, f.content));
        return;
      }
      if (auto text = expand(f.content, values, f, "the content")) {
        f.content = *text;
        out.push_back(std::move(f));
      }
      return;
    }
    std::optional<std::string> from = expand(f.from, values, f, "`from`");
    if (!from) return;
    f.from = *from;
    if (disk_ == Disk::skip) {
      out.push_back(std::move(f));
      return;
    }
    std::string error;
    std::optional<fs::path> path = lab_path(t_, f.from, error);
    if (!path) {
      d_.error(f.pos, error);
      return;
    }
    std::error_code ec;
    if (!fs::is_directory(*path, ec)) {
      read_one(values, f, *path, f.name, out);
      return;
    }
    if (f.name[0] != '/' || !private_dir_of(n, f.name)) {
      d_.error(f.pos, fmt::format("`{}` is a directory: it can be copied only to a path in a "
                                  "directory of the node's own (`mounts`)",
                                  f.from));
      return;
    }
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(*path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec) || it->is_symlink(ec)) found.push_back(it->path());
    std::sort(found.begin(), found.end());
    for (const fs::path& p : found) {
      std::string rel = fs::relative(p, *path, ec).string();
      if (!lab_path(t_, fs::relative(p, t_.dir, ec).string(), error)) {
        d_.error(f.pos, fmt::format("{}/{}: {}", f.from, rel, error));
        continue;
      }
      read_one(values, f, p, f.name + "/" + rel, out);
    }
  }

  void read_one(const std::map<std::string, std::string>& values, const NodeFile& f,
                const fs::path& path, const std::string& name, std::vector<NodeFile>& out) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      d_.error(f.pos, fmt::format("`{}` is not a regular file", path.string()));
      return;
    }
    read_bytes_ += fs::file_size(path, ec);
    if (read_bytes_ > kDiskBytes) {
      d_.error(f.pos, fmt::format("the lab's files from disk come to more than {} MiB with `{}`",
                                  kDiskBytes >> 20, path.string()));
      return;
    }
    std::optional<std::string> text = read_whole(path);
    if (!text) {
      d_.error(f.pos, fmt::format("cannot read `{}`", path.string()));
      return;
    }
    if (!is_utf8(*text)) {
      d_.error(f.pos, fmt::format("`{}` is not UTF-8 text: a lab's files are kept in its journal, "
                                  "which is text",
                                  path.string()));
      return;
    }
    NodeFile copy = f;
    copy.name = name;
    copy.executable = executable(path);
    if (auto expanded = expand(*text, values, copy, fmt::format("`{}`", path.string()).c_str())) {
      copy.content = *expanded;
      out.push_back(std::move(copy));
    }
  }

  // One line that names something beside the lab file, or an absolute path that exists: most
  // likely meant as `from:`.
  bool looks_like_a_path(const std::string& text) const {
    if (text.empty() || text.find('\n') != std::string::npos || text.size() > 4096) return false;
    if (text.find('/') == std::string::npos && text.find('.') == std::string::npos) return false;
    std::error_code ec;
    fs::path p = text[0] == '/' ? fs::path(text) : fs::path(t_.dir) / text;
    return fs::exists(p, ec);
  }
};

}  // namespace

const Mount* private_dir_of(const Node& n, const std::string& path) {
  const Mount* best = nullptr;
  for (const Mount& m : n.mounts)
    if (m.kind == Mount::Kind::private_dir && is_under(path, m.target) &&
        (!best || m.target.size() > best->target.size()))
      best = &m;
  return best;
}

std::optional<std::string> expand_template(const std::string& text,
                                           const std::map<std::string, std::string>& values,
                                           std::string& error) {
  std::string out;
  size_t at = 0;
  for (size_t open; (open = text.find("{{", at)) != std::string::npos;) {
    out.append(text, at, open - at);
    size_t line = std::count(text.begin(), text.begin() + open, '\n') + 1;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      error = fmt::format(
          "line {}: `{{{{` is never closed (write {{{{ '{{{{' }}}} for a "
          "literal `{{{{`)",
          line);
      return std::nullopt;
    }
    std::string name = text.substr(open + 2, close - open - 2);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name.size() >= 2 && (name[0] == '\'' || name[0] == '"') && name.back() == name[0]) {
      out += name.substr(1, name.size() - 2);
    } else if (auto v = values.find(name); v != values.end()) {
      out += v->second;
    } else {
      std::vector<std::string> known;
      for (const auto& [k, unused] : values) known.push_back(k);
      error = fmt::format("line {}: there is no `{{{{{}}}}}` for this node (it has: {})", line,
                          name, fmt::join(known, ", "));
      return std::nullopt;
    }
    at = close + 2;
  }
  out.append(text, at);
  return out;
}

std::string resolved_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

void check_node_files(const Topology& t, const Node& n, Diagnostics& d, Disk disk) {
  // A mount inside another would be mounted through a directory a daemon's user may own (and
  // plant a symlink in): refused.
  for (const Mount& m : n.mounts)
    for (const Mount& outer : n.mounts)
      if (&m != &outer && absolute_path_problem(m.target).empty() &&
          absolute_path_problem(outer.target).empty() &&
          is_under(resolved_path(m.target), resolved_path(outer.target)))
        d.error(m.pos, fmt::format("mount {} is inside mount {}: mounts cannot be nested (give the "
                                   "files there with `files:` instead)",
                                   m.target, outer.target));
  for (const Mount& m : n.mounts) {
    if (std::string why = absolute_path_problem(m.target); !why.empty()) {
      d.error(m.pos, "mount: " + why);
      continue;
    }
    if (m.target == "/") {
      d.error(m.pos, "a mount cannot cover `/`: the node would lose the system");
      continue;
    }
    std::string resolved = resolved_path(m.target);
    auto forbidden = std::find_if(std::begin(kForbiddenTargets), std::end(kForbiddenTargets),
                                  [&](const char* f) {
                                    return is_under(m.target, f) || is_under(f, m.target) ||
                                           is_under(resolved, f) || is_under(f, resolved);
                                  });
    if (forbidden != std::end(kForbiddenTargets)) {
      d.error(m.pos, fmt::format("a mount cannot cover {}: {}", *forbidden,
                                 std::string(*forbidden).rfind("/run", 0) == 0
                                     ? "topo keeps its namespaces and labs there"
                                     : "the kernel's, which every command needs"));
      continue;
    }
    if (disk == Disk::skip) continue;  // what follows is this machine's
    if (!m.owner.empty())
      if (std::string why = owner_problem(m.owner); !why.empty()) d.error(m.pos, why);
    std::error_code ec;
    bool target_is_dir = fs::is_directory(m.target, ec);
    bool target_exists = fs::exists(m.target, ec);
    if (m.kind == Mount::Kind::bind) {
      std::string why;
      std::optional<fs::path> source;
      if (m.source.empty() || m.source[0] != '/')
        source = lab_path(t, m.source, why);
      else if (fs::exists(m.source, ec))
        source = m.source;
      else
        why = fmt::format("`{}` does not exist", m.source);
      if (!source) {
        d.error(m.pos, fmt::format("mount {}: {}", m.target, why));
        continue;
      }
      bool source_is_dir = fs::is_directory(*source, ec);
      if (target_exists && source_is_dir != target_is_dir)
        d.error(m.pos, fmt::format("mount {}: a {} cannot be bound over a {}", m.target,
                                   source_is_dir ? "directory" : "file",
                                   target_is_dir ? "directory" : "file"));
      else if (!target_exists && !source_is_dir)
        d.error(m.pos, fmt::format("mount {}: a file can only be bound over a file, and there is "
                                   "none at {} on this machine",
                                   m.target, m.target));
    } else if (m.kind == Mount::Kind::file) {
      bool known = std::any_of(n.files.begin(), n.files.end(),
                               [&](const NodeFile& f) { return f.name == m.source; });
      if (!known || m.source.find('/') != std::string::npos)
        d.error(m.pos, fmt::format("mount {}: `{}` is not one of node `{}`'s files (a plain name "
                                   "under `files`)",
                                   m.target, m.source, n.name));
      else if (!target_exists || target_is_dir)
        d.error(m.pos, fmt::format("mount {}: a file can only be bound over a file, and there is "
                                   "none at {} on this machine",
                                   m.target, m.target));
    } else if (target_exists && !target_is_dir) {
      d.error(m.pos, fmt::format("mount {}: {} is a file on this machine, not a directory",
                                 m.target, m.target));
    }
  }
  for (const NodeFile& f : n.files) {
    if (f.name.empty() || f.name[0] != '/') continue;
    if (std::string why = absolute_path_problem(f.name); !why.empty())
      d.error(f.pos, "file: " + why);
    else if (!private_dir_of(n, f.name))
      d.error(f.pos, fmt::format("file `{}` is not in a directory of the node's own: add one "
                                 "under `mounts` (e.g. `{}: {{}}`)",
                                 f.name, fs::path(f.name).parent_path().string()));
  }
  for (const Command& c : n.daemons) {
    if (!c.wait || c.wait->socket.empty()) continue;
    const std::string& socket = c.wait->socket;
    if (std::string why = absolute_path_problem(socket); !why.empty()) {
      d.error(c.wait->pos, "wait: socket " + why);
      continue;
    }
    if (disk == Disk::skip) continue;
    std::string dir = fs::path(socket).parent_path().string();
    std::error_code ec;
    bool own = private_dir_of(n, socket) != nullptr;
    const Mount* covering = nullptr;
    for (const Mount& m : n.mounts)
      if (is_under(socket, m.target) && (!covering || m.target.size() > covering->target.size()))
        covering = &m;
    if (covering && covering->read_only)
      d.error(c.wait->pos, fmt::format("daemon `{}` waits for {}, which can never exist: {} is "
                                       "mounted read-only",
                                       c.name, socket, covering->target));
    else if (!own && !fs::is_directory(dir, ec))
      d.error(c.wait->pos, fmt::format("daemon `{}` waits for {}, which can never exist: there is "
                                       "no directory {} (a directory of the node's own under "
                                       "`mounts` would be made)",
                                       c.name, socket, dir));
  }
}

void complete_node_files(Topology& t, Diagnostics& d, Disk disk) {
  Completer(t, d, disk).run();
}

}  // namespace topo
