// k8s.h - `topo k8s FILE`: Kubernetes manifests that run a lab spread over `hosts` on a
// cluster whose node names are the file's host names: a pod on each of them builds that host's
// part (`topo up --host NODE`) and takes it down when it stops.
#pragma once

#include <string>

#include "topo/language/diag.h"
#include "topo/language/loader.h"

namespace topo {

struct K8sOptions {
  std::string file;
  std::string image;       // an image with topo installed (and what the lab's nodes run)
  std::string name_space;  // "": the manifests name none (kubectl's current namespace)
};

// The manifests as YAML documents: a ConfigMap `topo-LAB` holding the file's bytes as LAB.yaml,
// and a DaemonSet `topo-LAB` restricted to the cluster nodes named as the file's hosts, whose
// privileged pod (host network; the host's /run/netns, /run/topo and /etc/netns) runs `topo up
// /etc/topo/LAB.yaml --host $NODE_NAME`, then waits, and runs `topo down LAB` on stop. "" with
// `diagnostics` said when the file cannot run so: no `hosts`, a file that reads its folder
// (a ConfigMap carries only the file), more than a ConfigMap holds.
std::string k8s_manifests(const LoadResult& loaded, const K8sOptions& options,
                          Diagnostics& diagnostics);

// The manifests on standard output: 0; 2 for a file they cannot be made of.
int cmd_k8s(const K8sOptions& options);

// A Kubernetes namespace's name: at most 63 of a-z, 0-9 and `-`, starting and ending with a
// letter or a digit (RFC 1123 label).
bool is_k8s_name(const std::string& name);

}  // namespace topo
