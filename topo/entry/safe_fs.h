// safe_fs.h - files topo opens as root where a user may write: relative to a directory
// descriptor, never through a symlink, close-on-exec. And the standard descriptors, made sure of
// before anything is opened.
//
// A node's directory may be handed to a daemon's user (`chown bird $TOPO_NODE_DIR`), who can
// then plant a symlink, a FIFO or a hard link under any name in it. Everything topo does there
// goes through these functions. No logging or formatting library here (see entry.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "topo/model/fd.h"

namespace topo {

// Opens /dev/null on each of descriptors 0, 1 and 2 that is closed: otherwise the first file
// opened would become standard input, output or error (a log line written into the journal, the
// journal handed to a command as its input). Call first thing in main; exits with status 1 if
// /dev/null cannot be opened.
void ensure_std_fds();

// A directory by a path that is root's all the way (/run/topo/<lab>/...), never a symlink in
// its last component. Invalid (errno set) on failure.
nl::Fd open_dir(const std::string& path);

// `name` (one path component) beneath the directory `dir`, never through a symlink:
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), with O_NOFOLLOW and O_CLOEXEC added to `flags`.
// Invalid (errno set) on failure: ELOOP for a symlink.
nl::Fd open_beneath(int dir, const std::string& name, int flags, mode_t mode = 0);

// The directory `name` in `dir`: made with exactly `mode` (whatever the umask) when it is not
// there, opened as it is when it is. Invalid (errno set) when something else has that name.
nl::Fd make_dir_beneath(int dir, const std::string& name, mode_t mode);

// Replaces `name` in `dir` with a regular file of `content` and `mode`, written to a new file
// beside it and renamed over it: whatever had that name (a symlink, a hard link, a FIFO) is
// replaced, never written through. 0, or the errno of the step that failed.
// The new file is owned by uid:gid (root's by default), set before it is renamed.
int replace_file(int dir, const std::string& name, std::string_view content, mode_t mode,
                 uid_t uid = 0, gid_t gid = 0);

// The whole of a regular file, read close-on-exec (which std::ifstream cannot do); nullopt
// (errno set) when it cannot be read or is not a regular file. read_file follows `path` as it
// is (for root's own files); read_file_beneath opens as open_beneath does, and refuses a FIFO or
// a device without blocking on it.
std::optional<std::string> read_file(const std::string& path);
std::optional<std::string> read_file_beneath(int dir, const std::string& name);

// The names in the directory `dir` (not . and ..), errno set when it cannot be read.
std::vector<std::string> dir_entries(int dir);

// Removes `name` in `dir` and, when it is a directory, everything in it, without following a
// symlink at any depth: each directory is entered with O_NOFOLLOW and its entries are removed
// relative to it. Returns what could not be removed, as "PATH: reason" (PATH below `shown`).
std::vector<std::string> remove_tree(int dir, const std::string& name, const std::string& shown);

}  // namespace topo
