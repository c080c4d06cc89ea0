#ifndef TESSERA_PROCESS_ARGUMENTS_H
#define TESSERA_PROCESS_ARGUMENTS_H

/// How many arguments the C library handed to this program (the program name included); 0 when
/// they could not be captured (not glibc).
int tessera_argument_count(void);

/// Argument `index` (0 is the program name), or NULL outside 0 ..< tessera_argument_count().
const char *tessera_argument(int index);

#endif
