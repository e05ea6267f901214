// Files for `weft identity`: reading whole files, certificates and keys, and replacing files
// atomically (a temporary file in the same directory, then rename) so that a proxy polling the
// directory never reads half a file. Errors throw FileError, whose message starts with the path.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "weft/tls/x509.hpp"

namespace weft::cli {

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The whole file. Throws FileError ("<path>: <reason>").
std::string read_file(const std::filesystem::path& path);

/// Every certificate of a PEM file, in order. Throws FileError when there is none.
std::vector<tls::X509Ptr> read_cert_file(const std::filesystem::path& path);

/// The private key of a PEM file. Throws FileError when there is none.
tls::EvpPkeyPtr read_key_file(const std::filesystem::path& path);

/// Creates the directory and its parents when missing. Throws FileError.
void make_dir(const std::filesystem::path& dir);

/// Replaces `path` with `data` atomically, with permissions `mode` from the start (a key is never
/// readable by others, not even as the temporary file). Throws FileError.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode);

}  // namespace weft::cli
