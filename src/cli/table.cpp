#include "table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace weft::cli {

void print_table(std::ostream& out, const TableRow& header, const std::vector<TableRow>& rows,
                 const std::string& indent) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  const auto print_row = [&](const TableRow& row) {
    std::string line = indent;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < widths.size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

std::string format_rate(double bytes_per_second) {
  if (!std::isfinite(bytes_per_second) || bytes_per_second < 0) return "-";
  static constexpr std::array<const char*, 4> kUnits{"B/s", "KiB/s", "MiB/s", "GiB/s"};
  std::size_t unit = 0;
  while (bytes_per_second >= 1024 && unit + 1 < kUnits.size()) {
    bytes_per_second /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%.0f%s", bytes_per_second, kUnits[unit]);
  } else {
    std::snprintf(text, sizeof text, "%.1f%s", bytes_per_second, kUnits[unit]);
  }
  return text;
}

std::string format_count(double value) {
  if (!std::isfinite(value) || value < 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

}  // namespace weft::cli
