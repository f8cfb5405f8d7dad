#include "proxy/cases/case_json.h"

// Boost.JSON compiled here, once for every target that links shelter_cases.
#include <boost/json/src.hpp>

namespace shelter::proxy::cases {
namespace {

namespace json = boost::json;

std::string serialise(const json::object& object) {
  return json::serialize(object);
}

// Reads fields of one JSON object, remembering the first problem.
class Reader {
 public:
  Reader(std::string_view text, std::string& error) : error_(error) {
    json::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) {
      fail("not a JSON object");
      return;
    }
    object_ = std::move(value.as_object());
  }

  bool ok() const { return error_.empty(); }

  std::string string(std::string_view key, bool required = true) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      if (required) fail(std::string(key) + " is missing");
      return {};
    }
    if (!v->is_string()) {
      fail(std::string(key) + " is not a string");
      return {};
    }
    return std::string(v->as_string());
  }

  std::int64_t integer(std::string_view key, bool required = true) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) {
      if (required) fail(std::string(key) + " is missing");
      return 0;
    }
    if (!v->is_int64()) {
      fail(std::string(key) + " is not an integer");
      return 0;
    }
    return v->as_int64();
  }

  bool boolean(std::string_view key) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return false;
    if (!v->is_bool()) {
      fail(std::string(key) + " is not true or false");
      return false;
    }
    return v->as_bool();
  }

  template <typename T>
  T name(std::string_view key, std::optional<T> (*parse)(std::string_view)) {
    const std::string text = string(key);
    if (!ok()) return T{};
    std::optional<T> value = parse(text);
    if (!value) {
      fail(std::string(key) + " has an unknown value");
      return T{};
    }
    return *value;
  }

  const json::object* object(std::string_view key) {
    const json::value* v = object_.if_contains(key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      fail(std::string(key) + " is not an object");
      return nullptr;
    }
    return &v->as_object();
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

 private:
  json::object object_;
  std::string& error_;
};

}  // namespace

std::string to_json(const Appeal& a, Detail detail) {
  json::object o;
  o["id"] = a.id;
  o["created"] = a.created;
  o["route"] = route_name(a.route);
  o["status"] = status_name(a.status);
  o["site"] = a.site;
  o["reporter"] = reporter_name(a.reporter);
  o["list"] = a.list;
  o["category"] = a.category;
  o["legal"] = a.legal;
  o["why"] = a.why;
  o["decided"] = a.decided;
  o["decision_reason"] = a.decision_reason;
  o["decided_by"] = a.decided_by;
  if (detail != Detail::summary) {
    o["contact"] = a.contact;
    o["url"] = a.url;
    o["household"] = a.household;
    if (a.referral) {
      o["referral"] = json::object{{"delivered", a.referral->delivered},
                                   {"at", a.referral->at},
                                   {"detail", a.referral->detail}};
    }
  }
  if (detail == Detail::stored) o["secret_hash"] = a.secret_hash;
  return serialise(o);
}

std::string to_json(const AccessRequest& r) {
  json::object o;
  o["id"] = r.id;
  o["household"] = r.household;
  o["device"] = r.device;
  o["site"] = r.site;
  o["created"] = r.created;
  o["status"] = status_name(r.status);
  o["answer"] = r.answer ? answer_name(*r.answer) : "";
  o["answered"] = r.answered;
  o["until"] = r.until;
  o["answered_by"] = r.answered_by;
  return serialise(o);
}

std::string to_json(const Grant& g) {
  return serialise(json::object{{"household", g.household},
                                {"device", g.device},
                                {"site", g.site},
                                {"until", g.until},
                                {"request", g.request}});
}

std::string to_json(const OperatorAllow& a) {
  return serialise(json::object{{"site", a.site}, {"appeal", a.appeal}, {"since", a.since}});
}

std::optional<Appeal> appeal_from_json(std::string_view text, std::string& error) {
  error.clear();
  Reader r(text, error);
  Appeal a;
  a.id = r.string("id");
  a.secret_hash = r.string("secret_hash", false);
  a.created = r.integer("created");
  a.site = r.string("site");
  a.url = r.string("url", false);
  a.household = r.string("household", false);  // absent from records older than the field
  a.reporter = r.name<Reporter>("reporter", parse_reporter);
  a.why = r.string("why");
  a.contact = r.string("contact", false);
  a.route = r.name<Route>("route", parse_route);
  a.list = r.string("list");
  a.category = r.string("category");
  a.legal = r.boolean("legal");
  a.status = r.name<AppealStatus>("status", parse_appeal_status);
  a.decided = r.integer("decided");
  a.decision_reason = r.string("decision_reason");
  a.decided_by = r.string("decided_by");
  if (r.ok()) {
    if (const json::object* referral = r.object("referral")) {
      std::string inner_error;
      Reader inner(json::serialize(*referral), inner_error);
      Referral f;
      f.delivered = inner.boolean("delivered");
      f.at = inner.integer("at");
      f.detail = inner.string("detail");
      if (!inner.ok()) r.fail("referral: " + inner_error);
      a.referral = std::move(f);
    }
  }
  if (!r.ok()) return std::nullopt;
  return a;
}

std::optional<AccessRequest> request_from_json(std::string_view text, std::string& error) {
  error.clear();
  Reader r(text, error);
  AccessRequest q;
  q.id = r.string("id");
  q.household = r.string("household");
  q.device = r.string("device");
  q.site = r.string("site");
  q.created = r.integer("created");
  q.status = r.name<RequestStatus>("status", parse_request_status);
  const std::string answer = r.string("answer");
  if (r.ok() && !answer.empty()) {
    q.answer = parse_answer(answer);
    if (!q.answer) r.fail("answer has an unknown value");
  }
  q.answered = r.integer("answered");
  q.until = r.integer("until");
  q.answered_by = r.string("answered_by", false);
  if (!r.ok()) return std::nullopt;
  return q;
}

std::optional<Grant> grant_from_json(std::string_view text, std::string& error) {
  error.clear();
  Reader r(text, error);
  Grant g;
  g.household = r.string("household");
  g.device = r.string("device");
  g.site = r.string("site");
  g.until = r.integer("until");
  g.request = r.string("request");
  if (!r.ok()) return std::nullopt;
  return g;
}

std::optional<OperatorAllow> allow_from_json(std::string_view text, std::string& error) {
  error.clear();
  Reader r(text, error);
  OperatorAllow a;
  a.site = r.string("site");
  a.appeal = r.string("appeal");
  a.since = r.integer("since");
  if (!r.ok()) return std::nullopt;
  return a;
}

}  // namespace shelter::proxy::cases
