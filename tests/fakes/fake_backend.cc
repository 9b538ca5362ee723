#include "tests/fakes/fake_backend.h"

#include "netlink/error.h"

namespace topo {

void FakeBackend::apply(const Plan& plan, const Action& action) {
  std::string text = describe(plan, action);
  if (fail_on && text.find(*fail_on) != std::string::npos)
    throw nl::Error("fake", text, "apply", EIO, "injected failure");
  log.push_back(text);
  auto slot = [&](const IfaceRef& r) {
    slots.push_back(plan.nodes[r.node].name + ":" + r.name + "@" + std::to_string(r.slot));
  };
  if (auto* b = std::get_if<CreateBridge>(&action)) slot(b->bridge);
  if (auto* v = std::get_if<CreateVeth>(&action)) {
    slot(v->a);
    slot(v->b);
    if (v->master_a) slot(*v->master_a);
  }
  if (auto* l = std::get_if<SetLink>(&action)) {
    slot(l->iface);
    if (l->master) slot(*l->master);
  }
}

void FakeBackend::create_netns(const Plan& plan, const std::vector<int>& nodes,
                               const NetnsMade& made) {
  for (int n : nodes) {
    apply(plan, CreateNetns{n});
    live_netns.insert(plan.nodes[n].netns);
    made(n, id_of(n));
  }
}

Backend::Removed FakeBackend::remove_netns(const std::string& netns, const nl::NetnsId&) {
  log.push_back("remove netns " + netns);
  return live_netns.erase(netns) ? Removed::yes : Removed::absent;
}

Backend::Removed FakeBackend::remove_veth(const Plan& plan, const DeleteVeth& veth) {
  apply(plan, veth);
  std::string end = plan.nodes[veth.iface.node].name + ":" + veth.iface.name;
  return not_ours.count(end) ? Removed::not_ours : Removed::yes;
}

Backend::Removed FakeBackend::remove_host_link(const std::string& iface, const std::string&) {
  log.push_back("remove host link " + iface);
  return Removed::yes;
}

Backend::Removed FakeBackend::remove_etc_link(const std::string& netns) {
  log.push_back("remove /etc/netns/" + netns);
  return Removed::yes;
}

std::vector<std::string> FakeBackend::stop_processes(const JournalState& state) {
  std::string text = "stop processes";
  for (const JournalDaemon& d : state.daemons) text += " " + d.node + "/" + d.name;
  log.push_back(text);
  return {};
}

}  // namespace topo
