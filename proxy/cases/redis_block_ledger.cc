// The fleet's day ledger (block_ledger.h): one hash per UTC day that every node adds to.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>

#include "proxy/cases/block_ledger.h"
#include "proxy/cases/case_store.h"
#include "proxy/cases/transparency.h"
#include "proxy/redis/client.h"

namespace shelter::proxy::cases {
namespace {

namespace asio = boost::asio;

// KEYS[1]: the batch's marker, KEYS[2..]: the days' hashes. ARGV[1]: seconds to keep a day,
// then per day: its count of fields, then field, count pairs. The marker makes a batch sent
// again (its reply was lost) add nothing the second time; one script: all counts or none.
constexpr std::string_view kAddBatch = R"lua(
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local at = 2
for k = 2, #KEYS do
  local n = tonumber(ARGV[at])
  for i = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[at + 2 * i - 1], ARGV[at + 2 * i])
  end
  redis.call('EXPIRE', KEYS[k], ARGV[1])
  at = at + 2 * n + 1
end
return 1
)lua";

class RedisBlockLedger final : public BlockLedger {
 public:
  RedisBlockLedger(std::shared_ptr<redis::Client> client, asio::any_io_executor executor,
                   std::string prefix)
      : client_(std::move(client)),
        executor_(std::move(executor)),
        days_(prefix + ":v1:blocks:"),
        batches_(prefix + ":v1:blocks-batch:") {}

  asio::awaitable<void> add(BlockBatch batch, std::int64_t retention_days) override {
    asio::awaitable<void> work = add_here(std::move(batch), retention_days);
    co_await asio::co_spawn(executor_, std::move(work), asio::use_awaitable);
  }

  asio::awaitable<BlockDays> read(std::string from, std::string to) override {
    asio::awaitable<BlockDays> work = read_here(std::move(from), std::move(to));
    co_return co_await asio::co_spawn(executor_, std::move(work), asio::use_awaitable);
  }

 private:
  // Coroutines: the arguments are pushed one by one (GCC 12 and braced lists of strings).
  asio::awaitable<void> add_here(BlockBatch batch, std::int64_t retention_days) {
    std::vector<std::string> keys;
    keys.push_back(batches_ + batch.id);
    std::vector<std::string> args;
    args.push_back(std::to_string((retention_days + 1) * 86400));
    for (const auto& [day, counts] : batch.days) {
      keys.push_back(days_ + day);
      args.push_back(std::to_string(counts.size()));
      for (const auto& [key, n] : counts) {
        args.push_back(key.first + "\t" + key.second);
        args.push_back(std::to_string(n));
      }
    }
    std::vector<std::string> command;
    command.reserve(3 + keys.size() + args.size());
    command.emplace_back("EVAL");
    command.emplace_back(kAddBatch);
    command.push_back(std::to_string(keys.size()));
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    redis::Result result = co_await client_->command(std::move(command));
    checked(result);
  }

  asio::awaitable<BlockDays> read_here(std::string from, std::string to) {
    BlockDays out;
    const std::optional<std::int64_t> first = parse_day(from);
    const std::optional<std::int64_t> last = parse_day(to);
    if (!first || !last) co_return out;
    for (std::int64_t day = *first; day <= *last; ++day) {
      const std::string name = day_name(day);
      const std::string key = days_ + name;
      redis::Result result = co_await client_->command("HGETALL", key);
      const redis::Reply& reply = checked(result);
      BlockCounts counts;
      for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
        const std::string& field = reply.elements[i].text;
        const std::size_t tab = field.find('\t');
        if (tab == std::string::npos) continue;
        counts[{field.substr(0, tab), field.substr(tab + 1)}] +=
            std::strtoull(reply.elements[i + 1].text.c_str(), nullptr, 10);
      }
      if (!counts.empty()) out[name] = std::move(counts);
    }
    co_return out;
  }

  static const redis::Reply& checked(const redis::Result& result) {
    if (!result.ok()) {
      throw StoreUnavailable("redis: " + std::string(redis::to_string(result.error().kind)));
    }
    if (result.reply().is_error()) throw StoreUnavailable("redis: " + result.reply().text);
    return result.reply();
  }

  std::shared_ptr<redis::Client> client_;
  asio::any_io_executor executor_;
  std::string days_;
  std::string batches_;
};

}  // namespace

std::shared_ptr<BlockLedger> make_redis_block_ledger(std::shared_ptr<redis::Client> client,
                                                     asio::any_io_executor executor,
                                                     std::string key_prefix) {
  return std::make_shared<RedisBlockLedger>(std::move(client), std::move(executor),
                                            std::move(key_prefix));
}

}  // namespace shelter::proxy::cases
