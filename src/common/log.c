#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int log_enabled = -1;

void tsr_log_init(void)
{
    const char *v = getenv("TESSERA_DEBUG");

    log_enabled = v != NULL && *v != '\0' && *v != '0';
}

void tsr_log(const char *fmt, ...)
{
    va_list ap;

    if (log_enabled < 0)
        tsr_log_init();
    if (!log_enabled)
        return;
    va_start(ap, fmt);
    fputs("tessera: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
