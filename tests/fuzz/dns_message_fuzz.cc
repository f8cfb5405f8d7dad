// Fuzzes the DNS codec with untrusted bytes: as a client query (and every answer built for it)
// and as an upstream response (relayed, cached, and chained behind a safe-search CNAME).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "proxy/dns/builder.h"
#include "proxy/dns/cache.h"
#include "proxy/dns/edns_options.h"
#include "proxy/dns/message.h"

using namespace shelter::proxy::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes packet(data, size);
  std::vector<std::uint8_t> out;

  Query query;
  ParseStatus status = parse_query(packet, query);
  if (status != ParseStatus::drop) build_error(packet, query, Rcode::formerr, 1232, out);
  // NOTIMP and FORMERR answers read the OPT too: it must lie inside the packet whatever the parse.
  if (query.edns.options_offset + query.edns.options_length > size) __builtin_trap();
  if (status == ParseStatus::ok) {
    if (query.edns.options_offset + query.edns.options_length > size) __builtin_trap();
    ClientOptions client =
        read_client_options(packet.subspan(query.edns.options_offset, query.edns.options_length));
    if (client.subnet && client.subnet->source_prefix > 128) __builtin_trap();
    if (client.cpe_id && (client.cpe_id->empty() || client.cpe_id->size() > 64)) __builtin_trap();
    begin_answer(packet, query, Rcode::noerror, out);
    const std::uint8_t address[4] = {192, 0, 2, 1};
    append_address(out, qtype::kA, 60, address);
    ExtendedError errors[] = {{16, "fuzz"}, {kEdeForgedAnswer, {}}};
    finish_answer(out, query, 1232, errors, max_answer_size(query, false, 1232));
    build_upstream_query(query, 0x1234, 1232, out);
    Query again;
    if (parse_query(out, again) != ParseStatus::ok) __builtin_trap();
  }

  // The same bytes as an upstream response, to a query for the response's own question.
  Response response;
  if (parse_response(packet, response) == ParseStatus::ok) {
    std::vector<std::uint8_t> asked_packet(kHeaderSize, 0);
    write_u16(&asked_packet[kOffQdcount], 1);
    asked_packet.insert(asked_packet.end(), response.name_wire.begin(),
                        response.name_wire.begin() + response.name_wire_length);
    append_u16(asked_packet, response.qtype);
    append_u16(asked_packet, response.qclass);
    Query asked;
    if (parse_query(asked_packet, asked) != ParseStatus::ok) __builtin_trap();
    if (adopt_upstream_answer(asked_packet, asked, packet, response, out)) {
      ResponseCache cache(CacheLimits{.max_entries = 4});
      auto now = CacheClock::now();
      cache.insert(asked, out, response, now);
      std::vector<std::uint8_t> served;
      cache.lookup(asked_packet, asked, now + std::chrono::seconds(1), served);
    }
    // Safe search: the response as the safe endpoint's answer, chained behind a CNAME.
    Query client;
    if (retarget(asked, "www.example.com", client)) {
      begin_answer(asked_packet, asked, Rcode::noerror, out);
      append_cname_chain(out, asked, packet, 60);
      cap_ttls(out, 30);
    }
  }
  // And as an answer whose records are chained whatever its header says.
  append_cname_chain(out, query, packet, 60);
  return 0;
}
