#include "weft/http/h2_client_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "weft/http/h2_client.hpp"

namespace weft::http {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The connection's coroutine owns it: it lives exactly as long as its I/O does.
asio::awaitable<void> run_owned(std::unique_ptr<H2Client> client) {
  co_await client->run_connection();
}

}  // namespace

H2ClientPool::H2ClientPool(asio::any_io_executor executor) : executor_(std::move(executor)) {}

H2ClientPool::~H2ClientPool() = default;

H2Client& H2ClientPool::connection(const HttpContext& ctx, const tcp::endpoint& target,
                                   const discovery::Endpoint* endpoint) {
  auto it = current_.find(target);
  if (it != current_.end() && it->second->usable()) return *it->second;
  auto client = std::make_unique<H2Client>(*this, ctx, target);
  if (tls::meshed(ctx.mesh, endpoint)) client->use_mtls(*endpoint);
  H2Client& ref = *client;
  current_[target] = &ref;
  asio::co_spawn(executor_, run_owned(std::move(client)), asio::detached);
  return ref;
}

H2Stream* H2ClientPool::acquire_stream() {
  if (free_.empty()) {
    all_.push_back(std::make_unique<H2Stream>());
    return all_.back().get();
  }
  H2Stream* s = free_.back();
  free_.pop_back();
  return s;
}

void H2ClientPool::release_if_unused(H2Stream* s) noexcept {
  if (s->server != nullptr || s->endpoint != nullptr) return;
  s->reset();
  free_.push_back(s);
}

void H2ClientPool::forget(const H2Client* client) noexcept {
  for (auto it = current_.begin(); it != current_.end(); ++it) {
    if (it->second == client) {
      current_.erase(it);
      return;
    }
  }
}

}  // namespace weft::http
