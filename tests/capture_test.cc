// `topo capture`: every hop of a lab in one pcapng, read back by Wireshark's own tools.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;

// h1 - r1 - r2 - r3 - h2, routed both ways.
const char* kChain = R"(name: LAB
nodes:
  h1: {routes: [{dst: 0.0.0.0/0, via: 10.0.1.1}]}
  r1: {kind: router, routes: [{dst: 0.0.0.0/0, via: 10.0.2.2}]}
  r2: {kind: router, routes: [{dst: 10.0.1.0/24, via: 10.0.2.1}, {dst: 10.0.4.0/24, via: 10.0.3.2}]}
  r3: {kind: router, routes: [{dst: 0.0.0.0/0, via: 10.0.3.1}]}
  h2: {routes: [{dst: 0.0.0.0/0, via: 10.0.4.1}]}
links:
  - endpoints: [h1:eth0, r1:eth0]
    addresses: [10.0.1.2/24, 10.0.1.1/24]
  - endpoints: [r1:eth1, r2:eth0]
    addresses: [10.0.2.1/24, 10.0.2.2/24]
  - endpoints: [r2:eth1, r3:eth0]
    addresses: [10.0.3.1/24, 10.0.3.2/24]
  - endpoints: [r3:eth1, h2:eth0]
    addresses: [10.0.4.1/24, 10.0.4.2/24]
)";

// The ends from h1 to h2, in the order a packet crosses them.
const std::vector<std::string> kPath = {"h1:eth0", "r1:eth0", "r1:eth1", "r2:eth0",
                                        "r2:eth1", "r3:eth0", "r3:eth1", "h2:eth0"};

bool has_tools() {
  return access("/usr/bin/tshark", X_OK) == 0 && access("/usr/bin/capinfos", X_OK) == 0 &&
         access("/usr/bin/tcpdump", X_OK) == 0;
}

// One packet as tshark reads it.
struct Seen {
  std::string end;
  double time = 0;
  int icmp_type = -1;
};

class Capture : public LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    if (IsSkipped()) return;
    if (!has_tools()) GTEST_SKIP() << "tshark, capinfos or tcpdump is not installed";
    ASSERT_EQ(topo("up " + write_lab(kChain)).status, 0);
    // Neighbours known first: the capture's ping crosses without ARP on the way.
    ASSERT_EQ(in_node("h1", "ping -c1 -W2 10.0.4.2").status, 0);
  }
  std::string file(const std::string& name) const { return dir() + "/" + name; }
  // Starts a capture into `path` and waits until it has written its interfaces (its handles
  // are open). Returns its pid.
  pid_t start(std::vector<std::string> args, const std::string& path) {
    args.insert(args.begin(), {"capture", lab()});
    args.insert(args.end(), {"-w", path});
    pid_t pid = spawn_topo(args, path + ".log");
    struct stat st;
    EXPECT_TRUE(eventually([&] { return stat(path.c_str(), &st) == 0 && st.st_size > 0; }, 10s))
        << file_text(path + ".log");
    return pid;
  }
  int stop(pid_t pid) {
    kill(pid, SIGINT);
    return wait_for(pid);
  }
  // The ICMP packets of a file, in its order.
  std::vector<Seen> icmp(const std::string& path) {
    CmdResult r = run("tshark -r " + path +
                      " -Y icmp -T fields -E separator=, -e frame.interface_name "
                      "-e frame.time_epoch -e icmp.type");
    EXPECT_EQ(r.status, 0) << r.output;
    std::vector<Seen> out;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      if (std::count(line.begin(), line.end(), ',') != 2) continue;  // tshark's warnings
      Seen s;
      std::istringstream fields(line);
      std::string time, type;
      std::getline(fields, s.end, ',');
      std::getline(fields, time, ',');
      std::getline(fields, type, ',');
      s.time = std::stod(time);
      s.icmp_type = std::stoi(type);
      out.push_back(s);
    }
    return out;
  }
};

std::vector<std::string> ends_of(const std::vector<Seen>& seen, int type) {
  std::vector<std::string> out;
  for (const Seen& s : seen)
    if (s.icmp_type == type) out.push_back(s.end);
  return out;
}

TEST_F(Capture, EveryEndOfAChainSeesOnePingInTheOrderItCrosses) {
  std::string path = file("trace.pcapng");
  pid_t pid = start({}, path);
  ASSERT_EQ(in_node("h1", "ping -c1 -W2 10.0.4.2").status, 0);
  // The echo reply is read by the capture (the last end) before it is stopped.
  ASSERT_TRUE(eventually(
      [&] {
        return run("tshark -r " + path + " -Y 'icmp.type == 0' 2>/dev/null | wc -l").output ==
               "8\n";
      },
      10s));
  ASSERT_EQ(stop(pid), 0) << file_text(path + ".log");

  CmdResult info = run("capinfos " + path);
  EXPECT_TRUE(contains(info.output, "Number of interfaces in file: 8")) << info.output;
  for (const std::string& end : kPath)
    EXPECT_TRUE(contains(info.output, "Name = " + end + "\n")) << end << "\n" << info.output;
  EXPECT_TRUE(contains(info.output, "topo capture of lab " + lab())) << info.output;

  std::vector<Seen> seen = icmp(path);
  EXPECT_EQ(ends_of(seen, 8), kPath) << "the echo request, hop by hop";
  std::vector<std::string> back(kPath.rbegin(), kPath.rend());
  EXPECT_EQ(ends_of(seen, 0), back) << "the reply, in reverse";
  for (size_t i = 1; i < seen.size(); i++)
    EXPECT_LE(seen[i - 1].time, seen[i].time) << "packet " << i << " is older than the one before";
  std::string log = file_text(path + ".log");
  EXPECT_TRUE(contains(log, "r2:eth0  captured ")) << log;
}

TEST_F(Capture, AFilterKeepsOnlyWhatItNames) {
  std::string path = file("replies.pcapng");
  pid_t pid = start({"-f", "icmp[icmptype] == icmp-echoreply"}, path);
  ASSERT_EQ(in_node("h1", "ping -c1 -W2 10.0.4.2").status, 0);
  ASSERT_TRUE(eventually(
      [&] { return run("tshark -r " + path + " 2>/dev/null | wc -l").output == "8\n"; }, 10s));
  ASSERT_EQ(stop(pid), 0);
  std::vector<Seen> seen = icmp(path);
  EXPECT_EQ(ends_of(seen, 0).size(), 8u);
  EXPECT_EQ(seen.size(), 8u) << "nothing but the replies";
  EXPECT_EQ(run("tshark -r " + path + " 2>/dev/null | wc -l").output, "8\n");
}

TEST_F(Capture, CountAndDurationStopIt) {
  std::string counted = file("counted.pcapng");
  // Pings for long enough; the capture stops itself after three packets.
  CmdResult r =
      run(fmt::format("(ip netns exec {} ping -i 0.1 -c 100 10.0.4.2 >/dev/null & p=$!; "
                      "{} capture {} h1:eth0 -f icmp -c 3 -w {}; s=$?; kill $p; exit $s)",
                      netns("h1"), TOPO_BINARY, lab(), counted));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "(count)")) << r.output;
  EXPECT_EQ(run("tshark -r " + counted + " 2>/dev/null | wc -l").output, "3\n");

  std::string timed = file("timed.pcapng");
  CmdResult d = topo("capture " + lab() + " r2 --duration 300ms -w " + timed);
  EXPECT_EQ(d.status, 0) << d.output;
  EXPECT_TRUE(contains(d.output, "(duration)")) << d.output;
  EXPECT_TRUE(contains(run("capinfos " + timed).output, "Number of interfaces in file: 2"));
}

TEST_F(Capture, StandardOutputStreamsIntoTcpdumpLive) {
  // tcpdump reads two packets as they come and leaves; topo, without -c, stops when its
  // output is closed, with status 0.
  CmdResult r = run(
      fmt::format("(ip netns exec {} ping -i 0.1 -c 100 10.0.4.2 >/dev/null & p=$!; "
                  "{{ {} capture {} r1:eth1 -f icmp -w - 2>{}/stream.log; echo $? >{}/status; }} | "
                  "tcpdump -c 2 -nr - ; kill $p)",
                  netns("h1"), TOPO_BINARY, lab(), dir(), dir()));
  EXPECT_TRUE(contains(r.output, "IP 10.0.1.2 > 10.0.4.2: ICMP echo request")) << r.output;
  ASSERT_TRUE(eventually([&] { return !file_text(dir() + "/status").empty(); }, 10s));
  EXPECT_EQ(file_text(dir() + "/status"), "0\n") << file_text(dir() + "/stream.log");
  EXPECT_TRUE(contains(file_text(dir() + "/stream.log"), "(output closed)"));
}

TEST_F(Capture, WithoutAFileOneLinePerPacket) {
  CmdResult r =
      run(fmt::format("(ip netns exec {} ping -i 0.1 -c 100 10.0.4.2 >/dev/null & p=$!; "
                      "{} capture {} r3:eth1 -f icmp -c 2; s=$?; kill $p; exit $s)",
                      netns("h1"), TOPO_BINARY, lab()));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, " r3:eth1 IP 10.0.1.2 > 10.0.4.2: ICMP echo request, id "))
      << r.output;
  EXPECT_TRUE(contains(r.output, " r3:eth1 IP 10.0.4.2 > 10.0.1.2: ICMP echo reply, id "))
      << r.output;
}

// iperf3 at full speed through a captured end, into an output that is not read for the time of
// the run: the capture survives, its memory stays bounded, and it says what it dropped.
TEST_F(Capture, FullSpeedTrafficIntoAStalledOutputIsDroppedAndReported) {
  if (access("/usr/bin/iperf3", X_OK) != 0 || access("/usr/bin/time", X_OK) != 0)
    GTEST_SKIP() << "iperf3 or GNU time is not installed";
  ASSERT_EQ(topo("exec " + lab() + " h2 -- iperf3 -s -1 -D").status, 0);
  ASSERT_TRUE(
      eventually([&] { return !in_node("h2", "ss -Hltn sport = :5201").output.empty(); }, 5s));
  std::string log = dir() + "/load.log";
  CmdResult r =
      run(fmt::format("/usr/bin/time -v {} capture {} r2:eth0 --duration 8s -w - 2>{} | "
                      "{{ ip netns exec {} iperf3 -c 10.0.4.2 -t 5 >/dev/null; cat >/dev/null; }}",
                      TOPO_BINARY, lab(), log, netns("h1")));
  std::string text = file_text(log);
  EXPECT_TRUE(contains(text, "Exit status: 0")) << text;
  EXPECT_TRUE(contains(text, "r2:eth0  captured ")) << text;
  EXPECT_TRUE(contains(text, "packets dropped: ")) << text;
  size_t at = text.find("Maximum resident set size (kbytes): ");
  ASSERT_NE(at, std::string::npos) << text;
  long kbytes = std::stol(text.substr(at + 37));
  // The queue holds at most 64 MB of packets; the kernel's ring is 2 MB.
  EXPECT_LT(kbytes, 160 * 1024) << text;
  std::cout << text.substr(0, text.find("\tCommand being timed"));
}

// A LAN's ports and an end in the root namespace are ends like the others.
using CaptureLan = LabTest;

TEST_F(CaptureLan, APortOfItsBridgeAndAnEndInTheRootNamespaceAreEndsLikeTheOthers) {
  if (!has_tools()) GTEST_SKIP() << "tshark, capinfos or tcpdump is not installed";
  std::string host_end = "t" + lab().substr(2);  // a short, unique interface name
  ASSERT_EQ(topo("up " + write_lab(fmt::format(R"(name: LAB
nodes: {{h1: {{}}, h2: {{}}, r1: {{kind: router}}}}
links:
  - endpoints: [h1:eth1, h2:eth1, r1:eth2]
    addresses: [10.9.0.1/24, 10.9.0.2/24, 10.9.0.3/24]
  - endpoints: [r1:eth9, host:{}]
    addresses: [10.8.0.1/30, 10.8.0.2/30]
)",
                                               host_end)))
                .status,
            0);
  std::string path = dir() + "/lan.pcapng";
  // The LAN as the shell splits the file's way of writing it, and the root namespace's end.
  pid_t pid = spawn_topo(
      {"capture", lab(), "[h1:eth1,", "h2:eth1,", "r1:eth2]", "host", "-f", "icmp", "-w", path},
      path + ".log");
  struct stat st;
  ASSERT_TRUE(eventually([&] { return stat(path.c_str(), &st) == 0 && st.st_size > 0; }, 10s))
      << file_text(path + ".log");
  ASSERT_EQ(in_node("h1", "ping -c1 -W2 10.9.0.3").status, 0);
  ASSERT_EQ(in_node("r1", "ping -c1 -W2 10.8.0.2").status, 0);
  auto fields = [&] {
    return run("tshark -r " + path + " -T fields -e frame.interface_name -e icmp.type").output;
  };
  ASSERT_TRUE(eventually(
      [&] {
        std::string f = fields();
        return contains(f, "h1:eth1\t0\n") && contains(f, "host:" + host_end + "\t0\n");
      },
      10s))
      << fields();
  kill(pid, SIGINT);
  ASSERT_EQ(wait_for(pid), 0) << file_text(path + ".log");
  std::string info = run("capinfos " + path).output;
  for (const char* end : {"h1:eth1", "h2:eth1", "r1:eth2", "_lan1:p1", "_lan1:p2", "_lan1:p3"})
    EXPECT_TRUE(contains(info, std::string("Name = ") + end + "\n")) << end << "\n" << info;
  EXPECT_TRUE(contains(info, "Name = host:" + host_end + "\n")) << info;
  std::string seen = fields();
  EXPECT_TRUE(contains(seen, "_lan1:p1\t8\n")) << seen;
  EXPECT_TRUE(contains(seen, "_lan1:p3\t0\n")) << seen;
}

TEST_F(Capture, MistakesAreRefusedAndCreateNothing) {
  std::string path = file("never.pcapng");
  CmdResult no_end = topo("capture " + lab() + " r1:eth7 -w " + path);
  EXPECT_EQ(no_end.status, 2) << no_end.output;
  EXPECT_TRUE(contains(no_end.output, "has no link end r1:eth7 (did you mean `r1:eth0`?)"))
      << no_end.output;
  CmdResult no_node = topo("capture " + lab() + " r4 -w " + path);
  EXPECT_EQ(no_node.status, 2) << no_node.output;
  EXPECT_TRUE(contains(no_node.output, "has no node r4 (did you mean")) << no_node.output;
  CmdResult filter = topo("capture " + lab() + " -f 'icmp and and' -w " + path);
  EXPECT_EQ(filter.status, 2) << filter.output;
  EXPECT_TRUE(contains(filter.output,
                       "error: filter `icmp and and`: can't parse filter expression: syntax error"))
      << filter.output;
  EXPECT_EQ(access(path.c_str(), F_OK), -1) << "no file made";

  std::string existing = write_lab("keep me", "existing.pcapng");
  CmdResult exists = topo("capture " + lab() + " -c 1 -w " + existing);
  EXPECT_EQ(exists.status, 2) << exists.output;
  EXPECT_TRUE(contains(exists.output, "exists: --force replaces it")) << exists.output;
  EXPECT_EQ(file_text(existing), "keep me");

  CmdResult absent = topo("capture " + lab() + "-none -w " + path);
  EXPECT_EQ(absent.status, 1) << absent.output;
  EXPECT_TRUE(contains(absent.output, "lab " + lab() + "-none is not running")) << absent.output;
  EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab() + "-none"));
  EXPECT_EQ(access(path.c_str(), F_OK), -1);

  if (access("/usr/bin/setpriv", X_OK) == 0) {
    CmdResult r = run("setpriv --inh-caps=-all --bounding-set=-net_admin,-sys_admin " +
                      std::string(TOPO_BINARY) + " capture " + lab() + " -w " + path);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "capture")) << r.output;
    EXPECT_EQ(access(path.c_str(), F_OK), -1);
  }
}

}  // namespace
}  // namespace topo::testing
