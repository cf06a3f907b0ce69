/* libFuzzer harness: the S3 client's parsers of what a server sends (a ListObjectsV2
 * page, an error answer) and of ~/.aws files (a profile's keys); the input is split at
 * its first NUL byte into the XML and the profile text (also read as a Content-Range). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "io/s3client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *xml = (const char *)data;
  const uint8_t *nul = memchr(data, 0, size);
  size_t xml_len = nul ? (size_t)(nul - data) : size;
  s3c_object *objs = NULL;
  size_t n = 0, cap = 0;
  bool truncated = false;
  char *token = NULL;
  s3c_parse_list(xml, xml_len, &objs, &n, &cap, &truncated, &token);
  s3c_free_objects(&objs, n);
  free(token);
  char code[64], msg[256];
  s3c_parse_error(xml, xml_len, code, sizeof code, msg, sizeof msg);
  tr_error_clear();
  if (nul) {
    char *text = malloc(size - xml_len);
    if (text) {
      memcpy(text, nul + 1, size - xml_len - 1);
      text[size - xml_len - 1] = '\0';
      free(s3c_profile_value(text, "default", "aws_access_key_id"));
      free(s3c_profile_value(text, "profile lab", "region"));
      uint64_t first, last;
      if (s3c_parse_content_range(text, &first, &last) && first > last) abort();
      free(text);
    }
  }
  tr_error_clear();
  return 0;
}
