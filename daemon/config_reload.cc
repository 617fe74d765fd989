#include "daemon/config_reload.h"

#include <google/protobuf/text_format.h>

#include <memory>
#include <set>

namespace riskd::daemon {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::vector<std::string> Segments(std::string_view key) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    std::string seg(
        key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (seg.size() > 2 && seg.substr(seg.size() - 2) == "[]") seg.resize(seg.size() - 2);
    out.push_back(std::move(seg));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// `m` with only `field` kept, printed.
std::string FieldText(const Message& m, const FieldDescriptor* field) {
  std::unique_ptr<Message> copy(m.New());
  copy->CopyFrom(m);
  std::unique_ptr<Message> only(m.New());
  only->GetReflection()->SwapFields(copy.get(), only.get(), {field});
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  (void)printer.PrintToString(*only, &text);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string ElementName(const Message& m) {
  const auto* name = m.GetDescriptor()->FindFieldByName("name");
  return name && name->cpp_type() == FieldDescriptor::CPPTYPE_STRING
             ? m.GetReflection()->GetString(m, name)
             : std::string();
}

// Elements of a repeated group whose `name` is in `only` (all when null).
std::string Text(const Message& m, const std::vector<std::string>& segs, std::size_t i,
                 const std::set<std::string>* only = nullptr) {
  const auto* field = m.GetDescriptor()->FindFieldByName(segs[i]);
  if (!field) return "";
  if (i + 1 == segs.size()) return FieldText(m, field);
  const auto* r = m.GetReflection();
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return "";
  if (!field->is_repeated()) return Text(r->GetMessage(m, field), segs, i + 1, only);
  std::string out;
  for (int e = 0; e < r->FieldSize(m, field); ++e) {
    const Message& element = r->GetRepeatedMessage(m, field, e);
    if (only && !only->count(ElementName(element))) continue;
    out += "[" + ElementName(element) + "]" + Text(element, segs, i + 1) + ";";
  }
  return out;
}

// Names of the elements of the first repeated group on the key's path.
std::set<std::string> GroupNames(const Message& m, const std::vector<std::string>& segs) {
  const Message* at = &m;
  for (const auto& seg : segs) {
    const auto* field = at->GetDescriptor()->FindFieldByName(seg);
    if (!field || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) break;
    const auto* r = at->GetReflection();
    if (field->is_repeated()) {
      std::set<std::string> names;
      for (int e = 0; e < r->FieldSize(*at, field); ++e)
        names.insert(ElementName(r->GetRepeatedMessage(*at, field, e)));
      return names;
    }
    at = &r->GetMessage(*at, field);
  }
  return {};
}

// Whether the key differs. Through a repeated group, only elements both
// sides have count: adding or removing one is a change of its `name` key.
bool Changed(const Message& a, const Message& b, std::string_view key) {
  const auto segs = Segments(key);
  const bool through_group = key.find("[].") != std::string_view::npos;
  if (!through_group || segs.back() == "name") return Text(a, segs, 0) != Text(b, segs, 0);
  std::set<std::string> common;
  const auto names_b = GroupNames(b, segs);
  for (const auto& n : GroupNames(a, segs)) {
    if (names_b.count(n)) common.insert(n);
  }
  return Text(a, segs, 0, &common) != Text(b, segs, 0, &common);
}

// Copies the key's value from `from` into `to`; through repeated messages,
// element by element of the same name (elements only one side has are a
// change of the name key, not of this one).
void Copy(const Message& from, Message* to, const std::vector<std::string>& segs, std::size_t i) {
  const auto* field = to->GetDescriptor()->FindFieldByName(segs[i]);
  if (!field) return;
  const auto* r = to->GetReflection();
  // A live `name` key of a repeated group: its membership changes live, so
  // the whole group is taken.
  const bool whole_group = field->is_repeated() && i + 2 == segs.size() && segs[i + 1] == "name";
  if (i + 1 == segs.size() || whole_group) {
    std::unique_ptr<Message> source(from.New());
    source->CopyFrom(from);
    r->ClearField(to, field);
    r->SwapFields(source.get(), to, {field});
    return;
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return;
  if (!field->is_repeated()) {
    Copy(from.GetReflection()->GetMessage(from, field), r->MutableMessage(to, field), segs, i + 1);
    return;
  }
  const auto* fr = from.GetReflection();
  for (int e = 0; e < r->FieldSize(*to, field); ++e) {
    Message* element = r->MutableRepeatedMessage(to, field, e);
    const std::string name = ElementName(*element);
    for (int f = 0; f < fr->FieldSize(from, field); ++f) {
      const Message& candidate = fr->GetRepeatedMessage(from, field, f);
      if (ElementName(candidate) == name) {
        Copy(candidate, element, segs, i + 1);
        break;
      }
    }
  }
}

}  // namespace

std::string KeyValueText(const riskd::v1::DaemonConfig& config, std::string_view key) {
  return Text(config, Segments(key), 0);
}

Result<ReloadPlan> PlanReload(const DaemonSettings& running, const DaemonSettings& fresh) {
  ReloadPlan plan;
  riskd::v1::DaemonConfig merged = running.config;
  for (const SettingRow& row : SettingsTable()) {
    if (!Changed(running.config, fresh.config, row.key)) continue;
    if (row.reloads_live) {
      plan.live.emplace_back(row.key);
      Copy(fresh.config, &merged, Segments(row.key), 0);
    } else {
      plan.restart.emplace_back(row.key);
    }
  }
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(merged, &text)) {
    return Status::Internal("cannot print the merged config");
  }
  auto applied = ParseSettings(text, running.config_dir);
  if (!applied.ok()) return applied.status().WithContext("the live changes with the kept keys");
  plan.applied = std::move(*applied);
  plan.applied.accept_broken_journal = running.accept_broken_journal;
  plan.applied.reimport_network = running.reimport_network;
  return plan;
}

}  // namespace riskd::daemon
