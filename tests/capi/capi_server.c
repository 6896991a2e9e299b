#define _GNU_SOURCE
#include "capi_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t capi_start_kube_server(const char* kubeconfig, const char* port_file, const char* const* args) {
  const char* binary = getenv("KUBE_TEST_SERVER");
  if (!binary) {
    fprintf(stderr, "KUBE_TEST_SERVER is not set\n");
    return -1;
  }
  const char* argv[64];
  int n = 0;
  argv[n++] = binary;
  argv[n++] = "--port";
  argv[n++] = "0";
  for (; args && *args && n < 58; ++args) argv[n++] = *args;
  argv[n++] = "--write-kubeconfig";
  argv[n++] = kubeconfig;
  argv[n++] = "--port-file";
  argv[n++] = port_file;
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execv(binary, (char* const*)argv);
    _exit(127);
  }
  for (int i = 0; i < 400; ++i) {
    FILE* f = fopen(port_file, "r");
    char buf[32] = {0};
    if (f) {
      size_t got = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      if (got > 0 && strchr(buf, '\n')) return pid;
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  capi_stop_kube_server(pid);
  return -1;
}

void capi_stop_kube_server(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}
