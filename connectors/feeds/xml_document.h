// XmlElement: a small namespace-aware DOM for feed documents, built with
// expat. Elements are identified by (namespace URI, local name), so
// documents that bind the same namespace to another prefix read the same.
// Character data directly inside an element is concatenated into `text`.
// External entities are never loaded; depth and size are bounded.
#ifndef RISKD_CONNECTORS_FEEDS_XML_DOCUMENT_H_
#define RISKD_CONNECTORS_FEEDS_XML_DOCUMENT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace riskd::connectors {

struct XmlElement {
  std::string ns;                                               // namespace URI, "" if none
  std::string name;                                             // local name
  std::vector<std::pair<std::string, std::string>> attributes;  // (local name, value)
  std::string text;
  std::vector<XmlElement> children;

  // First child with this namespace and local name, or nullptr.
  const XmlElement* Child(std::string_view ns_uri, std::string_view local) const;
  // All such children, in document order.
  std::vector<const XmlElement*> Children(std::string_view ns_uri, std::string_view local) const;
  // Trimmed text of Child(ns_uri, local), or "" if absent.
  std::string_view ChildText(std::string_view ns_uri, std::string_view local) const;
  // Attribute value by local name, or "" if absent.
  std::string_view Attribute(std::string_view local) const;
};

struct XmlOptions {
  // Deeper nesting is an error. Default 64.
  std::size_t max_depth = 64;
  // Larger documents are an error. Default 64 MiB.
  std::size_t max_bytes = std::size_t{64} << 20;
};

// The root element; InvalidArgument naming line and reason if not well formed.
Result<XmlElement> ParseXml(std::string_view document, const XmlOptions& options = {});

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_FEEDS_XML_DOCUMENT_H_
