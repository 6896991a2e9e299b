/* Just enough JSON reading for the C examples: find a member of an object in the library's output.
 * A real program would use a JSON library (cJSON, jansson, yyjson); the library's API is JSON in,
 * JSON out so that any will do. */
#ifndef EXAMPLES_JSON_SCAN_H
#define EXAMPLES_JSON_SCAN_H
#include <string.h>

static const char* json_ws(const char* p) {
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
  return p;
}

/* One past the end of the JSON value at p. */
static const char* json_skip(const char* p) {
  int depth = 0;
  do {
    if (*p == '"') {
      for (++p; *p && *p != '"'; ++p)
        if (*p == '\\' && p[1]) ++p;
    } else if (*p == '{' || *p == '[') {
      ++depth;
    } else if (*p == '}' || *p == ']') {
      --depth;
    } else if (depth == 0) { /* a number, true, false or null */
      while (*p && !strchr(",}] \n\r\t", *p)) ++p;
      return p;
    }
    if (*p) ++p;
  } while (depth > 0 && *p);
  return p;
}

/* The value of member `key` of the object at `object`, or NULL when absent. */
static const char* json_member(const char* object, const char* key) {
  const size_t n = strlen(key);
  const char* p = json_ws(object);
  if (*p != '{') return NULL;
  for (p = json_ws(p + 1); *p == '"'; p = json_ws(p + 1)) {
    const int match = strncmp(p + 1, key, n) == 0 && p[n + 1] == '"';
    p = json_ws(json_ws(json_skip(p)) + 1); /* past the key and the ':' */
    if (match) return p;
    p = json_ws(json_skip(p));
    if (*p != ',') break;
  }
  return NULL;
}

/* Copies the string value at p (no unescaping: enough for Kubernetes names) into out. */
static void json_string(const char* p, char* out, size_t size) {
  size_t i = 0;
  if (p && *p == '"')
    for (++p; *p && *p != '"' && i + 1 < size; ++p) out[i++] = *p;
  out[i] = '\0';
}
#endif
