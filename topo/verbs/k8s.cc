#include "topo/verbs/k8s.h"

#include <cstdio>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "topo/verbs/fleet.h"
#include "topo/verbs/lab_common.h"

namespace topo {

namespace {

// What a ConfigMap holds, all its data together (etcd's limit on an object).
constexpr size_t kConfigMapBytes = 1 << 20;
// How long a pod has to take its part down once told to stop.
constexpr int kGraceSeconds = 300;

// Whether yaml-cpp's literal block (`|`) gives back exactly `text`: one final newline (the
// block keeps one), a first line not indented (the block's indentation is read from it), no
// carriage return, control character or line break of YAML's other than \n. Else the text goes
// double-quoted, with escapes.
bool literal_keeps(const std::string& text) {
  if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n') return false;
  size_t first = text.find_first_not_of('\n');
  if (text[first] == ' ' || text[first] == '\t') return false;
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  for (const char* other_break : {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbb\xbf"})
    if (text.find(other_break) != std::string::npos) return false;
  return true;
}

void text_value(YAML::Emitter& out, const std::string& text) {
  if (literal_keeps(text)) out << YAML::Literal;
  out << text;
}

void metadata(YAML::Emitter& out, const std::string& name, const K8sOptions& options,
              const std::string& lab) {
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  if (!options.name_space.empty())
    out << YAML::Key << "namespace" << YAML::Value << options.name_space;
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << "topo";
  out << YAML::Key << "app.kubernetes.io/instance" << YAML::Value << lab;
  out << YAML::EndMap << YAML::EndMap;
}

void labels(YAML::Emitter& out, const std::string& lab) {
  out << YAML::BeginMap;
  out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << "topo";
  out << YAML::Key << "app.kubernetes.io/instance" << YAML::Value << lab;
  out << YAML::EndMap;
}

// A directory of the host's, the same path in the pod.
struct HostDir {
  const char* volume;
  const char* path;
  bool bidirectional;  // mounts made in the pod (the namespaces' files) seen by the host
};
constexpr HostDir kHostDirs[] = {{"netns", "/run/netns", true},
                                 {"topo-run", "/run/topo", true},
                                 {"etc-netns", "/etc/netns", false}};

// The pod's script: up (a failed up rolls back and the pod restarts it), wait, and down when
// told to stop (the preStop hook has run `topo down` already; the trap, for a stop without it).
std::string pod_script(const std::string& lab, const std::string& file) {
  return fmt::format(
      "trap 'topo down {0}; exit 0' TERM INT\n"
      "topo up {1} --host \"$NODE_NAME\" || exit 1\n"
      "sleep infinity &\n"
      "wait $!\n",
      lab, file);
}

void container(YAML::Emitter& out, const Topology& t, const K8sOptions& options,
               const std::string& file) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "topo";
  out << YAML::Key << "image" << YAML::Value << options.image;
  out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq << "/bin/sh"
      << "-c";
  text_value(out, pod_script(t.name, file));
  out << YAML::EndSeq;
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << "NODE_NAME";
  out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key << "fieldRef"
      << YAML::Value << YAML::BeginMap << YAML::Key << "fieldPath" << YAML::Value << "spec.nodeName"
      << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key
      << "privileged" << YAML::Value << true << YAML::EndMap;
  out << YAML::Key << "lifecycle" << YAML::Value << YAML::BeginMap << YAML::Key << "preStop"
      << YAML::Value << YAML::BeginMap << YAML::Key << "exec" << YAML::Value << YAML::BeginMap
      << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq << "topo"
      << "down" << t.name << YAML::EndSeq << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
  for (const HostDir& d : kHostDirs) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.volume;
    out << YAML::Key << "mountPath" << YAML::Value << d.path;
    if (d.bidirectional) out << YAML::Key << "mountPropagation" << YAML::Value << "Bidirectional";
    out << YAML::EndMap;
  }
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "lab";
  out << YAML::Key << "mountPath" << YAML::Value << "/etc/topo";
  out << YAML::Key << "readOnly" << YAML::Value << true << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
}

// Only on the cluster nodes named as the file's hosts (whatever their taints: they were named).
void placement(YAML::Emitter& out, const Topology& t) {
  out << YAML::Key << "affinity" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "nodeAffinity" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "requiredDuringSchedulingIgnoredDuringExecution" << YAML::Value
      << YAML::BeginMap << YAML::Key << "nodeSelectorTerms" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "matchExpressions" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "key" << YAML::Value << "kubernetes.io/hostname";
  out << YAML::Key << "operator" << YAML::Value << "In";
  out << YAML::Key << "values" << YAML::Value << YAML::BeginSeq;
  for (const Host& h : t.hosts) out << h.name;
  out << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "tolerations" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "operator" << YAML::Value << "Exists" << YAML::EndMap << YAML::EndSeq;
}

void daemon_set(YAML::Emitter& out, const Topology& t, const K8sOptions& options,
                const std::string& name, const std::string& key) {
  out << YAML::BeginDoc << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "apps/v1";
  out << YAML::Key << "kind" << YAML::Value << "DaemonSet";
  metadata(out, name, options, t.name);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels"
      << YAML::Value;
  labels(out, t.name);
  out << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "labels"
      << YAML::Value;
  labels(out, t.name);
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "hostNetwork" << YAML::Value << true;
  out << YAML::Key << "dnsPolicy" << YAML::Value << "ClusterFirstWithHostNet";
  out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value << kGraceSeconds;
  placement(out, t);
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  container(out, t, options, "/etc/topo/" + key);
  out << YAML::EndSeq;
  out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
  for (const HostDir& d : kHostDirs)
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.volume << YAML::Key
        << "hostPath" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << d.path << YAML::Key << "type" << YAML::Value << "DirectoryOrCreate" << YAML::EndMap
        << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "lab" << YAML::Key << "configMap"
      << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::EndMap
      << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

}  // namespace

bool is_k8s_name(const std::string& name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-') return false;
  return true;
}

std::string k8s_manifests(const LoadResult& loaded, const K8sOptions& options,
                          Diagnostics& diagnostics) {
  const Topology& t = loaded.topology;
  if (t.hosts.empty())
    diagnostics.error({},
                      "the file has no `hosts`: `topo k8s` runs a pod on each of its hosts "
                      "(cluster nodes of the same names)");
  if (std::optional<Pos> at = reads_its_folder(t))
    diagnostics.error(*at,
                      "the lab reads a file of its folder: a ConfigMap carries only the "
                      "topology file (put the text inline with `files:`, or build the "
                      "folder into the image and run topo there)");
  if (loaded.text.size() > kConfigMapBytes)
    diagnostics.error({}, fmt::format("the file is {} bytes: a ConfigMap holds at most 1 MiB",
                                      loaded.text.size()));
  if (!diagnostics.empty()) return "";
  // Lab names are lower-case letters, digits and `-`, at most 32: a valid object name and key.
  std::string name = "topo-" + t.name, key = t.name + ".yaml";
  YAML::Emitter out;
  out << YAML::Comment(
      fmt::format("lab {} from {}, by topo k8s: kubectl apply -f FILE; kubectl "
                  "delete -f FILE takes it down",
                  t.name, t.file));
  out << YAML::BeginDoc << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "ConfigMap";
  metadata(out, name, options, t.name);
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap << YAML::Key << key << YAML::Value;
  text_value(out, loaded.text);
  out << YAML::EndMap << YAML::EndMap;
  daemon_set(out, t, options, name, key);
  return std::string(out.c_str()) + "\n";
}

int cmd_k8s(const K8sOptions& options) {
  auto loaded = load_checked(options.file);
  if (!loaded) return kInvalid;
  Diagnostics diagnostics(loaded->topology.file, loaded->text);
  std::string yaml = k8s_manifests(*loaded, options, diagnostics);
  if (!diagnostics.empty()) {
    std::fputs(diagnostics.render().c_str(), stderr);
    return kInvalid;
  }
  std::fputs(yaml.c_str(), stdout);
  return kOk;
}

}  // namespace topo
