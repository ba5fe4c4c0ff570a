#include <stdio.h>
#include "greet.h"

const char *greeting(const char *who) {
    static char buffer[128];
    snprintf(buffer, sizeof buffer, "hello, %s", who);
    return buffer;
}
