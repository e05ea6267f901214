// Plain-text tables for the CLI, in the style of `kubectl get` and `linkerd viz stat`:
// a header row in capitals and columns padded to their widest cell.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace weft::cli {

using TableRow = std::vector<std::string>;

/// Writes `header` and `rows` with columns separated by at least two spaces. Rows shorter than the
/// header are padded with empty cells.
void print_table(std::ostream& out, const TableRow& header, const std::vector<TableRow>& rows,
                 const std::string& indent = "");

/// "512B/s", "1.5KiB/s", "20.0MiB/s".
std::string format_rate(double bytes_per_second);

/// An integral counter as text ("0", "12345"); negative or non-finite values become "-".
std::string format_count(double value);

}  // namespace weft::cli
