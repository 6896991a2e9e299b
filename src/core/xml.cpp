#include "core/xml.hpp"

#include "vbackup/error.hpp"

#include <expat.h>

#include <memory>

namespace vbackup::xml {
namespace {

constexpr int kMaxDepth = 64;

std::string local_name(const XML_Char* name) {
  std::string_view n(name);
  auto colon = n.rfind(':');
  return std::string(colon == std::string_view::npos ? n : n.substr(colon + 1));
}

struct Builder {
  Element root;
  std::vector<Element*> stack;
  bool seen_root = false;
  std::string failure;
  XML_Parser parser = nullptr;

  void stop(std::string why) {
    if (failure.empty()) failure = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }

  static void on_start(void* user, const XML_Char* name, const XML_Char** attrs) {
    auto* b = static_cast<Builder*>(user);
    if (b->stack.size() >= kMaxDepth) return b->stop("elements nested deeper than 64 levels");
    Element* e;
    if (b->stack.empty()) {
      if (b->seen_root) return b->stop("more than one root element");
      b->seen_root = true;
      e = &b->root;
    } else {
      b->stack.back()->children.emplace_back();
      e = &b->stack.back()->children.back();
    }
    e->name = local_name(name);
    for (int i = 0; attrs[i]; i += 2) e->attributes.emplace_back(local_name(attrs[i]), attrs[i + 1]);
    b->stack.push_back(e);
  }
  static void on_end(void* user, const XML_Char*) { static_cast<Builder*>(user)->stack.pop_back(); }
  static void on_text(void* user, const XML_Char* s, int len) {
    auto* b = static_cast<Builder*>(user);
    if (!b->stack.empty()) b->stack.back()->text.append(s, static_cast<std::size_t>(len));
  }
  static void on_doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Builder*>(user)->stop("a DTD is not allowed");
  }
  static void on_entity(void* user, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                        const XML_Char*, const XML_Char*) {
    static_cast<Builder*>(user)->stop("an entity declaration is not allowed");
  }
};

}  // namespace

const Element* Element::child(std::string_view child_name) const {
  for (const auto& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::vector<const Element*> Element::all(std::string_view child_name) const {
  std::vector<const Element*> out;
  for (const auto& c : children) {
    if (c.name == child_name) out.push_back(&c);
  }
  return out;
}

std::string Element::child_text(std::string_view child_name) const {
  const Element* c = child(child_name);
  return c ? c->text : std::string();
}

std::optional<std::string> Element::attribute(std::string_view attr_name) const {
  for (const auto& [k, v] : attributes) {
    if (k == attr_name) return v;
  }
  return std::nullopt;
}

Element parse(std::string_view document, std::string_view what) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                                      &XML_ParserFree);
  if (!parser) throw Error(ErrorCode::generic, std::string(what) + ": cannot create an XML parser");
  Builder b;
  b.parser = parser.get();
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), &Builder::on_start, &Builder::on_end);
  XML_SetCharacterDataHandler(parser.get(), &Builder::on_text);
  XML_SetStartDoctypeDeclHandler(parser.get(), &Builder::on_doctype);
  XML_SetEntityDeclHandler(parser.get(), &Builder::on_entity);
  if (document.size() > static_cast<std::size_t>(INT32_MAX)) {
    throw Error(ErrorCode::storage, std::string(what) + ": XML document too large");
  }
  XML_Status st = XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), XML_TRUE);
  if (st != XML_STATUS_OK || !b.failure.empty() || !b.seen_root) {
    std::string reason = !b.failure.empty() ? b.failure
                         : st != XML_STATUS_OK ? XML_ErrorString(XML_GetErrorCode(parser.get()))
                                               : "no root element";
    throw Error(ErrorCode::storage, std::string(what) + ": not valid XML (line " +
                                        std::to_string(XML_GetCurrentLineNumber(parser.get())) + ", column " +
                                        std::to_string(XML_GetCurrentColumnNumber(parser.get()) + 1) + "): " + reason);
  }
  return std::move(b.root);
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace vbackup::xml
