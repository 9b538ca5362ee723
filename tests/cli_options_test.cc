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

}  // namespace
}  // namespace topo
