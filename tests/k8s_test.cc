// k8s.h: the manifests parse (yaml-cpp) into a ConfigMap holding the file's very bytes and a
// DaemonSet with what its pods need to build a host's part; and the files they cannot carry.
#include "topo/verbs/k8s.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace topo {
namespace {

using Strings = std::vector<std::string>;

const char kLab[] = R"(name: spread
hosts:
  node-1: {underlay: 192.0.2.10}
  node-2: {underlay: 192.0.2.11}
defaults: {host: node-1}
nodes:
  r1: {}
  r2: {host: node-2}
links:
  - endpoints: [r1:eth1, r2:eth1]
)";

LoadResult load(const std::string& text) {
  LoadResult r = load_text("lab.yaml", text, "/labs", Disk::skip);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return r;
}

std::vector<YAML::Node> manifests(const LoadResult& loaded, const K8sOptions& options) {
  Diagnostics d("lab.yaml", loaded.text);
  std::string yaml = k8s_manifests(loaded, options, d);
  EXPECT_TRUE(d.empty()) << d.render();
  return YAML::LoadAll(yaml);
}

Strings strings(const YAML::Node& seq) {
  Strings out;
  for (const YAML::Node& n : seq) out.push_back(n.as<std::string>());
  return out;
}

// The entry of a list of maps whose `name` is `name`.
YAML::Node named(const YAML::Node& list, const std::string& name) {
  for (const YAML::Node& n : list)
    if (n["name"].as<std::string>() == name) return n;
  ADD_FAILURE() << "no " << name;
  return YAML::Node();
}

TEST(K8s, AConfigMapWithTheFileAndADaemonSetOnItsHosts) {
  LoadResult loaded = load(kLab);
  std::vector<YAML::Node> docs = manifests(loaded, {"lab.yaml", "registry/topo:1", "labs"});
  ASSERT_EQ(docs.size(), 2u);

  const YAML::Node& cm = docs[0];
  EXPECT_EQ(cm["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(cm["kind"].as<std::string>(), "ConfigMap");
  EXPECT_EQ(cm["metadata"]["name"].as<std::string>(), "topo-spread");
  EXPECT_EQ(cm["metadata"]["namespace"].as<std::string>(), "labs");
  ASSERT_EQ(cm["data"].size(), 1u);
  EXPECT_EQ(cm["data"]["spread.yaml"].as<std::string>(), loaded.text);

  const YAML::Node& ds = docs[1];
  EXPECT_EQ(ds["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(ds["kind"].as<std::string>(), "DaemonSet");
  EXPECT_EQ(ds["metadata"]["name"].as<std::string>(), "topo-spread");
  EXPECT_EQ(ds["metadata"]["namespace"].as<std::string>(), "labs");
  YAML::Node match = ds["spec"]["selector"]["matchLabels"];
  YAML::Node labels = ds["spec"]["template"]["metadata"]["labels"];
  ASSERT_TRUE(match.IsMap());
  ASSERT_GT(match.size(), 0u);
  for (const auto& kv : match)
    EXPECT_EQ(labels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>())
        << kv.first.as<std::string>();

  YAML::Node pod = ds["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["hostNetwork"].as<bool>());
  EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(), 60);
  YAML::Node term =
      pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
         ["nodeSelectorTerms"][0]["matchExpressions"][0];
  EXPECT_EQ(term["key"].as<std::string>(), "kubernetes.io/hostname");
  EXPECT_EQ(term["operator"].as<std::string>(), "In");
  EXPECT_EQ(strings(term["values"]), (Strings{"node-1", "node-2"}));

  ASSERT_EQ(pod["containers"].size(), 1u);
  YAML::Node c = pod["containers"][0];
  EXPECT_EQ(c["image"].as<std::string>(), "registry/topo:1");
  EXPECT_TRUE(c["securityContext"]["privileged"].as<bool>());
  YAML::Node env = named(c["env"], "NODE_NAME");
  EXPECT_EQ(env["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(), "spec.nodeName");
  Strings command = strings(c["command"]);
  ASSERT_EQ(command.size(), 3u);
  EXPECT_EQ(command[0], "/bin/sh");
  EXPECT_NE(command[2].find("topo up /etc/topo/spread.yaml --host \"$NODE_NAME\""),
            std::string::npos)
      << command[2];
  EXPECT_NE(command[2].find("trap 'topo down spread; exit 0' TERM"), std::string::npos)
      << command[2];
  EXPECT_EQ(strings(c["lifecycle"]["preStop"]["exec"]["command"]),
            (Strings{"topo", "down", "spread"}));

  // Each mount's volume: the host's directories at the same paths, the ConfigMap at /etc/topo.
  for (const char* path : {"/run/netns", "/run/topo", "/etc/netns", "/etc/topo"}) {
    SCOPED_TRACE(path);
    YAML::Node mount;
    for (const YAML::Node& m : c["volumeMounts"])
      if (m["mountPath"].as<std::string>() == path) mount = m;
    ASSERT_TRUE(mount.IsMap());
    YAML::Node volume = named(pod["volumes"], mount["name"].as<std::string>());
    if (std::string(path) == "/etc/topo") {
      EXPECT_EQ(volume["configMap"]["name"].as<std::string>(), "topo-spread");
    } else {
      EXPECT_EQ(volume["hostPath"]["path"].as<std::string>(), path);
    }
    if (std::string(path) == "/run/netns") {
      EXPECT_EQ(mount["mountPropagation"].as<std::string>(), "Bidirectional");
    }
  }
}

TEST(K8s, WithoutANamespaceTheManifestsNameNone) {
  std::vector<YAML::Node> docs = manifests(load(kLab), {"lab.yaml", "topo", ""});
  ASSERT_EQ(docs.size(), 2u);
  for (const YAML::Node& doc : docs) EXPECT_FALSE(doc["metadata"]["namespace"]);
}

// A literal block cannot keep every text (trailing newlines, an indented first line, a carriage
// return): those go double-quoted, and every one comes back byte for byte.
TEST(K8s, TheConfigMapHoldsTheFilesVeryBytes) {
  std::string lab = kLab;
  std::string crlf;
  for (char ch : lab) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  for (const std::string& text :
       {lab, lab + "\n\n", lab.substr(0, lab.size() - 1), "  # indented first\n" + lab,
        "\n\n" + lab, lab + "# tab\there, é, trailing space \n", crlf}) {
    LoadResult loaded = load(kLab);
    loaded.text = text;  // only the ConfigMap's data reads it
    std::vector<YAML::Node> docs = manifests(loaded, {"lab.yaml", "topo", ""});
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0]["data"]["spread.yaml"].as<std::string>(), text);
  }
}

TEST(K8s, FilesThatCannotRunOnAClusterAreErrors) {
  LoadResult no_hosts = load("name: one\nnodes: {r1: {}}\n");
  Diagnostics d1("lab.yaml", no_hosts.text);
  EXPECT_EQ(k8s_manifests(no_hosts, {"lab.yaml", "topo", ""}, d1), "");
  EXPECT_EQ(d1.render(),
            "lab.yaml: the file has no `hosts`: `topo k8s` runs a pod on each of its hosts "
            "(cluster nodes of the same names)\n");

  std::string text = kLab;
  text.replace(text.find("  r1: {}"), 8, "  r1: {files: {motd: {from: motd.txt}}}");
  LoadResult folder = load(text);
  Diagnostics d2("lab.yaml", folder.text);
  EXPECT_EQ(k8s_manifests(folder, {"lab.yaml", "topo", ""}, d2), "");
  ASSERT_EQ(d2.size(), 1u);
  EXPECT_EQ(d2.list()[0].pos.line, 7);
  EXPECT_NE(d2.list()[0].message.find("a ConfigMap carries only the topology file"),
            std::string::npos);
}

TEST(K8s, NamespaceNames) {
  EXPECT_TRUE(is_k8s_name("labs"));
  EXPECT_TRUE(is_k8s_name("lab-1"));
  EXPECT_FALSE(is_k8s_name(""));
  EXPECT_FALSE(is_k8s_name("Labs"));
  EXPECT_FALSE(is_k8s_name("-labs"));
  EXPECT_FALSE(is_k8s_name("labs-"));
  EXPECT_FALSE(is_k8s_name("lab.s"));
  EXPECT_FALSE(is_k8s_name(std::string(64, 'a')));
}

}  // namespace
}  // namespace topo
