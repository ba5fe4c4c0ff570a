#include <stdio.h>
#include <string.h>
#include "greet.h"

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("greet %s\n", VERSION);
        return 0;
    }
    printf("%s\n", greeting(argc > 1 ? argv[1] : "world"));
    return 0;
}
