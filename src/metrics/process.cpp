#include "weft/metrics/process.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <boost/system/errc.hpp>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

#include "weft/build_info.hpp"

namespace weft::metrics {
namespace {

boost::system::error_code bad_message() {
  return boost::system::errc::make_error_code(boost::system::errc::bad_message);
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the descriptor opendir itself holds
}

// The process start time never changes: compute it once.
double start_time_seconds(std::uint64_t start_ticks, double ticks_per_second) {
  static const double boot = [] {
    auto btime = parse_boot_time(read_file("/proc/stat"));
    return btime ? static_cast<double>(*btime) : 0.0;
  }();
  if (boot == 0.0) return 0.0;
  return boot + static_cast<double>(start_ticks) / ticks_per_second;
}

}  // namespace

result<ProcStat> parse_proc_stat(std::string_view text) {
  const auto close_paren = text.rfind(')');
  if (close_paren == std::string_view::npos) return bad_message();
  // Fields after the command name, numbered as in proc(5): state is field 3.
  std::array<std::string_view, 25> fields{};  // fields[k] is field k+3
  std::size_t count = 0;
  std::string_view rest = text.substr(close_paren + 1);
  while (count < fields.size()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields[count++] = rest.substr(0, end);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  if (count < 22) return bad_message();  // need up to field 24 (rss)
  auto field = [&](int n) { return fields[static_cast<std::size_t>(n - 3)]; };
  ProcStat st;
  if (!parse_u64(field(14), st.utime_ticks) || !parse_u64(field(15), st.stime_ticks) ||
      !parse_u64(field(20), st.num_threads) || !parse_u64(field(22), st.start_time_ticks) ||
      !parse_u64(field(23), st.vsize_bytes) || !parse_u64(field(24), st.rss_pages)) {
    return bad_message();
  }
  return st;
}

result<std::uint64_t> parse_boot_time(std::string_view text) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (line.starts_with("btime ")) {
      std::uint64_t v = 0;
      if (parse_u64(line.substr(6), v)) return v;
      return bad_message();
    }
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return bad_message();
}

ProcessStats read_process_stats() {
  ProcessStats out;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const double tps = ticks > 0 ? static_cast<double>(ticks) : 100.0;
  if (auto st = parse_proc_stat(read_file("/proc/self/stat"))) {
    out.cpu_seconds = static_cast<double>(st->utime_ticks + st->stime_ticks) / tps;
    out.threads = st->num_threads;
    out.virtual_memory_bytes = st->vsize_bytes;
    out.resident_memory_bytes = st->rss_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
    out.start_time_seconds = start_time_seconds(st->start_time_ticks, tps);
  }
  out.open_fds = count_open_fds();
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) out.max_fds = lim.rlim_cur;
  return out;
}

void write_process_metrics(TextWriter& w, const ProcessStats& s) {
  const std::span<const Label> none;
  w.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
           MetricType::counter);
  w.sample("process_cpu_seconds_total", none, s.cpu_seconds);
  w.family("process_open_fds", "Number of open file descriptors.", MetricType::gauge);
  w.sample("process_open_fds", none, s.open_fds);
  w.family("process_max_fds", "Maximum number of open file descriptors.", MetricType::gauge);
  w.sample("process_max_fds", none, s.max_fds);
  w.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::gauge);
  w.sample("process_virtual_memory_bytes", none, s.virtual_memory_bytes);
  w.family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::gauge);
  w.sample("process_resident_memory_bytes", none, s.resident_memory_bytes);
  w.family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
           MetricType::gauge);
  w.sample("process_start_time_seconds", none, s.start_time_seconds);
  w.family("process_threads", "Number of OS threads in the process.", MetricType::gauge);
  w.sample("process_threads", none, s.threads);
}

void write_build_info(TextWriter& w) {
  const std::array<Label, 5> labels{{{"version", build_info::version},
                                     {"git_sha", build_info::git_sha},
                                     {"profile", build_info::profile},
                                     {"vendor", build_info::vendor},
                                     {"date", build_info::date}}};
  w.family("proxy_build_info", "Proxy build info.", MetricType::gauge);
  w.sample("proxy_build_info", labels, std::uint64_t{1});
}

}  // namespace weft::metrics
