#include "weft/app/worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "weft/net/listener.hpp"

namespace weft::app {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// TLS labels of plaintext connections, Linkerd's on each side; mTLS sets its own per connection.
constexpr auto kNoTlsFromRemote = metrics::TlsRef::no_identity("no_tls_from_remote");
constexpr auto kLoopback = metrics::TlsRef::no_identity("loopback");
constexpr auto kNotProvidedByDiscovery =
    metrics::TlsRef::no_identity("not_provided_by_service_discovery");

// Backoff after accept fails for lack of descriptors or memory, so the loop does not spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

}  // namespace

namespace {

// The worker's mailbox: an eventfd that other threads write to wake the worker's loop. Startup
// only, so a failure is an exception.
int make_mailbox() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    throw boost::system::system_error(errno, boost::system::system_category(), "eventfd");
  }
  return fd;
}

}  // namespace

Worker::Worker(const WorkerSetup& setup)
    : mailbox_(ioc_, make_mailbox()),
      inbound_h1_pool_(ioc_.get_executor(), setup.config->inbound_http.http1_pool_idle_timeout,
                       setup.config->inbound_http.http1_max_idle_conns_per_endpoint),
      outbound_h1_pool_(ioc_.get_executor(), setup.config->outbound_http.http1_pool_idle_timeout,
                        setup.config->outbound_http.http1_max_idle_conns_per_endpoint) {
  // Made here, not in the initializer list: they are declared (and so built) before ioc_.
  h2_inbound_ = std::make_unique<http::H2ClientPool>(ioc_.get_executor());
  h2_outbound_ = std::make_unique<http::H2ClientPool>(ioc_.get_executor());
  const auto& config = *setup.config;
  if (setup.identity != nullptr) mesh_ = std::make_unique<tls::Mesh>(*setup.identity);
  router_ = std::make_unique<http::Router>(ioc_.get_executor(), *setup.destinations, config,
                                           setup.workers, std::random_device{}(),
                                           &setup.metrics->balancer());
  const auto http = [&](metrics::Direction direction) {
    const bool in = direction == metrics::Direction::inbound;
    return http::HttpContext{
        .direction = direction,
        .connect_timeout = in ? config.inbound_connect_timeout : config.outbound_connect_timeout,
        .idle_timeout = config.tcp_idle_timeout,
        .config = in ? &config.inbound_http : &config.outbound_http,
        .h2_client = &config.h2_client,
        .http1_max_head_bytes = config.http1_max_head_bytes,
        .client_tls = in ? kNoTlsFromRemote : kLoopback,
        .endpoint_tls = in ? kLoopback : kNotProvidedByDiscovery,
        .metrics = setup.metrics,
        .buffers = &buffers_,
        .pipes = &pipes_,
        .drain = &drain_,
        .h1_pool = in ? &inbound_h1_pool_ : &outbound_h1_pool_,
        .h2_pool = in ? h2_inbound_.get() : h2_outbound_.get(),
        .router = in ? nullptr : router_.get(),
        .mesh = mesh_.get()};
  };
  add_listener(setup.inbound_listen, {.direction = metrics::Direction::inbound,
                                      .local = {},
                                      .orig_dst = setup.inbound_orig_dst,
                                      .connect_timeout = config.inbound_connect_timeout,
                                      .idle_timeout = config.tcp_idle_timeout,
                                      .detect_timeout = config.inbound_detect_timeout,
                                      .opaque_ports = &config.inbound_opaque_ports,
                                      .client_tls = kNoTlsFromRemote,
                                      .endpoint_tls = kLoopback,
                                      .mesh = mesh_.get(),
                                      .require_identity_ports =
                                          &config.inbound_require_identity_ports,
                                      .require_identity_all = config.inbound_require_identity_all,
                                      .metrics = setup.metrics,
                                      .buffers = &buffers_,
                                      .pipes = &pipes_,
                                      .http = http(metrics::Direction::inbound)});
  for (const auto& addr : setup.outbound_listen) {
    add_listener(addr, {.direction = metrics::Direction::outbound,
                        .local = {},
                        .orig_dst = setup.outbound_orig_dst,
                        .connect_timeout = config.outbound_connect_timeout,
                        .idle_timeout = config.tcp_idle_timeout,
                        .detect_timeout = config.outbound_detect_timeout,
                        .opaque_ports = &config.outbound_opaque_ports,
                        .client_tls = kLoopback,
                        .endpoint_tls = kNotProvidedByDiscovery,
                        .metrics = setup.metrics,
                        .buffers = &buffers_,
                        .pipes = &pipes_,
                        .http = http(metrics::Direction::outbound)});
  }
}

Worker::~Worker() {
  stop();
  // Abandoned connections' frames first, while everything they reference is alive (members are
  // otherwise destroyed in reverse order, listeners and pools before the io_context).
  ioc_.shutdown();
  // The balancers' timers belong to ioc_'s timer service: they must go while ioc_ still exists
  // (router_ is declared, and so destroyed, after it otherwise).
  router_.reset();
}

void Worker::add_listener(const tcp::endpoint& addr, ListenerContext ctx) {
  auto acceptor = net::make_listener(ioc_, addr);
  ctx.local = acceptor.local_endpoint();
  listeners_.push_back(std::make_unique<Listener>(Listener{std::move(acceptor), ctx}));
}

std::vector<tcp::endpoint> Worker::endpoints(metrics::Direction direction) const {
  std::vector<tcp::endpoint> out;
  for (const auto& l : listeners_) {
    if (l->ctx.direction == direction) out.push_back(l->ctx.local);
  }
  return out;
}

void Worker::start() {
  for (auto& l : listeners_) asio::co_spawn(ioc_, accept_loop(l->acceptor, l->ctx), asio::detached);
  asio::co_spawn(ioc_, serve_mailbox(), asio::detached);
  thread_ = std::thread([this] { ioc_.run(); });
}

void Worker::send(unsigned request) noexcept {
  requests_.fetch_or(request, std::memory_order_release);
  const std::uint64_t one = 1;
  // An eventfd write only fails when the counter would overflow, which 2^64-2 wakes never do.
  [[maybe_unused]] const auto n = ::write(mailbox_.native_handle(), &one, sizeof one);
}

void Worker::stop_accepting() { send(kDrain); }

void Worker::stop() {
  if (!thread_.joinable()) return;
  send(kStop);
  thread_.join();
}

asio::awaitable<void> Worker::serve_mailbox() {
  for (;;) {
    auto [ec] = co_await mailbox_.async_wait(asio::posix::stream_descriptor::wait_read,
                                             asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(mailbox_.native_handle(), &count, sizeof count);
    const unsigned requests = requests_.exchange(0, std::memory_order_acquire);
    if ((requests & kDrain) != 0) {
      boost::system::error_code ignored;
      for (auto& l : listeners_) l->acceptor.close(ignored);
      drain_.start();
      inbound_h1_pool_.close_all();
      outbound_h1_pool_.close_all();
    }
    if ((requests & kStop) != 0) {
      ioc_.stop();
      co_return;
    }
  }
}

asio::awaitable<void> Worker::accept_loop(tcp::acceptor& acceptor, const ListenerContext& ctx) {
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("accept on {}:{} failed: {}", ctx.local.address().to_string(), ctx.local.port(),
                   ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        asio::steady_timer backoff(ioc_, kAcceptBackoff);
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      continue;
    }
    active_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(ioc_, forward_tcp(ctx, std::move(socket)), [this](std::exception_ptr e) {
      active_.fetch_sub(1, std::memory_order_release);
      if (e) {
        // A bug, not a network failure: log it and keep serving every other connection.
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("internal error serving a connection: {}", ex.what());
        } catch (...) {
          spdlog::error("internal error serving a connection: unknown exception");
        }
      }
    });
  }
}

}  // namespace weft::app
