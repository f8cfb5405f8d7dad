#include "proxy/admin/transparency_api.h"

#include "proxy/admin/api_reply.h"
#include "proxy/clock.h"

namespace shelter::proxy::admin {

boost::asio::awaitable<http::Response> transparency(const http::Request& request,
                                                    const server::RuntimeHolder& runtime,
                                                    server::BlockTally& tally,
                                                    cases::CaseStore* store, bool csv) {
  const std::int64_t now = clock::now();
  std::string error;
  const std::string from = query_value(request, "from");
  const std::string to = query_value(request, "to");
  const std::optional<cases::Period> period =
      cases::parse_period(from, to, cases::day_of(now), error);
  if (!period) co_return error_answer(400, error);
  const std::shared_ptr<const server::Runtime> current = runtime.current();
  std::string failure;
  try {
    const cases::Report report =
        co_await server::transparency_report(tally, store, *current, *period, now);
    if (!csv) co_return json_answer(200, cases::report_json(report));
    http::Response response;
    response.status = 200;
    response.content_type = "text/csv; charset=utf-8";
    response.body = cases::report_csv(report);
    co_return response;
  } catch (const cases::StoreUnavailable& e) {
    failure = e.what();
  }
  co_return error_answer(503, failure);
}

}  // namespace shelter::proxy::admin
