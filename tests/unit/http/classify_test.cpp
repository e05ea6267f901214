// Response classification (Linkerd >= 2.14): every gRPC code, no status, HTTP 5xx, stream errors.
#include "weft/http/classify.hpp"

#include <gtest/gtest.h>

namespace weft::http {
namespace {

using metrics::Classification;

struct GrpcCase {
  int code;
  const char* name;
  bool failure;
};

constexpr GrpcCase kGrpcCodes[] = {
    {0, "OK", false},
    {1, "CANCELLED", false},
    {2, "UNKNOWN", true},
    {3, "INVALID_ARGUMENT", false},
    {4, "DEADLINE_EXCEEDED", true},
    {5, "NOT_FOUND", false},
    {6, "ALREADY_EXISTS", false},
    {7, "PERMISSION_DENIED", true},
    {8, "RESOURCE_EXHAUSTED", false},
    {9, "FAILED_PRECONDITION", false},
    {10, "ABORTED", false},
    {11, "OUT_OF_RANGE", false},
    {12, "UNIMPLEMENTED", false},
    {13, "INTERNAL", true},
    {14, "UNAVAILABLE", true},
    {15, "DATA_LOSS", true},
    {16, "UNAUTHENTICATED", false},
};

TEST(Classify, EveryGrpcCode) {
  for (const auto& c : kGrpcCodes) {
    EXPECT_EQ(is_grpc_failure(c.code), c.failure) << c.name;
    EXPECT_EQ(classify(200, true, c.code, false),
              c.failure ? Classification::failure : Classification::success)
        << c.name;
    // A stream error fails whatever the status said.
    EXPECT_EQ(classify(200, true, c.code, true), Classification::failure) << c.name;
  }
  // Codes outside 0..16 read as UNKNOWN.
  EXPECT_TRUE(is_grpc_failure(17));
  EXPECT_TRUE(is_grpc_failure(1000));
  EXPECT_TRUE(is_grpc_failure(-1));
  EXPECT_EQ(classify(200, true, 99, false), Classification::failure);
}

TEST(Classify, GrpcWithNoStatusIsAFailure) {
  EXPECT_EQ(classify(200, true, -1, false), Classification::failure);
}

TEST(Classify, Http) {
  const std::pair<unsigned, Classification> cases[] = {
      {100, Classification::success}, {200, Classification::success},
      {204, Classification::success}, {302, Classification::success},
      {404, Classification::success}, {429, Classification::success},
      {499, Classification::success}, {500, Classification::failure},
      {502, Classification::failure}, {504, Classification::failure},
      {599, Classification::failure},
  };
  for (const auto& [status, expected] : cases) {
    EXPECT_EQ(classify(status, false, -1, false), expected) << status;
    // grpc_status is only read for gRPC requests.
    EXPECT_EQ(classify(status, false, 14, false), expected) << status;
  }
  // An HTTP 5xx on a gRPC request fails even with grpc-status 0.
  EXPECT_EQ(classify(503, true, 0, false), Classification::failure);
}

TEST(Classify, StreamErrorsFail) {
  EXPECT_EQ(classify(200, false, -1, true), Classification::failure);
  EXPECT_EQ(classify(0, false, -1, true), Classification::failure);
}

TEST(Classify, GrpcContentType) {
  for (const char* ct :
       {"application/grpc", "application/grpc+proto", "application/grpc+json", "Application/GRPC",
        "application/grpc; charset=utf-8", " application/grpc "}) {
    EXPECT_TRUE(is_grpc_content_type(ct)) << ct;
  }
  for (const char* ct : {"", "application/json", "application/grp", "application/grpc-web",
                         "application/grpc-web+proto", "application/grpcx", "text/plain"}) {
    EXPECT_FALSE(is_grpc_content_type(ct)) << ct;
  }
}

TEST(Classify, ParseGrpcStatus) {
  for (int code = 0; code <= 16; ++code) {
    EXPECT_EQ(parse_grpc_status(std::to_string(code)), code);
  }
  EXPECT_EQ(parse_grpc_status(" 14 "), 14);
  EXPECT_EQ(parse_grpc_status("99"), 99);
  EXPECT_EQ(parse_grpc_status("007"), 7);
  for (const char* bad : {"", " ", "-1", "+1", "1a", "0x1", "OK", "1 4", "9999999999"}) {
    EXPECT_FALSE(parse_grpc_status(bad)) << bad;
  }
}

}  // namespace
}  // namespace weft::http
