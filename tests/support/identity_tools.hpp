// Certificates for mTLS tests, made by the real `weft identity` command: a trust anchor and an
// issuer in a temporary directory, and workload identity directories (tls.crt, tls.key, ca.crt)
// issued from them, removed with the object.
#pragma once

#include <string>
#include <vector>

namespace weft::test {

class Pki {
 public:
  explicit Pki(std::string trust_domain = "cluster.local");
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  /// spiffe://<trust domain>/ns/<ns>/sa/<sa>
  std::string id(const std::string& ns, const std::string& sa) const;
  /// <sa>.<ns>.serviceaccount.identity.<trust domain>
  std::string server_name(const std::string& ns, const std::string& sa) const;

  /// Issues the workload identity into <root>/<name> (made or overwritten, each file replaced
  /// atomically, as a CSI driver does) and returns that directory. `flags` go to `weft identity
  /// issue` (--lifetime, --valid-from). Throws with the command's stderr when it fails.
  std::string issue(const std::string& name, const std::string& ns, const std::string& sa,
                    const std::vector<std::string>& flags = {}) const;

  const std::string& root() const noexcept { return root_; }
  /// The trust anchor, PEM.
  std::string anchor_pem() const;

 private:
  std::string trust_domain_;
  std::string root_;
};

}  // namespace weft::test
