#include <gtest/gtest.h>

#include "base/utf8.h"

namespace berth::base {
namespace {

TEST(Utf8, WellFormedTextIsKept) {
  const std::string_view texts[] = {"",
                                    "ascii",
                                    "caf\xc3\xa9",
                                    "\xe2\x82\xac",
                                    "\xf0\x9f\x90\xb3",
                                    "\xf4\x8f\xbf\xbf",
                                    std::string_view("nul\0inside", 10)};
  for (std::string_view text : texts) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
    EXPECT_EQ(to_valid_utf8(text), text);
  }
}

TEST(Utf8, EachMaximalIllFormedSubpartBecomesOneReplacement) {
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(to_valid_utf8("a\xff"
                          "b"),
            "a" + r + "b");
  EXPECT_EQ(to_valid_utf8("\xe2\x82"), r);                      // truncated: one subpart
  EXPECT_EQ(to_valid_utf8("\xe2\x82x"), r + "x");               // cut short by ASCII
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), r + r);                  // overlong lead: nothing starts there
  EXPECT_EQ(to_valid_utf8("\xe0\x80\x80"), r + r + r);          // overlong three-byte form
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(to_valid_utf8("\xf4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(to_valid_utf8("\xf0\x9f\x90"), r);
  const std::string_view bad_texts[] = {"\x80", "\xc2", "\xf5\x80\x80\x80", "\xe0\x9f\xbf"};
  for (std::string_view bad : bad_texts) {
    EXPECT_FALSE(is_valid_utf8(bad));
    EXPECT_TRUE(is_valid_utf8(to_valid_utf8(bad)));
  }
}

TEST(Utf8, MakeValidReplacesInPlace) {
  std::string text = "1.0\xd0-r2";
  make_valid_utf8(text);
  EXPECT_EQ(text, "1.0\xef\xbf\xbd-r2");
}

}  // namespace
}  // namespace berth::base
