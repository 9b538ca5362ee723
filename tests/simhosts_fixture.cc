#include "tests/simhosts_fixture.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

namespace topo::testing {

namespace {

const std::string kSimhosts = std::string(TOPO_SOURCE_DIR) + "/tests/simhosts.sh";

}  // namespace

void SimHostsTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "tests on simulated hosts need root (namespaces, netlink)";
  static std::atomic<int> counter{0};
  int n = counter++;
  tag_ = fmt::format("mh{}-{}", getpid(), n);
  lab_ = fmt::format("ml{}-{}", getpid(), n);
  char tmpl[] = "/tmp/topo-mh.XXXXXX";
  dir_ = mkdtemp(tmpl);
  chmod(dir_.c_str(), 0755);
}

void SimHostsTest::TearDown() {
  if (tag_.empty()) return;
  CmdResult r = run(simhosts("destroy " + tag_));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(r.output.empty()) << "destroy found something to complain about:\n" << r.output;
  EXPECT_EQ(netns_with_prefix(tag_ + "-"), std::vector<std::string>{});
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SimHostsTest::simhosts(const std::string& args) {
  return "TOPO=" + quoted(TOPO_BINARY) + " " + quoted(kSimhosts) + " " + args;
}

void SimHostsTest::make_hosts(int n) {
  hosts_.clear();
  for (int i = 0; i < n; i++) hosts_.push_back(std::string(1, char('a' + i)));
  CmdResult r = run(simhosts(fmt::format("create {} {}", tag_, n)));
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_EQ(r.output, "");
}

std::string SimHostsTest::write_lab(const std::string& yaml, const std::string& name) {
  std::string text = yaml;
  for (size_t at; (at = text.find("LAB")) != std::string::npos;) text.replace(at, 3, lab_);
  std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

CmdResult SimHostsTest::on(const std::string& host, const std::string& command) {
  return run(simhosts("exec " + tag_ + " " + host + " sh -c " + quoted(command)));
}

CmdResult SimHostsTest::topo_on(const std::string& host, const std::string& args,
                                const std::string& env) {
  return on(host, (env.empty() ? "" : env + " ") + std::string(TOPO_BINARY) + " " + args);
}

std::pair<int, nlohmann::json> SimHostsTest::topo_json_on(const std::string& host,
                                                          const std::string& args) {
  CmdResult r = on(host, std::string(TOPO_BINARY) + " " + args + " 2>/dev/null");
  nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << host << ": topo " << args << ": " << r.output;
  return {r.status, j};
}

pid_t SimHostsTest::spawn_on(const std::string& host, const std::vector<std::string>& args,
                             const std::string& log) {
  std::vector<std::string> words = {"/bin/bash", kSimhosts, "exec", tag_, host, TOPO_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    execv("/bin/bash", argv.data());
    _exit(127);
  }
  return pid;
}

std::string SimHostsTest::root_of(const std::string& host) {
  if (!holder_.count(host)) {
    CmdResult r = run(simhosts("pid " + tag_ + " " + host));
    EXPECT_EQ(r.status, 0) << r.output;
    holder_[host] = r.output.substr(0, r.output.find('\n'));
  }
  return "/proc/" + holder_[host];
}

std::vector<std::string> SimHostsTest::lab_netns_on(const std::string& host) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_of(host) + "/root/run/netns", ec))
    if (std::string n = e.path().filename().string(); n.rfind(lab_ + "-", 0) == 0) out.push_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> SimHostsTest::extra_links_on(const std::string& host) {
  std::vector<std::string> out;
  for (const nlohmann::json& l : ip_json("ip -j -n " + quoted(tag_ + "-" + host) + " link show"))
    if (l["ifname"] != "lo" && l["ifname"] != "eth0") out.push_back(l["ifname"]);
  return out;
}

bool SimHostsTest::has_link(const std::string& host, const std::string& netns,
                            const std::string& iface) {
  std::string path = root_of(host) + "/root/run/netns/" + netns;
  bool found = false;
  // On a thread of its own: the namespace switch must not touch the test's thread.
  std::thread([&] {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (setns(fd, CLONE_NEWNET) == 0) found = if_nametoindex(iface.c_str()) != 0;
    close(fd);
  }).join();
  return found;
}

void SimHostsTest::expect_nothing_left() {
  for (const std::string& h : hosts_) {
    SCOPED_TRACE("host " + h);
    std::string root = root_of(h);
    EXPECT_EQ(lab_netns_on(h), std::vector<std::string>{});
    EXPECT_EQ(extra_links_on(h), std::vector<std::string>{});
    std::ifstream mounts(root + "/mountinfo");
    for (std::string line; std::getline(mounts, line);)
      EXPECT_FALSE(contains(line, "/run/netns/" + lab_) || contains(line, "/run/topo/" + lab_))
          << line;
    EXPECT_FALSE(std::filesystem::exists(root + "/root/run/topo/" + lab_));
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root + "/root/etc/netns", ec))
      EXPECT_NE(e.path().filename().string().rfind(lab_, 0), 0u) << e.path();
    for (const char* cg : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/freezer"})
      EXPECT_FALSE(std::filesystem::exists(root + "/root" + cg + "/topo/lab-" + lab_)) << cg;
  }
}

}  // namespace topo::testing
