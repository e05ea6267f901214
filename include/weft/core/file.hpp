// Small files that the proxy re-reads when they change (the destination table, the identity
// certificates): reading them whole with a bound, and telling from stat(2) that one changed and
// whether it has been still long enough to be read.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>

namespace weft::core {

/// The whole file into `text`; false with `error` set ("cannot open: No such file or
/// directory", "larger than 64 MiB") when it cannot be read whole.
bool read_small_file(const std::string& path, std::size_t max_bytes, std::string& text,
                     std::string& error);

/// What stat(2) says of a file, as one comparable string. A new inode (rename over, a
/// ConfigMap's or CSI driver's symlink swap), a new size or a new mtime or ctime (a write in
/// place, even one that keeps the mtime, as cp -p does) each change it.
std::string stat_stamp(const struct stat& st);

/// Whether the file changed less than 100 ms ago: a file written in place can be caught
/// truncated or half-written, so a change is read only once the file has been still that long.
/// An mtime in the future (a clock step, a touch -d) does not count as recent, or the file would
/// never be read.
bool still_settling(const struct stat& st);

/// strerror as a std::string.
std::string errno_text(int err);

}  // namespace weft::core
