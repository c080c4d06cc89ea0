#ifndef TESSERA_CLIBFUZZER_H
#define TESSERA_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry point for programs with their own main (LLVM 11 and later), linked by
// `-sanitize=fuzzer`. SwiftPM gives every executable its own main, so the fuzz targets call
// this rather than relying on libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
