#include "weft/tls/session_cache.hpp"

namespace weft::tls {

namespace {

// What a connection's SSL carries so that a ticket arriving any time during the connection
// reaches its worker's cache under its endpoint's key. Freed with the SSL.
struct Slot {
  std::shared_ptr<SessionCache> cache;
  std::string key;
};

void free_slot(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Slot*>(ptr);
}

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_slot);
  return index;
}

}  // namespace

int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<Slot*>(SSL_get_ex_data(ssl, slot_index()));
  if (slot == nullptr || !SSL_SESSION_is_resumable(session)) return 0;
  slot->cache->keep(slot->key, session);
  return 1;  // the cache owns the reference now
}

void SessionCache::install(SSL_CTX* ctx) { SSL_CTX_sess_set_new_cb(ctx, on_new_session); }

void SessionCache::prepare(SSL* ssl, std::string_view key) {
  auto* slot = new Slot{shared_from_this(), std::string(key)};
  if (SSL_set_ex_data(ssl, slot_index(), slot) != 1) {
    delete slot;
    return;
  }
  // A TLS 1.3 ticket may be offered again: the peers are proxies of one mesh, so the privacy
  // reason to use each once does not apply, and concurrent connections all resume.
  if (const auto it = sessions_.find(slot->key); it != sessions_.end()) {
    SSL_set_session(ssl, it->second.get());
  }
}

void SessionCache::keep(const std::string& key, SSL_SESSION* session) {
  if (auto it = sessions_.find(key); it != sessions_.end()) {
    it->second.reset(session);
    return;
  }
  // Bounded: past capacity one arbitrary entry goes; it costs that endpoint one full handshake.
  if (sessions_.size() >= capacity_ && !sessions_.empty()) sessions_.erase(sessions_.begin());
  sessions_.emplace(key, SslSessionPtr(session));
}

}  // namespace weft::tls
