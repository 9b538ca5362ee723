// The command line's option rules, in process: each mistake is one error and exit status 2,
// found before anything runs (tests/cli_test.cc runs the binary as a user would).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "topo/model/version.h"
#include "topo/verbs/cli.h"

namespace topo {
namespace {

// What is written on descriptor 2 while it lives (std::cerr and stderr alike).
class CapturedStderr {
 public:
  CapturedStderr() : file_(tmpfile()), saved_(dup(2)) {
    std::cerr.flush();
    fflush(stderr);
    dup2(fileno(file_), 2);
  }
  ~CapturedStderr() {
    restore();
    fclose(file_);
  }
  std::string text() {
    restore();
    std::string out;
    rewind(file_);
    for (int c; (c = fgetc(file_)) != EOF;) out += static_cast<char>(c);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::cerr.flush();
    fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  FILE* file_;
  int saved_;
};

struct Outcome {
  int status;
  std::string errors;  // standard error
};

Outcome topo(std::vector<std::string> args) {
  args.insert(args.begin(), "topo");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  CapturedStderr captured;
  int status = run_cli(static_cast<int>(args.size()), argv.data());
  return {status, captured.text()};
}

const std::string kHint = "Run with --help for more information.\n";

TEST(CliOptions, AnImpairmentValueNotUnderstoodIsOneError) {
  Outcome rate = topo({"impair", "lab", "a:e0", "--rate", "5mbps"});
  EXPECT_EQ(rate.status, 2);
  EXPECT_EQ(rate.errors,
            "--rate: 5mbps is not understood: a rate like 64kbit, 20mbit or 1gbit (8kbit to "
            "16gbit)\n" +
                kHint);
  Outcome delay = topo({"impair", "lab", "a:e0", "--delay", "300s"});
  EXPECT_EQ(delay.status, 2);
  EXPECT_EQ(
      delay.errors,
      "--delay: 300s is not understood: a duration like 10ms, 500us or 1s, at most 274s\n" + kHint);
  Outcome loss = topo({"impair", "lab", "a:e0", "--delay", "1ms", "--loss", "101%"});
  EXPECT_EQ(loss.status, 2);
  EXPECT_EQ(loss.errors,
            "--loss: 101% is not understood: a percentage like 0.5%, at most 100%\n" + kHint);
}

TEST(CliOptions, VersionIsTheProjectsAndExitsZero) {
  testing::internal::CaptureStdout();
  Outcome version = topo({"--version"});
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.errors, "");
  EXPECT_EQ(out.rfind("topo " + std::string(TOPO_PROJECT_VERSION), 0), 0u) << out;
  EXPECT_EQ(out, "topo " + version_text() + "\n");
}

TEST(CliOptions, ClearWithImpairmentsIsOneError) {
  Outcome both = topo({"impair", "lab", "a:e0", "--rate", "1mbit", "--clear"});
  EXPECT_EQ(both.status, 2);
  EXPECT_EQ(both.errors, "--rate excludes --clear\n" + kHint);
}

TEST(CliOptions, NeitherImpairmentsNorClearIsOneError) {
  Outcome neither = topo({"impair", "lab", "a:e0"});
  EXPECT_EQ(neither.status, 2);
  EXPECT_EQ(neither.errors,
            "At least 1 option from "
            "[--delay,--jitter,--loss,--duplicate,--corrupt,--reorder,--rate,--clear] is "
            "required\n" +
                kHint);
}

TEST(CliOptions, JitterAndReorderNeedADelay) {
  for (const char* option : {"--jitter", "--reorder"}) {
    Outcome alone = topo({"impair", "lab", "a:e0", option, option[2] == 'j' ? "1ms" : "1%"});
    EXPECT_EQ(alone.status, 2) << option;
    EXPECT_EQ(alone.errors, std::string(option) + " requires --delay\n" + kHint);
  }
}

TEST(CliOptions, ValuesThatImpairNothingAreOneError) {
  Outcome nothing = topo({"impair", "lab", "a:e0", "--loss", "0%", "--delay", "0ms"});
  EXPECT_EQ(nothing.status, 2);
  EXPECT_EQ(nothing.errors,
            "a:e0: these values impair nothing: --clear removes an impairment\n" + kHint);
}

// A verb's failure is said once, as an error, and is its exit status: 2 for invalid input, 1
// for a run-time failure (here the lab is not running, or, without root, topo may not look).
TEST(CliOptions, AVerbsFailureIsOneErrorAndItsStatus) {
  Outcome shape = topo({"generate", "torus", "3"});
  EXPECT_EQ(shape.status, 2);
  EXPECT_EQ(shape.errors.rfind("error: unknown shape `torus`", 0), 0u) << shape.errors;
  EXPECT_EQ(shape.errors.find('\n'), shape.errors.size() - 1) << shape.errors;
  Outcome status = topo({"status", "no-such-lab-cli-options"});
  EXPECT_EQ(status.status, 1);
  EXPECT_EQ(status.errors.rfind("error: ", 0), 0u) << status.errors;
  EXPECT_EQ(status.errors.find('\n'), status.errors.size() - 1) << status.errors;
  Outcome end = topo({"link", "no-such-lab-cli-options", "a-e0", "up"});
  EXPECT_EQ(end.status, 2);
  EXPECT_EQ(end.errors, "error: `a-e0` is not NODE:IFACE\n");
}

TEST(CliOptions, PingFamilyIsFourOrSix) {
  Outcome five = topo({"ping", "lab", "--family", "5"});
  EXPECT_EQ(five.status, 2);
  EXPECT_EQ(five.errors, "--family: 5 is not understood: 4 (IPv4) or 6 (IPv6)\n" + kHint);
}

// --name is checked as a file's `name` is, before anything is read.
TEST(CliOptions, ALabNameGivenIsCheckedAsTheFilesIs) {
  for (const char* verb : {"up", "plan", "validate", "test"}) {
    Outcome upper = topo({verb, "no-such-file.yaml", "--name", "Lab"});
    EXPECT_EQ(upper.status, 2) << verb;
    EXPECT_EQ(upper.errors,
              "--name: lab name `Lab` must start with a lower-case letter or a digit\n" + kHint)
        << verb;
  }
  Outcome long_name = topo({"up", "lab.yaml", "--name", std::string(33, 'a')});
  EXPECT_EQ(long_name.status, 2);
  EXPECT_EQ(long_name.errors, "--name: lab name `" + std::string(33, 'a') +
                                  "` is longer than 32 characters\n" + kHint);
  // `topo test LAB` names its lab already.
  Outcome test = topo({"test", "no-such-lab-cli", "--name", "other"});
  EXPECT_EQ(test.status, 2);
  EXPECT_EQ(test.errors,
            "error: --name goes with a FILE, and `no-such-lab-cli` is no file: a lab's name names "
            "its lab already\n");
}

// One value per --nodes and --only: the LAB after them is LAB (here a lab that is not running:
// the verb runs, and fails for that, or for want of root).
TEST(CliOptions, NodesAndOnlyTakeOneValueEach) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"ping", "--nodes", "r1,r2", "--nodes", "h*", "no-such-lab-cli"},
        {"test", "--only", "a test", "--only", "b*", "no-such-lab-cli"}}) {
    Outcome o = topo(args);
    EXPECT_EQ(o.status, 1) << o.errors;
    EXPECT_EQ(o.errors.rfind("error: ", 0), 0u) << o.errors;
    EXPECT_EQ(o.errors.find("LAB is required"), std::string::npos) << o.errors;
  }
}

TEST(CliOptions, AllHostsIsNotWithHostOrDryRun) {
  Outcome host = topo({"up", "lab.yaml", "--all-hosts", "--host", "a"});
  EXPECT_EQ(host.status, 2);
  EXPECT_EQ(host.errors, "--host excludes --all-hosts\n" + kHint);
  Outcome dry = topo({"up", "lab.yaml", "--all-hosts", "--dry-run"});
  EXPECT_EQ(dry.status, 2);
  EXPECT_EQ(dry.errors, "--dry-run excludes --all-hosts\n" + kHint);
}

// A file for --all-hosts, written in a directory of its own for the test's life.
class FleetFile {
 public:
  explicit FleetFile(const std::string& text) {
    char tmpl[] = "/tmp/topo-fleet-cli.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/lab.yaml";
    FILE* f = fopen(path_.c_str(), "w");
    fputs(text.c_str(), f);
    fclose(f);
  }
  ~FleetFile() {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

// Checked before anything runs: a host that --all-hosts cannot reach, a file without hosts.
TEST(CliOptions, AllHostsNeedsHostsItCanReach) {
  FleetFile unreachable(R"(name: fl
hosts:
  a: {underlay: 192.0.2.10, ssh: root@lab-a}
  b: {underlay: 192.0.2.11}
defaults: {host: a}
nodes: {r1: {}, r2: {host: b}}
)");
  for (const char* verb : {"up", "down"}) {
    Outcome o = topo({verb, unreachable.path(), "--all-hosts"});
    EXPECT_EQ(o.status, 2) << verb;
    EXPECT_EQ(o.errors, unreachable.path() +
                            ":4:3: host b has no `ssh:` and is not this machine (its underlay "
                            "address 192.0.2.11 is not one of this machine's): --all-hosts "
                            "reaches it only with `ssh: DESTINATION` (root@192.0.2.11, or a "
                            "Host of ~/.ssh/config)\n 4 |   b: {underlay: 192.0.2.11}\n   |   ^\n" +
                            unreachable.path() + ": 1 error; nothing was run on any host\n")
        << verb;
  }
  FleetFile whole("name: fl\nnodes: {r1: {}}\n");
  Outcome o = topo({"up", whole.path(), "--all-hosts"});
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.errors, "error: " + whole.path() +
                          " has no `hosts`: --all-hosts runs the part of each host of a lab "
                          "spread over several; `topo up " +
                          whole.path() + "` builds this one here\n");
}

TEST(CliOptions, K8sNeedsAnImageAndTakesANamespaceName) {
  Outcome no_image = topo({"k8s", "lab.yaml"});
  EXPECT_EQ(no_image.status, 2);
  EXPECT_EQ(no_image.errors, "--image is required\n" + kHint);
  Outcome bad = topo({"k8s", "lab.yaml", "--image", "topo", "--namespace", "My_Labs"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.errors.rfind("--namespace: My_Labs is not understood: a Kubernetes namespace", 0),
            0u)
      << bad.errors;
}

}  // namespace
}  // namespace topo
