// node_files.h - a node's `files` and `mounts`: the rules they follow, files read from disk, and
// templates.
//
// A file is a plain name in $TOPO_NODE_DIR, or an absolute path in a directory of the node's own
// (a private mount). Its content is inline text or `from:` a path relative to the lab file's
// directory, which may not lead out of that directory (symlinks included): a lab is a folder
// that can be copied. A directory `from:` gives one file per regular file beneath it.
//
// Contents and `from:` paths are templates: `{{node}}`, `{{lab}}`, `{{netns}}`, `{{loopback}}`,
// `{{loopback6}}` and `{{env.NAME}}` are replaced; `{{ '{{' }}` writes `{{`.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "topo/language/diag.h"
#include "topo/model/model.h"

namespace topo {

// Whether a load reads the files `from:` names (a copy of a running lab's file read for its
// tests need not: its files were written when it was built).
enum class Disk { read, skip };

// The mistakes in a node's mounts, files and daemons' waits that the file alone shows, and with
// Disk::read those this machine shows (a user that does not exist, a bind source that is not
// there). Paths are compared as the kernel resolves them: /var/run/frr is /run/frr.
void check_node_files(const Topology& t, const Node& n, Diagnostics& d, Disk disk);

// `path` as the kernel resolves it on this machine (symlinks in what exists of it followed).
std::string resolved_path(const std::string& path);

// Expands templates and reads files from disk, once addresses are assigned (a pool's loopback
// is a template value).
void complete_node_files(Topology& t, Diagnostics& d, Disk disk);

// Expands `text`'s templates with `values`; nullopt and `error` set (which name, where) when
// one cannot be.
std::optional<std::string> expand_template(const std::string& text,
                                           const std::map<std::string, std::string>& values,
                                           std::string& error);

// The private directory of a node's mounts that holds `path` (the longest target that is
// `path` or a parent of it), or null.
const Mount* private_dir_of(const Node& n, const std::string& path);

}  // namespace topo
