// The program's argv, as the C library hands it over at start-up.
//
// On Linux the Swift runtime reads CommandLine.arguments from /proc/self/cmdline. Where /proc is
// not mounted (a chroot, a bare container) the arguments are then empty, and ArgumentParser
// answers `tessera-verify check GARBAGE` with its help text and exit 0. glibc calls every
// .init_array function of the executable with argc, argv and envp before main, so argv is kept
// here. argv lives for the whole process; nothing here copies or frees it.
#include <stdlib.h>  // NULL; on glibc also __GLIBC__
#include "CProcessArguments.h"

static int captured_count;
static char **captured_arguments;

#if defined(__linux__) && defined(__GLIBC__)
static void tessera_capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    captured_count = argc;
    captured_arguments = argv;
}

__attribute__((section(".init_array"), used))
static void (*const tessera_capture_entry)(int, char **, char **) = tessera_capture_arguments;
#endif

int tessera_argument_count(void) {
    return captured_arguments == NULL ? 0 : captured_count;
}

const char *tessera_argument(int index) {
    // Bounds: argv holds argc entries (then a NULL); anything else is refused.
    if (captured_arguments == NULL || index < 0 || index >= captured_count) return NULL;
    return captured_arguments[index];
}
