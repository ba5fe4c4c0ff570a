#include <stdio.h>
#include "greet.h"
#include "version.h"
void greet(const char *who) { printf("hello, %s %s\n", who, VERSION); }
