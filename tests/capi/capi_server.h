/* The kube-test-server program for the C ABI tests: one start-up routine instead of a copy per file. */
#ifndef VBK_CAPI_SERVER_H
#define VBK_CAPI_SERVER_H

#include <sys/types.h>

/* Starts KUBE_TEST_SERVER on a free port with `args` (NULL-terminated; NULL for none) after
 * "--port 0", writing its kubeconfig to `kubeconfig` and its port to `port_file`, and returns its
 * pid once it listens (it writes the port file last); -1 when KUBE_TEST_SERVER is not set or the
 * server did not come up within 20 seconds. */
pid_t capi_start_kube_server(const char* kubeconfig, const char* port_file, const char* const* args);

/* Stops a server capi_start_kube_server started and waits for it. */
void capi_stop_kube_server(pid_t pid);

#endif
