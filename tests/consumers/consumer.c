/* A program that uses an installed rwkvtok from C, as a user's would: built with
 * cc consumer.c $(pkg-config --cflags --libs rwkvtok) (tools/cmake_test.sh builds it so, against
 * the shared and the static library). Encodes and decodes a sample and checks the ids; with
 * RWKVTOK_EXPECT_LANES=1 in the environment, also that long texts take the vector lanes. */

#include <rwkvtok.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "consumer.c: FAIL: %s\n", what);
    ++failures;
  }
}

int main(void) {
  static const char text[] = "Hello, world!";
  static const uint32_t expected[] = {33155, 45, 40213, 34};
  rwkvtok_tokenizer tok;
  uint32_t ids[16];
  char bytes[64];
  const char* expect_lanes = getenv("RWKVTOK_EXPECT_LANES");
  rwkvtok_result r;

  rwkvtok_world(&tok);
  r = rwkvtok_encode(&tok, text, strlen(text), ids, 16);
  check(r.status == RWKVTOK_OK && r.count == 4 && memcmp(ids, expected, sizeof(expected)) == 0,
        "Hello, world! encodes to 33155 45 40213 34");
  r = rwkvtok_decode(&tok, ids, r.count, bytes, sizeof(bytes));
  check(r.status == RWKVTOK_OK && r.count == strlen(text) && memcmp(bytes, text, r.count) == 0,
        "the ids decode to the text");
  check(strcmp(rwkvtok_version(), RWKVTOK_VERSION_STRING) == 0, "header and library versions");
  check(rwkvtok_abi_version() == RWKVTOK_ABI_VERSION, "header and library ABI versions");
  if (expect_lanes != NULL && strcmp(expect_lanes, "1") == 0) {
    check(strncmp(rwkvtok_encode_path(), "lanes/", 6) == 0, "long texts take the vector lanes");
  }
  printf("consumer.c: rwkvtok %s, encode path %s: %s\n", rwkvtok_version(), rwkvtok_encode_path(),
         failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
