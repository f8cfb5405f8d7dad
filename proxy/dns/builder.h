#pragma once
// Building messages: answers to a client (errors, block answers, relayed upstream answers, the
// OPT record with Extended DNS Errors of RFC 8914) and the queries we send upstream. Everything
// writes into a caller-owned buffer that is reused across queries.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/dns/message.h"

namespace shelter::proxy::dns {

/// One RFC 8914 Extended DNS Error option.
struct ExtendedError {
  std::uint16_t code = 0;
  std::string_view text;  ///< EXTRA-TEXT, UTF-8, may be empty
};

inline constexpr std::uint16_t kEdeForgedAnswer = 4;

/// Starts an answer to `query`: header (same ID and opcode, QR set, RA set for opcode QUERY
/// only, RD and CD copied, the given RCODE, counts zero but QDCOUNT) and the client's own
/// question bytes (so the case the client used comes back unchanged, which 0x20-randomising
/// clients check).
void begin_answer(Bytes packet, const Query& query, Rcode rcode, std::vector<std::uint8_t>& out);

/// Makes a message that answers the same question (an upstream or cached answer) the answer to
/// this client: the client's ID, RD and CD bits, RA set, TC, AA and Z cleared (a forwarder is
/// not the authority for what it relays), and the client's question bytes laid over the
/// message's (same length: the names are equal but for case).
void stamp_for_client(Bytes packet, const Query& query, std::vector<std::uint8_t>& message);

/// Copies an upstream response into `out` as the start of our answer to `query` (stamped for
/// the client, the upstream's OPT record removed). Returns false when the response cannot be
/// relayed so: its question is not laid out as the query's, or its OPT is not the last record.
bool adopt_upstream_answer(Bytes packet, const Query& query, Bytes upstream,
                           const Response& response, std::vector<std::uint8_t>& out);

/// Appends an A or AAAA record for the question name (compressed to the question) and counts it.
void append_address(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t ttl,
                    std::span<const std::uint8_t> address);

/// `query` asking for `name` instead (a dotted, lower-case name that encode_name accepts): the
/// same type, class, flags and EDNS. For safe search, which answers one name with another's
/// records. False when `name` is not a valid name.
bool retarget(const Query& query, std::string_view name, Query& out);

/// Appends, to an answer begun with begin_answer, a CNAME from the question name to the name
/// `target` asks for, then the A, AAAA and CNAME records of the answer section of
/// `target_answer` (a response to `target`), with their names written out in full. The CNAME
/// takes the smallest TTL of those records (`fallback_ttl` when there are none). Returns false,
/// appending nothing, when `target_answer` does not parse.
bool append_cname_chain(std::vector<std::uint8_t>& out, const Query& target, Bytes target_answer,
                        std::uint32_t fallback_ttl);

/// Lowers every record TTL above `max_ttl` to it (SOA MINIMUM too, which bounds negative
/// caching). A message that does not parse as a response is left as it is.
void cap_ttls(std::vector<std::uint8_t>& message, std::uint32_t max_ttl);

/// Ends an answer: clears AD unless the query set AD or DO; when the query had EDNS, appends
/// our OPT (payload size `udp_payload_size`, DO echoed, the extended errors). When the message is
/// larger than `max_size`, it is cut back to header and question with TC set, then the OPT is
/// appended again (RFC 6891 section 7) without "Forged Answer" (no record is left to be forged),
/// and without any EDE at all if even that does not fit.
void finish_answer(std::vector<std::uint8_t>& out, const Query& query,
                   std::uint16_t udp_payload_size, std::span<const ExtendedError> errors,
                   std::size_t max_size);

/// Largest answer the client can take: 65535 over TCP; over UDP its EDNS size capped by ours,
/// or 512 without EDNS.
std::size_t max_answer_size(const Query& query, bool over_tcp, std::uint16_t udp_payload_size);

/// A complete error answer (FORMERR, SERVFAIL, REFUSED, NOTIMP). Works for queries whose
/// question could not be read too: then the answer has no question section.
void build_error(Bytes packet, const Query& query, Rcode rcode, std::uint16_t udp_payload_size,
                 std::vector<std::uint8_t>& out);

/// The BADVERS answer (extended RCODE 16, RFC 6891 6.1.3) to a query whose EDNS version is not
/// 0: header RCODE 0, and our OPT (version 0) with the extended-RCODE byte 1.
void build_badvers(Bytes packet, const Query& query, std::uint16_t udp_payload_size,
                   std::vector<std::uint8_t>& out);

/// Appends, to an answer begun with begin_answer, a CHAOS-class TXT record for the question
/// name (TTL 0) holding `text` as one character-string (at most 255 bytes; longer is cut).
void append_chaos_txt(std::vector<std::uint8_t>& out, std::string_view text);

/// The query we send upstream for a client's query: a fresh ID (the caller draws it at random),
/// RD and CD as the client set them, the question in lower case, and an OPT of our own with the
/// client's DO bit. Nothing else of the client's message travels (no client EDNS options such
/// as Client Subnet or MAC addresses: privacy).
void build_upstream_query(const Query& query, std::uint16_t id, std::uint16_t udp_payload_size,
                          std::vector<std::uint8_t>& out);

}  // namespace shelter::proxy::dns
