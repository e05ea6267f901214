// Lease: a request's pending mark on the endpoint it was sent to, and the way its outcome (first
// byte, connect failure) reaches the endpoint's estimate and backoff.
#include <utility>

#include "weft/balance/balancer.hpp"

namespace weft::balance {

Lease::Lease(std::shared_ptr<EndpointState> endpoint, std::shared_ptr<Balancer> balancer,
             Clock::time_point now) noexcept
    : endpoint_(std::move(endpoint)), balancer_(std::move(balancer)), picked_(now) {
  if (endpoint_ != nullptr) {
    ++endpoint_->pending;
    pending_ = true;
  }
}

Lease::Lease(Lease&& other) noexcept
    : endpoint_(std::move(other.endpoint_)),
      balancer_(std::move(other.balancer_)),
      picked_(other.picked_),
      pending_(std::exchange(other.pending_, false)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    endpoint_ = std::move(other.endpoint_);
    balancer_ = std::move(other.balancer_);
    picked_ = other.picked_;
    pending_ = std::exchange(other.pending_, false);
  }
  return *this;
}

Lease::~Lease() { release(); }

void Lease::first_byte(Clock::time_point now) noexcept {
  if (!pending_) return;
  endpoint_->ewma.observe(now - picked_, now);
  release();
}

void Lease::connected(Clock::time_point now) noexcept {
  if (endpoint_ == nullptr) return;
  endpoint_->connect_failures = 0;
  picked_ = now;
}

void Lease::connect_failed(Clock::time_point now) noexcept {
  if (endpoint_ == nullptr) return;
  if (balancer_ != nullptr) balancer_->on_connect_failed(*endpoint_, now);
  release();
}

void Lease::release() noexcept {
  if (!pending_) return;
  pending_ = false;
  --endpoint_->pending;
}

}  // namespace weft::balance
