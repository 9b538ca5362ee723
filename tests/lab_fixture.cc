#include "tests/lab_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace topo::testing {

namespace {

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Every test process leaves /run/netns and /run/topo as it found them.
class LeavesNoTrace : public ::testing::Environment {
 public:
  void SetUp() override {
    netns_ = listing("/run/netns");
    labs_ = listing("/run/topo");
  }
  void TearDown() override {
    if (geteuid() != 0) return;
    EXPECT_EQ(listing("/run/netns"), netns_) << "the test left namespaces behind";
    EXPECT_EQ(listing("/run/topo"), labs_) << "the test left lab state behind";
  }

 private:
  std::vector<std::string> netns_, labs_;
};

const auto* const kLeavesNoTrace = ::testing::AddGlobalTestEnvironment(new LeavesNoTrace);

}  // namespace

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool journal_has(const std::string& path, const std::string& type, const std::string& part) {
  std::istringstream lines(file_text(path));
  std::string tag = "\"t\":\"" + type + "\"";
  for (std::string line; std::getline(lines, line);)
    if (contains(line, tag) && contains(line, part)) return true;
  return false;
}

nlohmann::json topo_json(const std::string& args, int expected_status) {
  // In a subshell: run() sends the command's standard error to its output after it.
  CmdResult r = run("(" + std::string(TOPO_BINARY) + " " + args + " 2>/dev/null)");
  EXPECT_EQ(r.status, expected_status) << args << "\n" << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.output;
  return j;
}

nlohmann::json ip_json(const std::string& command) {
  CmdResult r = run(command);
  EXPECT_EQ(r.status, 0) << command << ": " << r.output;
  return nlohmann::json::parse(r.output, nullptr, false);
}

CmdResult run(const std::string& command) {
  CmdResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string quoted(const std::string& word) {
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::vector<std::string> netns_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& n : listing("/run/netns"))
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  return out;
}

std::vector<std::string> mounts_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  std::ifstream info("/proc/self/mountinfo");
  std::string needle = " /run/netns/" + prefix;
  for (std::string line; std::getline(info, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::vector<pid_t> live_lab_processes(const std::string& lab) {
  std::vector<pid_t> out;
  std::string needle = std::string(1, '\0') + "TOPO_LAB=" + lab + std::string(1, '\0');
  for (const std::string& entry : listing("/proc")) {
    if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream env("/proc/" + entry + "/environ", std::ios::binary);
    std::stringstream s;
    s << env.rdbuf();
    if ((std::string(1, '\0') + s.str()).find(needle) == std::string::npos) continue;
    std::ifstream stat("/proc/" + entry + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z')
      out.push_back(std::stoi(entry));
  }
  return out;
}

void LabTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "integration tests need root (namespaces, netlink)";
  static std::atomic<int> counter{0};
  lab_ = fmt::format("it{}-{}", getpid(), counter++);
  char tmpl[] = "/tmp/topo-it.XXXXXX";
  dir_ = mkdtemp(tmpl);
  chmod(dir_.c_str(), 0755);
}

void LabTest::TearDown() {
  if (lab_.empty()) return;
  topo("-q down " + lab_);
  EXPECT_EQ(live_lab_processes(lab_), std::vector<pid_t>{}) << "processes of the lab outlived down";
  // Only namespaces with this test's unique prefix are touched, and only if down failed.
  std::vector<std::string> left = netns_with_prefix(prefix());
  EXPECT_TRUE(left.empty()) << "topo down left " << left.size() << " namespaces";
  for (const std::string& n : left) run("ip netns delete " + quoted(n));
  // Nor a cgroup of the lab's (only this test's lab is looked at, and only its empty cgroups
  // are removed).
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/freezer"})
    if (std::string group = std::string(mount) + "/topo/lab-" + lab_;
        std::filesystem::exists(group)) {
      ADD_FAILURE() << "topo down left the cgroup " << group;
      run("find " + testing::quoted(group) + " -depth -type d -exec rmdir {} +");
    }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string LabTest::write_lab(const std::string& yaml, const std::string& file_name) {
  std::string text = yaml;
  for (size_t at; (at = text.find("LAB")) != std::string::npos;) text.replace(at, 3, lab_);
  std::string path = dir_ + "/" + file_name;
  std::ofstream(path) << text;
  return path;
}

std::string LabTest::example(const std::string& file_name,
                             const std::vector<std::pair<std::string, std::string>>& replace) {
  std::ifstream in(std::string(TOPO_SOURCE_DIR) + "/examples/" + file_name);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  size_t at = text.find("\nname: ");
  EXPECT_NE(at, std::string::npos);
  size_t end = text.find('\n', at + 1);
  text.replace(at, end - at, "\nname: LAB");
  for (const auto& [from, to] : replace)
    for (size_t pos; (pos = text.find(from)) != std::string::npos;)
      text.replace(pos, from.size(), to);
  // The example's folder of files (`from:`), beside it as in examples/.
  std::string stem = std::filesystem::path(file_name).stem().string();
  std::filesystem::path folder = std::filesystem::path(TOPO_SOURCE_DIR) / "examples" / stem;
  std::error_code missing, ec;
  if (std::filesystem::is_directory(folder, missing))
    std::filesystem::copy(folder, dir_ + "/" + stem, std::filesystem::copy_options::recursive, ec);
  EXPECT_FALSE(ec) << folder << ": " << ec.message();
  return write_lab(text, file_name);
}

std::string LabTest::chain(int nodes) {
  std::string y = "name: LAB\nnodes:\n";
  for (int i = 1; i <= nodes; i++) y += fmt::format("  n{}: {{}}\n", i);
  y += "links:\n";
  for (int i = 1; i < nodes; i++)
    y += fmt::format(
        "  - endpoints: [n{}:e1, n{}:e0]\n    addresses: [10.{}.{}.1/30, "
        "10.{}.{}.2/30]\n",
        i, i + 1, i / 64, (i % 64) * 4, i / 64, (i % 64) * 4);
  return write_lab(y, fmt::format("chain{}.yaml", nodes));
}

CmdResult LabTest::topo(const std::string& args) {
  return run(std::string(TOPO_BINARY) + " " + args);
}

CmdResult LabTest::in_node(const std::string& node, const std::string& command) {
  return run("ip netns exec " + quoted(netns(node)) + " " + command);
}

void LabTest::expect_nothing_left() {
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{});
  EXPECT_EQ(mounts_with_prefix(prefix()), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab_)) << "state left in /run/topo/" << lab_;
}

pid_t spawn_topo(const std::vector<std::string>& args, const std::string& log_file) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(TOPO_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(TOPO_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace topo::testing
