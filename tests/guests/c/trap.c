/*
 * trap: prints a line, then executes `unreachable` inside a named, non-inlined function, so
 * the harness can check that a trap ends wasp with status 134 and a message naming the trap
 * kind and the function on stderr.
 *
 * Usage: trap
 */
#include <stdio.h>

__attribute__((noinline)) void wasp_test_crash_here(int depth) {
    if (depth == 0) __builtin_trap();
    wasp_test_crash_here(depth - 1);
    printf("not reached %d\n", depth);
}

int main(void) {
    printf("before the trap\n");
    fflush(stdout);
    wasp_test_crash_here(3);
    return 0;
}
