// The small C guest of the instantiate benchmark: prints one line.
#include <stdio.h>

int main(void) {
    printf("hello from C\n");
    return 0;
}
