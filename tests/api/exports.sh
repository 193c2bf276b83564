#!/bin/sh
# Usage: exports.sh NM MODULE
# Fails unless MODULE's dynamic symbol table defines exactly the three C_Get*
# entry points.
set -eu
nm="$1"
module="$2"
want="C_GetFunctionList
C_GetInterface
C_GetInterfaceList"
have=$("$nm" -D --defined-only "$module" | awk '{ print $NF }' | sort)
if [ "$have" != "$want" ]; then
    echo "exported symbols differ from the three C_Get* functions:" >&2
    echo "$have" >&2
    exit 1
fi
