/*
 * libFuzzer driver for .NET fuzz targets that call SharpFuzz's Fuzzer.LibFuzzer.Run.
 *
 * libFuzzer runs in this process; the target runs in a dotnet child that stays up for the whole
 * campaign. They share one System V segment: the first 64 KiB are the edge map the SharpFuzz
 * instrumentation writes, the input follows it. Per input this process clears the map, copies
 * the input, writes its length (int32) to the control pipe and reads a status (int32: 0 ok,
 * anything else an exception that escaped the target) from the status pipe; the map is then
 * handed to libFuzzer as extra counters. The child learns the segment and the two pipe file
 * descriptors from __LIBFUZZER_SHM_ID, __LIBFUZZER_CONTROL_PIPE_ID and __LIBFUZZER_STATUS_PIPE_ID,
 * and answers a first status of 0 once it is attached.
 *
 * A target exception or a dead child is reported as a crash (abort), a hang by libFuzzer's own
 * -timeout; the child dies with this process (PR_SET_PDEATHSIG).
 *
 * Usage: dotnet-libfuzzer [libFuzzer flags] [corpus dirs] --target_path=PROGRAM --target_arg=ARG...
 * (libFuzzer ignores flags that start with two dashes).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16)
#define MAX_INPUT (1 << 20)
#define MAX_ARGS 64

__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t edge_counters[MAP_SIZE];

static uint8_t *shared;
static int control_fd = -1;
static int status_fd = -1;

static void fail(const char *what)
{
    fprintf(stderr, "dotnet-libfuzzer: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Moves exactly length bytes through the pipe fd (writing when out is set); -1 when it breaks. */
static int transfer(int fd, void *buffer, size_t length, int out)
{
    char *p = buffer;
    while (length > 0) {
        ssize_t n = out ? write(fd, p, length) : read(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *child_argv[MAX_ARGS + 2];
    int child_argc = 0;
    const char *path = NULL;
    for (int i = 1; i < *argc; i++) {
        const char *arg = (*argv)[i];
        if (strncmp(arg, "--target_path=", 14) == 0)
            path = arg + 14;
        else if (strncmp(arg, "--target_arg=", 13) == 0 && child_argc < MAX_ARGS)
            child_argv[1 + child_argc++] = (char *)arg + 13;
    }
    if (path == NULL) {
        fprintf(stderr, "dotnet-libfuzzer: --target_path=PROGRAM is required\n");
        exit(1);
    }
    child_argv[0] = (char *)path;
    child_argv[1 + child_argc] = NULL;

    int shm_id = shmget(IPC_PRIVATE, MAP_SIZE + MAX_INPUT, IPC_CREAT | 0600);
    if (shm_id < 0)
        fail("shmget");
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1)
        fail("shmat");

    int control[2], status[2];
    if (pipe(control) != 0 || pipe(status) != 0)
        fail("pipe");

    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        char value[32];
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(control[1]);
        close(status[0]);
        snprintf(value, sizeof value, "%d", shm_id);
        setenv("__LIBFUZZER_SHM_ID", value, 1);
        snprintf(value, sizeof value, "%d", control[0]);
        setenv("__LIBFUZZER_CONTROL_PIPE_ID", value, 1);
        snprintf(value, sizeof value, "%d", status[1]);
        setenv("__LIBFUZZER_STATUS_PIPE_ID", value, 1);
        execvp(path, child_argv);
        fail("exec");
    }

    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    int32_t ready;
    if (transfer(status_fd, &ready, sizeof ready, 0) != 0 || ready != 0) {
        fprintf(stderr, "dotnet-libfuzzer: %s did not attach (is the target name right?)\n", path);
        exit(1);
    }
    /* Both processes are attached: the segment goes away when the last one detaches. */
    shmctl(shm_id, IPC_RMID, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    memset(shared, 0, MAP_SIZE);
    memcpy(shared + MAP_SIZE, data, size);
    int32_t length = (int32_t)size;
    int32_t status;
    if (transfer(control_fd, &length, sizeof length, 1) != 0 || transfer(status_fd, &status, sizeof status, 0) != 0) {
        fprintf(stderr, "dotnet-libfuzzer: the target process died on this input\n");
        abort();
    }
    if (status != 0) {
        fprintf(stderr, "dotnet-libfuzzer: an exception escaped the target (stack trace above)\n");
        abort();
    }
    memcpy(edge_counters, shared, MAP_SIZE);
    return 0;
}
