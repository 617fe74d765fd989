#include "connectors/feeds/xml_document.h"

#include <expat.h>

#include <memory>

#include "connectors/csv/csv_reader.h"

namespace riskd::connectors {
namespace {

constexpr char kNamespaceSeparator = '\x01';

struct Builder {
  const XmlOptions* options = nullptr;
  XML_Parser parser = nullptr;
  XmlElement root;
  std::vector<XmlElement*> stack;
  bool has_root = false;
  std::string error;
};

// "uri\x01local" or "local" -> (uri, local).
std::pair<std::string, std::string> SplitName(const char* qualified) {
  std::string_view q(qualified);
  const auto sep = q.find(kNamespaceSeparator);
  if (sep == std::string_view::npos) return {"", std::string(q)};
  return {std::string(q.substr(0, sep)), std::string(q.substr(sep + 1))};
}

void Fail(Builder* b, std::string message) {
  if (b->error.empty()) b->error = std::move(message);
  XML_StopParser(b->parser, XML_FALSE);
}

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* b = static_cast<Builder*>(data);
  if (b->stack.size() >= b->options->max_depth) {
    Fail(b, "nesting deeper than " + std::to_string(b->options->max_depth));
    return;
  }
  XmlElement* element = nullptr;
  if (b->stack.empty()) {
    element = &b->root;
    b->has_root = true;
  } else {
    b->stack.back()->children.emplace_back();
    element = &b->stack.back()->children.back();
  }
  auto [ns, local] = SplitName(name);
  element->ns = std::move(ns);
  element->name = std::move(local);
  for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
    element->attributes.emplace_back(SplitName(attrs[i]).second, attrs[i + 1]);
  }
  b->stack.push_back(element);
}

void XMLCALL OnEnd(void* data, const XML_Char* /*name*/) {
  static_cast<Builder*>(data)->stack.pop_back();
}

void XMLCALL OnText(void* data, const XML_Char* text, int len) {
  auto* b = static_cast<Builder*>(data);
  if (!b->stack.empty()) b->stack.back()->text.append(text, static_cast<std::size_t>(len));
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view ns_uri, std::string_view local) const {
  for (const auto& c : children) {
    if (c.name == local && c.ns == ns_uri) return &c;
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view ns_uri,
                                                    std::string_view local) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children) {
    if (c.name == local && c.ns == ns_uri) out.push_back(&c);
  }
  return out;
}

std::string_view XmlElement::ChildText(std::string_view ns_uri, std::string_view local) const {
  const XmlElement* c = Child(ns_uri, local);
  return c ? Trim(c->text) : std::string_view();
}

std::string_view XmlElement::Attribute(std::string_view local) const {
  for (const auto& [k, v] : attributes) {
    if (k == local) return v;
  }
  return {};
}

Result<XmlElement> ParseXml(std::string_view document, const XmlOptions& options) {
  if (document.size() > options.max_bytes) {
    return Status::InvalidArgument("XML document larger than " + std::to_string(options.max_bytes) +
                                   " bytes");
  }
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
      XML_ParserCreateNS(nullptr, kNamespaceSeparator), &XML_ParserFree);
  if (!parser) return Status::Internal("cannot create an XML parser");
  Builder b;
  b.options = &options;
  b.parser = parser.get();
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnText);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  // Feed in chunks: XML_Parse takes an int length.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(kChunk, document.size() - pos);
    const bool last = pos + n == document.size();
    if (XML_Parse(parser.get(), document.data() + pos, static_cast<int>(n), last) !=
        XML_STATUS_OK) {
      std::string reason =
          b.error.empty() ? XML_ErrorString(XML_GetErrorCode(parser.get())) : b.error;
      return Status::InvalidArgument(
          "XML line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " + reason);
    }
    pos += n;
  } while (pos < document.size());
  if (!b.has_root) return Status::InvalidArgument("XML document has no root element");
  return std::move(b.root);
}

}  // namespace riskd::connectors
