#include "proxy/server/requester.h"

namespace shelter::proxy::server {

Requester requester_of(const net::Address& client, const Runtime& runtime) {
  Requester r;
  r.subject = {.profile = &runtime.profiles->default_profile(),
               .zone = runtime.profiles->default_zone().get()};
  policy::ClientFacts facts;
  facts.source = client;
  policy::Identity identity =
      runtime.subscribers->identify(facts, runtime.config->subscribers.trust);
  if (!identity.subscriber) return r;
  r.who = identity.subscriber;
  const policy::GrantSet* grants = runtime.overrides->grants_for(r.who->household, r.who->device);
  r.subject.grants = grants;
  profiles::Found found = runtime.subscribers->find(r.who->household);
  if (found.household == nullptr) return r;
  r.keep_alive = std::move(found.keep_alive);
  r.subject = found.household->subject(r.who->device);
  r.subject.grants = grants;
  r.household = true;
  return r;
}

}  // namespace shelter::proxy::server
