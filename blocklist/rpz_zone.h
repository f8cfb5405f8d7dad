#pragma once
// Response Policy Zone files (draft-vixie-dnsop-dns-rpz), QNAME triggers only.
// Pure: bytes in, Rules out.

#include <string_view>

#include "blocklist/rule.h"

namespace shelter::blocklist {

/// Parses an RPZ zone in master-file syntax (RFC 1035 §5.1): `$ORIGIN` (absolute, or relative
/// to the current origin) and `$TTL` directives, owner names relative to the origin unless they
/// end in '.', `@` for the origin, a blank owner repeating the previous one, optional TTL
/// (`3600`, `1h30m`) and class `IN` in either order, parentheses across lines, `;` comments
/// outside quotes, case-insensitive types. Owner names go through normalise_domain (IDNA).
/// The zone apex is the owner of the first SOA; before an SOA, the first `$ORIGIN`. A file with
/// neither (feeds that leave the zone name to BIND's configuration: `@ SOA ...` and relative
/// owners) is read with relative names relative to the apex; an absolute owner in such a file
/// cannot be placed and is rejected. The trigger is the owner without the apex:
/// `bad.example.rpz.local.` in zone `rpz.local.` is `bad.example`.
/// - `name CNAME .` -> block, DnsAnswer::nxdomain; `CNAME *.` -> DnsAnswer::nodata;
///   `CNAME rpz-passthru.` (or the deprecated CNAME to the trigger name itself) ->
///   RuleAction::allow; `CNAME rpz-drop.` -> nxdomain too, because a client that gets no
///   answer retries and waits; `name A|AAAA addr` -> DnsAnswer::local_data with the address
///   (one rule per address record).
/// - `name` triggers scope self_only; `*.name` triggers below_only.
/// - Counted as skipped: SOA and NS records, directives, blank and comment lines (a record
///   spread over several lines counts once). Counted as unsupported: other trigger types
///   (owners under rpz-ip, rpz-nsdname, rpz-nsip, rpz-client-ip), `CNAME rpz-tcp-only.`, a
///   CNAME to any other name (local-data redirection), known record types other than CNAME,
///   A and AAAA (TXT, MX, ..., TYPEnnn), and BIND's `$GENERATE`.
/// - Rejected, with a line number and a message quoting the text: `$INCLUDE` (no file I/O
///   here), unknown directives and record types, invalid names and addresses, owners outside
///   the zone, policy records at the apex itself, a second SOA (all at the record's first
///   line), an unbalanced ')' or quote (at the line where it is), a '(' never closed (at its
///   record's first line). A record with an error is dropped whole; parsing goes on after it.
ParseSummary parse_rpz(std::string_view text, const RuleSink& sink);

}  // namespace shelter::blocklist
