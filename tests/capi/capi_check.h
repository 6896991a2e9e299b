/* What the C ABI test's files share: the CHECK macro and its counters (defined in capi_test.c). */
#ifndef VBK_CAPI_CHECK_H
#define VBK_CAPI_CHECK_H

#include "vbackup.h"

#include <stdio.h>
#include <string.h>

extern int failures;
extern int checks;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, vbk_last_error()); \
    }                                                                          \
  } while (0)

static inline int contains(const char* haystack, const char* needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

/* Restores (capi_restore.c) and inspection (capi_inspect.c) of the backups in `loc`; `manifests`
 * is the demo folder as a cluster, `scratch` a fresh folder. */
void restore_tests(const char* scratch, vbk_location* loc, vbk_cluster* manifests);
void inspect_tests(const char* scratch, vbk_location* loc, vbk_cluster* manifests);
/* The Backup and Restore CRs in a test API server (capi_record.c). */
void record_tests(const char* source_root, const char* scratch, vbk_location* loc);

#endif
