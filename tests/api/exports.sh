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

# SQLite is reached only through the module's own handle (src/store/sqlite-api.h):
# an unversioned import would bind to whatever SQLite the host application
# loaded first (Firefox's libmozsqlite3, for one).
imported=$("$nm" -D --undefined-only "$module" | awk '{ print $NF }' | grep '^sqlite3_' || true)
if [ -n "$imported" ]; then
    echo "the module imports SQLite symbols from the global scope:" >&2
    echo "$imported" >&2
    exit 1
fi
