// The process_* families (CPU, memory, file descriptors, threads, start time) read from
// /proc/self, and proxy_build_info from the generated build_info header. The Registry appends
// them to every /metrics render; parsing is split from reading so unit tests use fixed text.
#pragma once

#include <cstdint>
#include <string_view>

#include "weft/core/result.hpp"
#include "weft/metrics/text_writer.hpp"

namespace weft::metrics {

/// The fields of /proc/<pid>/stat that the process families need, in kernel units.
struct ProcStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t num_threads = 0;
  std::uint64_t start_time_ticks = 0;  // since boot
  std::uint64_t vsize_bytes = 0;
  std::uint64_t rss_pages = 0;
};

/// Parses the text of /proc/<pid>/stat. The command name may hold spaces and parentheses; fields
/// are counted from the last ')'. Errors: boost::system::errc::bad_message.
result<ProcStat> parse_proc_stat(std::string_view text);

/// The `btime` line of /proc/stat (boot time, UNIX seconds). Errors: bad_message.
result<std::uint64_t> parse_boot_time(std::string_view proc_stat_text);

/// What the process families report, in Prometheus units.
struct ProcessStats {
  double cpu_seconds = 0;
  std::uint64_t resident_memory_bytes = 0;
  std::uint64_t virtual_memory_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  double start_time_seconds = 0;
  std::uint64_t threads = 0;
};

/// Reads /proc/self now. A file that cannot be read leaves its fields 0 (logged once at debug).
/// Thread-safe.
ProcessStats read_process_stats();

/// Writes the seven process_* families.
void write_process_metrics(TextWriter& w, const ProcessStats& stats);

/// Writes `proxy_build_info{version,git_sha,profile,vendor,date} 1` (a gauge, as Linkerd's).
void write_build_info(TextWriter& w);

}  // namespace weft::metrics
