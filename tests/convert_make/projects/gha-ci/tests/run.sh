#!/bin/sh
# The project's tests: the program greets whom it is asked to.
set -e
test "$("$1")" = "hello, world"
test "$("$1" make)" = "hello, make"
echo "tests passed"
